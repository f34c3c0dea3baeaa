// The SQLite back-end of the store's database seam (database.h): one file, WAL, synchronous=FULL.
#include <sqlite3.h>

#include <cstdio>

#include "store/database.h"

namespace warden::store::internal {
namespace {

class Sqlite final : public Database {
 public:
  explicit Sqlite(std::string path) { where_ = std::move(path); }
  ~Sqlite() override { sqlite3_close_v2(db_); }

  Status Open() {
    if (sqlite3_open_v2(where_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        nullptr) != SQLITE_OK) {
      return Status::IoError(where_ + ": cannot open the store: " + (db_ ? sqlite3_errmsg(db_) : "out of memory"));
    }
    sqlite3_busy_timeout(db_, 10000);
    // WAL with synchronous=FULL: a COMMIT that returned survives a crash or kill -9.
    if (Status s = Script("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"); !s.ok()) {
      return Status::Corrupt(where_ + ": not a SQLite database (" + s.message() + ")");
    }
    return Status::Ok();
  }

  Dialect dialect() const override { return Dialect::kSqlite; }

  Result<Rows> Run(const std::string& sql, const std::vector<Value>& params) override {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &stmt, nullptr) != SQLITE_OK) {
      return Error(sqlite3_errcode(db_));
    }
    struct Finalize {
      sqlite3_stmt* s;
      ~Finalize() { sqlite3_finalize(s); }
    } finalize{stmt};
    int i = 1;
    for (const Value& v : params) {
      if (const auto* n = std::get_if<int64_t>(&v)) {
        sqlite3_bind_int64(stmt, i, *n);
      } else if (const auto* d = std::get_if<double>(&v)) {
        sqlite3_bind_double(stmt, i, *d);
      } else {
        const std::string& s = std::get<std::string>(v);
        sqlite3_bind_text(stmt, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
      }
      ++i;
    }
    Rows rows;
    const int columns = sqlite3_column_count(stmt);
    for (;;) {
      const int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return Error(rc);
      std::vector<std::string>& row = rows.cells_.emplace_back();
      row.reserve(static_cast<size_t>(columns));
      for (int c = 0; c < columns; ++c) row.push_back(Cell(stmt, c));
    }
    rows.changed = sqlite3_changes(db_);
    return rows;
  }

  Status Script(const std::string& sql) override {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string m = err != nullptr ? err : sqlite3_errmsg(db_);
      sqlite3_free(err);
      return Status::Corrupt(where_ + ": " + m);
    }
    return Status::Ok();
  }

  Status BeginWrite() override { return Script("BEGIN IMMEDIATE"); }
  Status Commit() override { return Script("COMMIT"); }
  void Rollback() override { (void)Script("ROLLBACK"); }

 private:
  static std::string Cell(sqlite3_stmt* stmt, int c) {
    switch (sqlite3_column_type(stmt, c)) {
      case SQLITE_INTEGER: return std::to_string(sqlite3_column_int64(stmt, c));
      case SQLITE_FLOAT: {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.17g", sqlite3_column_double(stmt, c));
        return buf;
      }
      case SQLITE_NULL: return "";
      default: {
        const unsigned char* p = sqlite3_column_text(stmt, c);
        return p == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(stmt, c));
      }
    }
  }

  Status Error(int rc) const {
    const std::string m = where_ + ": " + sqlite3_errmsg(db_);
    if ((rc & 0xff) == SQLITE_CONSTRAINT && sqlite3_extended_errcode(db_) == SQLITE_CONSTRAINT_UNIQUE) {
      return Status::FailedPrecondition(m);
    }
    if ((rc & 0xff) == SQLITE_CONSTRAINT && sqlite3_extended_errcode(db_) == SQLITE_CONSTRAINT_PRIMARYKEY) {
      return Status::FailedPrecondition(m);
    }
    if ((rc & 0xff) == SQLITE_FULL || (rc & 0xff) == SQLITE_IOERR) return Status::IoError(m);
    return Status::Corrupt(m);
  }

  sqlite3* db_ = nullptr;
};

}  // namespace

Result<std::unique_ptr<Database>> OpenSqlite(const std::string& path) {
  auto db = std::make_unique<Sqlite>(path);
  WARDEN_RETURN_IF_ERROR(db->Open());
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace warden::store::internal
