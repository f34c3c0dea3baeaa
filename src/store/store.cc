// The store (store.h): schema, the decision chain and API keys, on either back-end (database.h).
#include "warden/store/store.h"

#include <sodium.h>

#include <mutex>
#include <nlohmann/json.hpp>

#include "store/db.h"
#include "warden/base/clock.h"
#include "warden/base/crypto.h"
#include "warden/base/sha256.h"

namespace warden::store {

using internal::Rows;
using internal::Value;

namespace {

constexpr const char* kFormat = "warden-store/1";
const std::string kGenesis(64, '0');

// Written once for both back-ends: {int}, {real}, {text} become each one's types (database.h).
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(k {text} PRIMARY KEY, v {text} NOT NULL);
CREATE TABLE IF NOT EXISTS decisions(
  seq {int} PRIMARY KEY, time {text} NOT NULL, request_id {text} NOT NULL, key_id {text} NOT NULL,
  "user" {text} NOT NULL, model {text} NOT NULL, model_sha256 {text} NOT NULL, safeguards_sha256 {text} NOT NULL,
  action {text} NOT NULL, stage {text} NOT NULL, monitor {text} NOT NULL, cut_token {int} NOT NULL,
  released_tokens {int} NOT NULL, scores_json {text} NOT NULL, request_json {text} NOT NULL, prompt {text} NOT NULL,
  response {text} NOT NULL, hash_only {int} NOT NULL, prev_hash {text} NOT NULL, hash {text} NOT NULL);
CREATE TABLE IF NOT EXISTS audit_queue(
  seq {int} PRIMARY KEY REFERENCES decisions(seq), priority {real} NOT NULL, reason {text} NOT NULL,
  stratum {text} NOT NULL, inclusion {real} NOT NULL, admitted {text} NOT NULL, reviewed {int} NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS audit_open ON audit_queue(reviewed, priority DESC, seq);
CREATE TABLE IF NOT EXISTS verdicts(
  seq {int} PRIMARY KEY REFERENCES audit_queue(seq), reviewer {text} NOT NULL, label {text} NOT NULL,
  category {text} NOT NULL, note {text} NOT NULL, time {text} NOT NULL);
CREATE TABLE IF NOT EXISTS reviewers(name {text} PRIMARY KEY, password {text} NOT NULL, created {text} NOT NULL);
CREATE TABLE IF NOT EXISTS review_sessions(
  token_sha256 {text} PRIMARY KEY, reviewer {text} NOT NULL REFERENCES reviewers(name), csrf {text} NOT NULL,
  expires {int} NOT NULL);
CREATE TABLE IF NOT EXISTS api_keys(
  id {text} PRIMARY KEY, name {text} NOT NULL, secret_sha256 {text} NOT NULL UNIQUE, created {text} NOT NULL,
  revoked {int} NOT NULL DEFAULT 0, rate_per_minute {int} NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS user_events(
  seq {int} PRIMARY KEY REFERENCES decisions(seq), subject {text} NOT NULL, t {int} NOT NULL, risk {real} NOT NULL);
CREATE INDEX IF NOT EXISTS user_events_by_subject ON user_events(subject, t);
CREATE TABLE IF NOT EXISTS rate_buckets(
  who {text} PRIMARY KEY, tokens {real} NOT NULL, updated {real} NOT NULL, rate {real} NOT NULL, admitted {int} NOT NULL);
)sql";

constexpr const char* kColumns =
    "seq, time, request_id, key_id, \"user\", model, model_sha256, safeguards_sha256, action, stage, monitor, "
    "cut_token, released_tokens, scores_json, request_json, prompt, response, hash_only, prev_hash, hash";

DecisionRecord FromRow(const Rows& rows, size_t row) {
  auto text = [&](int c) { return rows.Text(row, c); };
  auto integer = [&](int c) { return rows.Int(row, c); };
  DecisionRecord r;
  int c = 0;
  r.seq = integer(c++);
  r.time = text(c++);
  r.request_id = text(c++);
  r.key_id = text(c++);
  r.user = text(c++);
  r.model = text(c++);
  r.model_sha256 = text(c++);
  r.safeguards_sha256 = text(c++);
  r.action = text(c++);
  r.stage = text(c++);
  r.monitor = text(c++);
  r.cut_token = integer(c++);
  r.released_tokens = integer(c++);
  r.scores_json = text(c++);
  r.request_json = text(c++);
  r.prompt = text(c++);
  r.response = text(c++);
  r.hash_only = integer(c++) != 0;
  r.prev_hash = text(c++);
  r.hash = text(c++);
  return r;
}

ApiKey KeyFromRow(const Rows& rows, size_t row) {
  ApiKey k;
  k.id = rows.Text(row, 0);
  k.name = rows.Text(row, 1);
  k.created = rows.Text(row, 2);
  k.revoked = rows.Int(row, 3) != 0;
  k.rate_per_minute = rows.Int(row, 4);
  return k;
}

bool IsPostgresUrl(const std::string& path) {
  return path.rfind("postgresql://", 0) == 0 || path.rfind("postgres://", 0) == 0;
}

}  // namespace

std::string Store::HashedForm(const DecisionRecord& r) {
  const nlohmann::json j = {{"seq", r.seq},
                            {"time", r.time},
                            {"request_id", r.request_id},
                            {"key_id", r.key_id},
                            {"user", r.user},
                            {"model", r.model},
                            {"model_sha256", r.model_sha256},
                            {"safeguards_sha256", r.safeguards_sha256},
                            {"action", r.action},
                            {"stage", r.stage},
                            {"monitor", r.monitor},
                            {"cut_token", r.cut_token},
                            {"released_tokens", r.released_tokens},
                            {"scores", r.scores_json},
                            {"request", r.request_json},
                            {"prompt", r.prompt},
                            {"response", r.response},
                            {"hash_only", r.hash_only},
                            {"prev_hash", r.prev_hash}};
  return CanonicalJson(j);
}

Store::Store(std::string path, std::unique_ptr<Db> db, StoreOptions options)
    : path_(std::move(path)), db_(std::move(db)), options_(options) {}
Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::Open(const std::string& path, const StoreOptions& options) {
  auto db = std::make_unique<Db>();
  const bool postgres = IsPostgresUrl(path);
  WARDEN_ASSIGN_OR_RETURN(db->sql, postgres ? internal::OpenPostgres(path) : internal::OpenSqlite(path));
  const std::string where = db->sql->where();
  // The schema and the format mark in one writer's transaction: two gateways starting together
  // on one PostgreSQL server do not race to create the same tables.
  Status made = db->InWrite([&]() -> Status {
    WARDEN_RETURN_IF_ERROR(db->sql->Script(internal::Schema(kSchema, db->sql->dialect())));
    WARDEN_ASSIGN_OR_RETURN(Rows format, db->sql->Run("SELECT v FROM meta WHERE k = ?", {std::string("format")}));
    if (!format.empty()) {
      if (format.Text(0, 0) != kFormat) {
        return Status::Corrupt(where + ": store format '" + format.Text(0, 0) + "', expected " + kFormat);
      }
      return Status::Ok();
    }
    return db->sql->Run("INSERT INTO meta(k, v) VALUES(?, ?)", {std::string("format"), std::string(kFormat)}).status();
  });
  if (!made.ok()) {
    // A SQLite file that is some other database, or not a database: name it as such.
    if (!postgres && made.code() == StatusCode::kCorrupt && made.message().find("store format") == std::string::npos) {
      return Status::Corrupt(where + ": not a warden store (" + made.message() + ")");
    }
    return made;
  }
  return std::unique_ptr<Store>(new Store(where, std::move(db), options));
}

bool Store::shared() const { return db_->sql->dialect() == internal::Dialect::kPostgres; }

Status Store::Append(DecisionRecord* r, AuditItem* audit, const UserEvent* user) {
  std::lock_guard<std::mutex> lock(db_->mu);
  if (options_.hash_only && !r->hash_only) {
    r->request_json = Sha256Hex(r->request_json);
    r->prompt = Sha256Hex(r->prompt);
    r->response = Sha256Hex(r->response);
    r->hash_only = true;
  }
  if (r->time.empty()) r->time = UtcNow();
  internal::Database& sql = *db_->sql;
  return db_->InWrite([&]() -> Status {
    WARDEN_ASSIGN_OR_RETURN(Rows last, sql.Run("SELECT seq, hash FROM decisions ORDER BY seq DESC LIMIT 1"));
    r->seq = last.empty() ? 1 : last.Int(0, 0) + 1;
    r->prev_hash = last.empty() ? kGenesis : last.Text(0, 1);
    r->hash = Sha256Hex(HashedForm(*r));
    WARDEN_RETURN_IF_ERROR(
        sql.Run(std::string("INSERT INTO decisions(") + kColumns + ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                {r->seq, r->time, r->request_id, r->key_id, r->user, r->model, r->model_sha256, r->safeguards_sha256,
                 r->action, r->stage, r->monitor, r->cut_token, r->released_tokens, r->scores_json, r->request_json,
                 r->prompt, r->response, int64_t{r->hash_only ? 1 : 0}, r->prev_hash, r->hash})
            .status());
    if (audit != nullptr) {
      audit->seq = r->seq;
      audit->admitted = r->time;
      WARDEN_RETURN_IF_ERROR(
          sql.Run("INSERT INTO audit_queue(seq, priority, reason, stratum, inclusion, admitted) VALUES(?,?,?,?,?,?)",
                  {audit->seq, audit->priority, audit->reason, audit->stratum, audit->inclusion, audit->admitted})
              .status());
    }
    if (user != nullptr && !user->subject.empty()) {
      WARDEN_RETURN_IF_ERROR(sql.Run("INSERT INTO user_events(seq, subject, t, risk) VALUES(?,?,?,?)",
                                     {r->seq, user->subject, UnixNow(), user->risk})
                                 .status());
    }
    return Status::Ok();
  });
}

Result<std::vector<DecisionRecord>> Store::Records(int64_t from, int64_t to) const {
  std::lock_guard<std::mutex> lock(db_->mu);
  WARDEN_ASSIGN_OR_RETURN(Rows rows, db_->sql->Run(std::string("SELECT ") + kColumns +
                                                       " FROM decisions WHERE seq >= ? AND seq <= ? ORDER BY seq",
                                                   {from, to < 0 ? INT64_MAX : to}));
  std::vector<DecisionRecord> out;
  out.reserve(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) out.push_back(FromRow(rows, i));
  return out;
}

Result<DecisionRecord> Store::Record(int64_t seq) const {
  WARDEN_ASSIGN_OR_RETURN(std::vector<DecisionRecord> one, Records(seq, seq));
  if (one.empty()) return Status::NotFound(path_ + ": no decision record " + std::to_string(seq));
  return one.front();
}

Result<int64_t> Store::Count() const {
  std::lock_guard<std::mutex> lock(db_->mu);
  WARDEN_ASSIGN_OR_RETURN(Rows rows, db_->sql->Run("SELECT COUNT(*) FROM decisions"));
  return rows.empty() ? 0 : rows.Int(0, 0);
}

Result<Store::Verification> Store::Verify() const {
  WARDEN_ASSIGN_OR_RETURN(std::vector<DecisionRecord> all, Records());
  Verification v;
  v.records = static_cast<int64_t>(all.size());
  std::string prev = kGenesis;
  for (size_t i = 0; i < all.size(); ++i) {
    const DecisionRecord& r = all[i];
    const int64_t expected_seq = static_cast<int64_t>(i) + 1;
    std::string problem;
    if (r.seq != expected_seq) {
      problem = "sequence number " + std::to_string(r.seq) + " where " + std::to_string(expected_seq) +
                " was expected (a record is missing)";
    } else if (r.prev_hash != prev) {
      problem = "prev_hash does not match the previous record's hash";
    } else if (Sha256Hex(HashedForm(r)) != r.hash) {
      problem = "contents do not match the record's hash (edited after it was written)";
    }
    if (!problem.empty()) {
      v.first_bad = r.seq;
      v.problem = problem;
      return v;
    }
    prev = r.hash;
  }
  v.head = prev;
  return v;
}

Result<std::pair<ApiKey, std::string>> Store::AddKey(const std::string& name, int64_t rate_per_minute) {
  if (name.empty()) return Status::InvalidArgument("an API key needs a name");
  if (rate_per_minute < 0) return Status::InvalidArgument("rate_per_minute must be >= 0");
  unsigned char secret_bytes[24], id_bytes[6];
  randombytes_buf(secret_bytes, sizeof secret_bytes);
  randombytes_buf(id_bytes, sizeof id_bytes);
  const std::string secret = "wk-" + HexEncode(std::string_view(reinterpret_cast<char*>(secret_bytes), sizeof secret_bytes));
  ApiKey k;
  k.id = "key_" + HexEncode(std::string_view(reinterpret_cast<char*>(id_bytes), sizeof id_bytes));
  k.name = name;
  k.created = UtcNow();
  k.rate_per_minute = rate_per_minute;
  std::lock_guard<std::mutex> lock(db_->mu);
  WARDEN_RETURN_IF_ERROR(
      db_->sql->Run("INSERT INTO api_keys(id, name, secret_sha256, created, rate_per_minute) VALUES(?,?,?,?,?)",
                    {k.id, k.name, Sha256Hex(secret), k.created, k.rate_per_minute})
          .status());
  return std::make_pair(k, secret);
}

Result<std::vector<ApiKey>> Store::Keys() const {
  std::lock_guard<std::mutex> lock(db_->mu);
  WARDEN_ASSIGN_OR_RETURN(Rows rows,
                          db_->sql->Run("SELECT id, name, created, revoked, rate_per_minute FROM api_keys ORDER BY created, id"));
  std::vector<ApiKey> out;
  for (size_t i = 0; i < rows.size(); ++i) out.push_back(KeyFromRow(rows, i));
  return out;
}

Status Store::RevokeKey(const std::string& id) {
  std::lock_guard<std::mutex> lock(db_->mu);
  WARDEN_ASSIGN_OR_RETURN(Rows rows, db_->sql->Run("UPDATE api_keys SET revoked = 1 WHERE id = ?", {id}));
  if (rows.changed == 0) return Status::NotFound(path_ + ": no API key with id '" + id + "'");
  return Status::Ok();
}

Result<ApiKey> Store::Authenticate(const std::string& secret) const {
  std::lock_guard<std::mutex> lock(db_->mu);
  WARDEN_ASSIGN_OR_RETURN(Rows rows, db_->sql->Run("SELECT id, name, created, revoked, rate_per_minute FROM api_keys "
                                                   "WHERE secret_sha256 = ?",
                                                   {Sha256Hex(secret)}));
  if (rows.empty()) return Status::PermissionDenied("invalid API key");
  ApiKey k = KeyFromRow(rows, 0);
  if (k.revoked) return Status::PermissionDenied("API key " + k.id + " has been revoked");
  return k;
}

Result<bool> Store::HasKeys() const {
  std::lock_guard<std::mutex> lock(db_->mu);
  WARDEN_ASSIGN_OR_RETURN(Rows rows, db_->sql->Run("SELECT COUNT(*) FROM api_keys"));
  return !rows.empty() && rows.Int(0, 0) > 0;
}

}  // namespace warden::store
