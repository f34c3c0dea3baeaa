// The SQLite store (store.h): schema, the decision chain and API keys.
#include "warden/store/store.h"

#include <sodium.h>

#include <mutex>
#include <nlohmann/json.hpp>

#include "store/db.h"
#include "warden/base/clock.h"
#include "warden/base/crypto.h"
#include "warden/base/sha256.h"

namespace warden::store {

using internal::Exec;
using internal::Statement;

namespace {

constexpr const char* kFormat = "warden-store/1";
const std::string kGenesis(64, '0');

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS decisions(
  seq INTEGER PRIMARY KEY, time TEXT NOT NULL, request_id TEXT NOT NULL, key_id TEXT NOT NULL,
  user TEXT NOT NULL, model TEXT NOT NULL, model_sha256 TEXT NOT NULL, safeguards_sha256 TEXT NOT NULL,
  action TEXT NOT NULL, stage TEXT NOT NULL, monitor TEXT NOT NULL, cut_token INTEGER NOT NULL,
  released_tokens INTEGER NOT NULL, scores_json TEXT NOT NULL, request_json TEXT NOT NULL, prompt TEXT NOT NULL, response TEXT NOT NULL,
  hash_only INTEGER NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit_queue(
  seq INTEGER PRIMARY KEY REFERENCES decisions(seq), priority REAL NOT NULL, reason TEXT NOT NULL,
  stratum TEXT NOT NULL, inclusion REAL NOT NULL, admitted TEXT NOT NULL, reviewed INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS audit_open ON audit_queue(reviewed, priority DESC, seq);
CREATE TABLE IF NOT EXISTS verdicts(
  seq INTEGER PRIMARY KEY REFERENCES audit_queue(seq), reviewer TEXT NOT NULL, label TEXT NOT NULL,
  category TEXT NOT NULL, note TEXT NOT NULL, time TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS reviewers(name TEXT PRIMARY KEY, password TEXT NOT NULL, created TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS review_sessions(
  token_sha256 TEXT PRIMARY KEY, reviewer TEXT NOT NULL REFERENCES reviewers(name), csrf TEXT NOT NULL,
  expires INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS api_keys(
  id TEXT PRIMARY KEY, name TEXT NOT NULL, secret_sha256 TEXT NOT NULL UNIQUE, created TEXT NOT NULL,
  revoked INTEGER NOT NULL DEFAULT 0, rate_per_minute INTEGER NOT NULL DEFAULT 0);
)sql";

constexpr const char* kColumns =
    "seq, time, request_id, key_id, user, model, model_sha256, safeguards_sha256, action, stage, monitor, "
    "cut_token, released_tokens, scores_json, request_json, prompt, response, hash_only, prev_hash, hash";

DecisionRecord FromRow(const Statement& s) {
  DecisionRecord r;
  int c = 0;
  r.seq = s.Int(c++);
  r.time = s.Text(c++);
  r.request_id = s.Text(c++);
  r.key_id = s.Text(c++);
  r.user = s.Text(c++);
  r.model = s.Text(c++);
  r.model_sha256 = s.Text(c++);
  r.safeguards_sha256 = s.Text(c++);
  r.action = s.Text(c++);
  r.stage = s.Text(c++);
  r.monitor = s.Text(c++);
  r.cut_token = s.Int(c++);
  r.released_tokens = s.Int(c++);
  r.scores_json = s.Text(c++);
  r.request_json = s.Text(c++);
  r.prompt = s.Text(c++);
  r.response = s.Text(c++);
  r.hash_only = s.Int(c++) != 0;
  r.prev_hash = s.Text(c++);
  r.hash = s.Text(c++);
  return r;
}

ApiKey KeyFromRow(const Statement& s) {
  ApiKey k;
  k.id = s.Text(0);
  k.name = s.Text(1);
  k.created = s.Text(2);
  k.revoked = s.Int(3) != 0;
  k.rate_per_minute = s.Int(4);
  return k;
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
  if (sqlite3_open_v2(path.c_str(), &db->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    return Status::IoError(path + ": cannot open the store: " + (db->db ? sqlite3_errmsg(db->db) : "out of memory"));
  }
  sqlite3_busy_timeout(db->db, 10000);
  // WAL with synchronous=FULL: a COMMIT that returned survives a crash or kill -9.
  if (Status s = Exec(db->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", path); !s.ok()) {
    return Status::Corrupt(path + ": not a SQLite database (" + s.message() + ")");
  }
  WARDEN_RETURN_IF_ERROR(Exec(db->db, kSchema, path));
  {
    Statement s(db->db, "SELECT v FROM meta WHERE k='format'", path);
    if (s.Step()) {
      if (s.Text(0) != kFormat) return Status::Corrupt(path + ": store format '" + s.Text(0) + "', expected " + kFormat);
    } else {
      WARDEN_RETURN_IF_ERROR(s.status());
      Statement w(db->db, "INSERT OR IGNORE INTO meta(k, v) VALUES('format', ?)", path);
      w.Bind(kFormat).Step();
      WARDEN_RETURN_IF_ERROR(w.status());
    }
  }
  return std::unique_ptr<Store>(new Store(path, std::move(db), options));
}

Status Store::Append(DecisionRecord* r, AuditItem* audit) {
  std::lock_guard<std::mutex> lock(db_->mu);
  if (options_.hash_only && !r->hash_only) {
    r->request_json = Sha256Hex(r->request_json);
    r->prompt = Sha256Hex(r->prompt);
    r->response = Sha256Hex(r->response);
    r->hash_only = true;
  }
  if (r->time.empty()) r->time = UtcNow();
  WARDEN_RETURN_IF_ERROR(Exec(db_->db, "BEGIN IMMEDIATE", path_));
  auto fail = [&](Status s) {
    (void)Exec(db_->db, "ROLLBACK", path_);
    return s;
  };
  Statement last(db_->db, "SELECT seq, hash FROM decisions ORDER BY seq DESC LIMIT 1", path_);
  if (last.Step()) {
    r->seq = last.Int(0) + 1;
    r->prev_hash = last.Text(1);
  } else {
    if (!last.status().ok()) return fail(last.status());
    r->seq = 1;
    r->prev_hash = kGenesis;
  }
  r->hash = Sha256Hex(HashedForm(*r));
  Statement ins(db_->db,
                std::string("INSERT INTO decisions(") + kColumns + ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                path_);
  ins.Bind(r->seq).Bind(r->time).Bind(r->request_id).Bind(r->key_id).Bind(r->user).Bind(r->model);
  ins.Bind(r->model_sha256).Bind(r->safeguards_sha256).Bind(r->action).Bind(r->stage).Bind(r->monitor);
  ins.Bind(r->cut_token).Bind(r->released_tokens).Bind(r->scores_json).Bind(r->request_json).Bind(r->prompt);
  ins.Bind(r->response);
  ins.Bind(static_cast<int64_t>(r->hash_only ? 1 : 0)).Bind(r->prev_hash).Bind(r->hash);
  ins.Step();
  if (!ins.status().ok()) return fail(ins.status());
  if (audit != nullptr) {
    audit->seq = r->seq;
    audit->admitted = r->time;
    Statement q(db_->db, "INSERT INTO audit_queue(seq, priority, reason, stratum, inclusion, admitted) VALUES(?,?,?,?,?,?)", path_);
    q.Bind(audit->seq).Bind(audit->priority).Bind(audit->reason).Bind(audit->stratum).Bind(audit->inclusion).Bind(audit->admitted);
    q.Step();
    if (!q.status().ok()) return fail(q.status());
  }
  if (Status s = Exec(db_->db, "COMMIT", path_); !s.ok()) return fail(s);
  return Status::Ok();
}

Result<std::vector<DecisionRecord>> Store::Records(int64_t from, int64_t to) const {
  std::lock_guard<std::mutex> lock(db_->mu);
  Statement s(db_->db, std::string("SELECT ") + kColumns + " FROM decisions WHERE seq >= ? AND seq <= ? ORDER BY seq",
              path_);
  s.Bind(from).Bind(to < 0 ? INT64_MAX : to);
  std::vector<DecisionRecord> out;
  while (s.Step()) out.push_back(FromRow(s));
  WARDEN_RETURN_IF_ERROR(s.status());
  return out;
}

Result<DecisionRecord> Store::Record(int64_t seq) const {
  WARDEN_ASSIGN_OR_RETURN(std::vector<DecisionRecord> one, Records(seq, seq));
  if (one.empty()) return Status::NotFound(path_ + ": no decision record " + std::to_string(seq));
  return one.front();
}

Result<int64_t> Store::Count() const {
  std::lock_guard<std::mutex> lock(db_->mu);
  Statement s(db_->db, "SELECT COUNT(*) FROM decisions", path_);
  int64_t n = s.Step() ? s.Int(0) : 0;
  WARDEN_RETURN_IF_ERROR(s.status());
  return n;
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
  Statement s(db_->db, "INSERT INTO api_keys(id, name, secret_sha256, created, rate_per_minute) VALUES(?,?,?,?,?)", path_);
  s.Bind(k.id).Bind(k.name).Bind(Sha256Hex(secret)).Bind(k.created).Bind(k.rate_per_minute).Step();
  WARDEN_RETURN_IF_ERROR(s.status());
  return std::make_pair(k, secret);
}

Result<std::vector<ApiKey>> Store::Keys() const {
  std::lock_guard<std::mutex> lock(db_->mu);
  Statement s(db_->db, "SELECT id, name, created, revoked, rate_per_minute FROM api_keys ORDER BY created, id", path_);
  std::vector<ApiKey> out;
  while (s.Step()) out.push_back(KeyFromRow(s));
  WARDEN_RETURN_IF_ERROR(s.status());
  return out;
}

Status Store::RevokeKey(const std::string& id) {
  std::lock_guard<std::mutex> lock(db_->mu);
  Statement s(db_->db, "UPDATE api_keys SET revoked = 1 WHERE id = ?", path_);
  s.Bind(id).Step();
  WARDEN_RETURN_IF_ERROR(s.status());
  if (sqlite3_changes(db_->db) == 0) return Status::NotFound(path_ + ": no API key with id '" + id + "'");
  return Status::Ok();
}

Result<ApiKey> Store::Authenticate(const std::string& secret) const {
  std::lock_guard<std::mutex> lock(db_->mu);
  Statement s(db_->db, "SELECT id, name, created, revoked, rate_per_minute FROM api_keys WHERE secret_sha256 = ?", path_);
  s.Bind(Sha256Hex(secret));
  if (!s.Step()) {
    WARDEN_RETURN_IF_ERROR(s.status());
    return Status::PermissionDenied("invalid API key");
  }
  ApiKey k = KeyFromRow(s);
  if (k.revoked) return Status::PermissionDenied("API key " + k.id + " has been revoked");
  return k;
}

Result<bool> Store::HasKeys() const {
  std::lock_guard<std::mutex> lock(db_->mu);
  Statement s(db_->db, "SELECT COUNT(*) FROM api_keys", path_);
  const bool any = s.Step() && s.Int(0) > 0;
  WARDEN_RETURN_IF_ERROR(s.status());
  return any;
}

}  // namespace warden::store
