// The PostgreSQL back-end of the store's database seam (database.h), through libpq: one
// connection per Store (the Store serialises its calls), parameters sent typed (strings as BYTEA
// bytes, so nothing is re-encoded), results read as text (BYTEA cells decoded from their hex form).
#include <libpq-fe.h>

#include <cstdio>
#include <cstring>

#include "store/database.h"

namespace warden::store::internal {
namespace {

constexpr Oid kInt8 = 20, kFloat8 = 701, kBytea = 17;
// The key of the advisory lock every writer of the decision chain takes (any constant: "warden" in ASCII).
constexpr const char* kWriteLock = "SELECT pg_advisory_xact_lock(119971004736622)";

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// `?` -> $1, $2, ... outside quoted literals and identifiers.
std::string Number(const std::string& sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  char quote = 0;
  for (char c : sql) {
    if (quote != 0) {
      if (c == quote) quote = 0;
      out += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      out += c;
    } else if (c == '?') {
      out += "$" + std::to_string(++n);
    } else {
      out += c;
    }
  }
  return out;
}

class Postgres final : public Database {
 public:
  explicit Postgres(std::string url) : url_(std::move(url)) { where_ = RedactPassword(url_); }
  ~Postgres() override { PQfinish(conn_); }

  Status Open() {
    conn_ = PQconnectdb(url_.c_str());
    if (conn_ == nullptr) return Status::ResourceExhausted(where_ + ": out of memory connecting");
    if (PQstatus(conn_) != CONNECTION_OK) {
      return Status::Unavailable(where_ + ": cannot connect to PostgreSQL: " + Message());
    }
    // Doubles come back in their shortest exact form; no notices on the server's stderr per statement.
    return Script("SET extra_float_digits = 3; SET client_min_messages = warning");
  }

  Dialect dialect() const override { return Dialect::kPostgres; }

  Result<Rows> Run(const std::string& sql, const std::vector<Value>& params) override {
    WARDEN_RETURN_IF_ERROR(Reconnect());
    std::vector<std::string> text(params.size());
    std::vector<const char*> values(params.size());
    std::vector<int> lengths(params.size()), formats(params.size());
    std::vector<Oid> types(params.size());
    for (size_t i = 0; i < params.size(); ++i) {
      if (const auto* n = std::get_if<int64_t>(&params[i])) {
        text[i] = std::to_string(*n);
        types[i] = kInt8;
      } else if (const auto* d = std::get_if<double>(&params[i])) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.17g", *d);
        text[i] = buf;
        types[i] = kFloat8;
      } else {
        // Strings as binary BYTEA: their bytes exactly, NULs and all.
        const std::string& s = std::get<std::string>(params[i]);
        values[i] = s.data();
        lengths[i] = static_cast<int>(s.size());
        formats[i] = 1;
        types[i] = kBytea;
        continue;
      }
      values[i] = text[i].c_str();
      lengths[i] = static_cast<int>(text[i].size());
    }
    PGresult* res = PQexecParams(conn_, Number(sql).c_str(), static_cast<int>(params.size()), types.data(),
                                 values.data(), lengths.data(), formats.data(), /*resultFormat=*/0);
    struct Clear {
      PGresult* r;
      ~Clear() { PQclear(r); }
    } clear{res};
    const ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return Error(res);
    Rows rows;
    const int n = PQntuples(res), columns = PQnfields(res);
    rows.cells_.resize(static_cast<size_t>(n));
    for (int r = 0; r < n; ++r) {
      std::vector<std::string>& row = rows.cells_[static_cast<size_t>(r)];
      row.reserve(static_cast<size_t>(columns));
      for (int c = 0; c < columns; ++c) {
        const char* v = PQgetvalue(res, r, c);
        const size_t len = static_cast<size_t>(PQgetlength(res, r, c));
        row.push_back(PQftype(res, c) == kBytea ? FromHex(v, len) : std::string(v, len));
      }
    }
    const char* changed = PQcmdTuples(res);
    rows.changed = changed != nullptr && *changed != '\0' ? std::strtoll(changed, nullptr, 10) : 0;
    return rows;
  }

  Status Script(const std::string& sql) override {
    WARDEN_RETURN_IF_ERROR(Reconnect());
    PGresult* res = PQexec(conn_, sql.c_str());
    const ExecStatusType st = PQresultStatus(res);
    Status s = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? Status::Ok() : Error(res);
    PQclear(res);
    return s;
  }

  Status BeginWrite() override {
    WARDEN_RETURN_IF_ERROR(Script("BEGIN"));
    in_transaction_ = true;
    if (Status s = Script(kWriteLock); !s.ok()) {
      Rollback();
      return s;
    }
    return Status::Ok();
  }
  Status Commit() override {
    Status s = Script("COMMIT");
    in_transaction_ = false;
    return s;
  }
  void Rollback() override {
    (void)Script("ROLLBACK");
    in_transaction_ = false;
  }

 private:
  // A connection the server dropped (a restart, a failover) is opened again between
  // transactions; inside one, the transaction is lost and the caller sees the error.
  Status Reconnect() {
    if (PQstatus(conn_) == CONNECTION_OK) return Status::Ok();
    if (in_transaction_) return Status::Unavailable(where_ + ": the connection was lost: " + Message());
    PQreset(conn_);
    if (PQstatus(conn_) != CONNECTION_OK) return Status::Unavailable(where_ + ": cannot reconnect: " + Message());
    return Script("SET extra_float_digits = 3; SET client_min_messages = warning");
  }

  std::string Message() const {
    std::string m = PQerrorMessage(conn_);
    while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
    return m;
  }

  Status Error(const PGresult* res) const {
    std::string m = res != nullptr ? PQresultErrorMessage(res) : "";
    while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
    if (m.empty()) m = Message();
    m = where_ + ": " + m;
    const char* state = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
    const std::string code = state != nullptr ? state : "";
    if (code == "23505") return Status::FailedPrecondition(m);  // unique_violation
    if (PQstatus(conn_) != CONNECTION_OK || code.rfind("08", 0) == 0 || code.rfind("57P", 0) == 0) {
      return Status::Unavailable(m);
    }
    if (code.rfind("53", 0) == 0 || code.rfind("58", 0) == 0) return Status::IoError(m);  // resources, system
    return Status::Corrupt(m);
  }

  static std::string FromHex(const char* v, size_t len) {
    if (len < 2 || v[0] != '\\' || v[1] != 'x') return std::string(v, len);
    std::string out;
    out.reserve((len - 2) / 2);
    for (size_t i = 2; i + 1 < len; i += 2) out += static_cast<char>(HexDigit(v[i]) * 16 + HexDigit(v[i + 1]));
    return out;
  }

  std::string url_;
  PGconn* conn_ = nullptr;
  bool in_transaction_ = false;
};

}  // namespace

Result<std::unique_ptr<Database>> OpenPostgres(const std::string& url) {
  auto db = std::make_unique<Postgres>(url);
  WARDEN_RETURN_IF_ERROR(db->Open());
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace warden::store::internal
