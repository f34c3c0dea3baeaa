// The human review side of the store (store.h): the audit queue, verdicts, reviewer accounts
// and their sessions.
#include <sodium.h>

#include <cctype>

#include "store/db.h"
#include "warden/base/clock.h"
#include "warden/base/crypto.h"
#include "warden/base/sha256.h"

namespace warden::store {

using internal::Rows;

namespace {

constexpr const char* kItemColumns = "seq, priority, reason, stratum, inclusion, admitted, reviewed";

AuditItem ItemFromRow(const Rows& rows, size_t i) {
  AuditItem a;
  a.seq = rows.Int(i, 0);
  a.priority = rows.Double(i, 1);
  a.reason = rows.Text(i, 2);
  a.stratum = rows.Text(i, 3);
  a.inclusion = rows.Double(i, 4);
  a.admitted = rows.Text(i, 5);
  a.reviewed = rows.Int(i, 6) != 0;
  return a;
}

Verdict VerdictFromRow(const Rows& rows, size_t i) {
  return {rows.Int(i, 0), rows.Text(i, 1), rows.Text(i, 2), rows.Text(i, 3), rows.Text(i, 4), rows.Text(i, 5)};
}

std::string RandomHex(size_t bytes) {
  std::string b(bytes, '\0');
  randombytes_buf(b.data(), b.size());
  return HexEncode(b);
}

bool ValidCategory(const std::string& c) {
  if (c.size() < 2 || c.size() > 3 || c[0] != 'S') return false;
  for (size_t i = 1; i < c.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(c[i]))) return false;
  }
  const int n = std::stoi(c.substr(1));
  return n >= 1 && n <= 14 && std::to_string(n) == c.substr(1);
}

}  // namespace

Result<std::vector<AuditItem>> Store::Queue(bool open_only, int64_t limit) const {
  std::lock_guard<std::mutex> lock(db_->mu);
  WARDEN_ASSIGN_OR_RETURN(Rows rows, db_->sql->Run(std::string("SELECT ") + kItemColumns + " FROM audit_queue" +
                                                       (open_only ? " WHERE reviewed = 0" : "") +
                                                       " ORDER BY priority DESC, seq LIMIT ?",
                                                   {limit < 0 ? INT64_MAX : limit}));
  std::vector<AuditItem> out;
  for (size_t i = 0; i < rows.size(); ++i) out.push_back(ItemFromRow(rows, i));
  return out;
}

Result<AuditItem> Store::QueueItem(int64_t seq) const {
  std::lock_guard<std::mutex> lock(db_->mu);
  WARDEN_ASSIGN_OR_RETURN(Rows rows,
                          db_->sql->Run(std::string("SELECT ") + kItemColumns + " FROM audit_queue WHERE seq = ?", {seq}));
  if (rows.empty()) return Status::NotFound("decision record " + std::to_string(seq) + " is not in the audit queue");
  return ItemFromRow(rows, 0);
}

Status Store::SubmitVerdict(Verdict* v) {
  if (v->label != "harmful" && v->label != "benign" && v->label != "unsure") {
    return Status::InvalidArgument("label: '" + v->label + "' is not one of harmful, benign, unsure");
  }
  if (v->label == "harmful" && !v->category.empty() && !ValidCategory(v->category)) {
    return Status::InvalidArgument("category: '" + v->category + "' is not a hazard category S1-S14");
  }
  if (v->label != "harmful" && !v->category.empty()) {
    return Status::InvalidArgument("category: only a harmful verdict has a category");
  }
  if (v->note.size() > 4000) return Status::InvalidArgument("note: longer than 4000 bytes");
  if (v->reviewer.empty()) return Status::InvalidArgument("reviewer: missing");
  v->time = UtcNow();
  std::lock_guard<std::mutex> lock(db_->mu);
  internal::Database& sql = *db_->sql;
  return db_->InWrite([&]() -> Status {
    // Closing the item is the claim: of two reviewers (or gateways) only one changes a row.
    WARDEN_ASSIGN_OR_RETURN(Rows closed, sql.Run("UPDATE audit_queue SET reviewed = 1 WHERE seq = ? AND reviewed = 0", {v->seq}));
    if (closed.changed == 0) {
      WARDEN_ASSIGN_OR_RETURN(Rows exists, sql.Run("SELECT 1 FROM audit_queue WHERE seq = ?", {v->seq}));
      return !exists.empty()
                 ? Status::FailedPrecondition("decision record " + std::to_string(v->seq) + " has already been reviewed")
                 : Status::NotFound("decision record " + std::to_string(v->seq) + " is not in the audit queue");
    }
    return sql.Run("INSERT INTO verdicts(seq, reviewer, label, category, note, time) VALUES(?,?,?,?,?,?)",
                   {v->seq, v->reviewer, v->label, v->category, v->note, v->time})
        .status();
  });
}

Result<std::vector<Verdict>> Store::Verdicts() const {
  std::lock_guard<std::mutex> lock(db_->mu);
  WARDEN_ASSIGN_OR_RETURN(Rows rows,
                          db_->sql->Run("SELECT seq, reviewer, label, category, note, time FROM verdicts ORDER BY seq"));
  std::vector<Verdict> out;
  for (size_t i = 0; i < rows.size(); ++i) out.push_back(VerdictFromRow(rows, i));
  return out;
}

Result<std::optional<Verdict>> Store::VerdictOn(int64_t seq) const {
  std::lock_guard<std::mutex> lock(db_->mu);
  WARDEN_ASSIGN_OR_RETURN(Rows rows,
                          db_->sql->Run("SELECT seq, reviewer, label, category, note, time FROM verdicts WHERE seq = ?", {seq}));
  if (rows.empty()) return std::optional<Verdict>();
  return std::optional<Verdict>(VerdictFromRow(rows, 0));
}

Result<std::pair<int64_t, int64_t>> Store::QueueCounts() const {
  std::lock_guard<std::mutex> lock(db_->mu);
  WARDEN_ASSIGN_OR_RETURN(Rows rows, db_->sql->Run("SELECT COALESCE(SUM(CASE WHEN reviewed = 0 THEN 1 ELSE 0 END), 0), "
                                                   "COALESCE(SUM(reviewed), 0) FROM audit_queue"));
  if (rows.empty()) return std::make_pair(int64_t{0}, int64_t{0});
  return std::make_pair(rows.Int(0, 0), rows.Int(0, 1));
}

Status Store::AddReviewer(const std::string& name, const std::string& password) {
  if (name.empty() || name.size() > 64) return Status::InvalidArgument("reviewer name: 1 to 64 characters");
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return Status::InvalidArgument("reviewer name: only letters, digits, '.', '_' and '-'");
    }
  }
  if (password.size() < 12) return Status::InvalidArgument("password: at least 12 characters");
  if (sodium_init() < 0) return Status::Internal("libsodium failed to initialise");
  char hashed[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(hashed, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    return Status::ResourceExhausted("not enough memory to hash the password");
  }
  std::lock_guard<std::mutex> lock(db_->mu);
  Result<Rows> added = db_->sql->Run("INSERT INTO reviewers(name, password, created) VALUES(?,?,?)",
                                     {name, std::string(hashed), UtcNow()});
  if (!added.ok() && added.status().code() == StatusCode::kFailedPrecondition) {
    return Status::FailedPrecondition("reviewer '" + name + "' exists already");
  }
  return added.status();
}

Result<std::vector<std::string>> Store::Reviewers() const {
  std::lock_guard<std::mutex> lock(db_->mu);
  WARDEN_ASSIGN_OR_RETURN(Rows rows, db_->sql->Run("SELECT name FROM reviewers ORDER BY name"));
  std::vector<std::string> out;
  for (size_t i = 0; i < rows.size(); ++i) out.push_back(rows.Text(i, 0));
  return out;
}

Result<std::pair<std::string, ReviewSession>> Store::Login(const std::string& name, const std::string& password,
                                                           int64_t ttl_seconds) {
  const Status denied = Status::PermissionDenied("wrong reviewer name or password");
  std::string stored;
  {
    std::lock_guard<std::mutex> lock(db_->mu);
    WARDEN_ASSIGN_OR_RETURN(Rows rows, db_->sql->Run("SELECT password FROM reviewers WHERE name = ?", {name}));
    if (rows.empty()) return denied;
    stored = rows.Text(0, 0);
  }
  // Verified outside the lock: Argon2id takes tens of milliseconds by design.
  if (crypto_pwhash_str_verify(stored.c_str(), password.data(), password.size()) != 0) return denied;
  const std::string token = RandomHex(32);
  ReviewSession session{name, RandomHex(32), UnixNow() + ttl_seconds};
  std::lock_guard<std::mutex> lock(db_->mu);
  WARDEN_RETURN_IF_ERROR(db_->sql->Run("DELETE FROM review_sessions WHERE expires <= ?", {UnixNow()}).status());
  WARDEN_RETURN_IF_ERROR(db_->sql->Run("INSERT INTO review_sessions(token_sha256, reviewer, csrf, expires) VALUES(?,?,?,?)",
                                       {Sha256Hex(token), session.reviewer, session.csrf, session.expires})
                             .status());
  return std::make_pair(token, session);
}

Result<ReviewSession> Store::Session(const std::string& token) const {
  std::lock_guard<std::mutex> lock(db_->mu);
  WARDEN_ASSIGN_OR_RETURN(Rows rows, db_->sql->Run("SELECT reviewer, csrf, expires FROM review_sessions "
                                                   "WHERE token_sha256 = ?",
                                                   {Sha256Hex(token)}));
  if (rows.empty()) return Status::PermissionDenied("not logged in");
  ReviewSession session{rows.Text(0, 0), rows.Text(0, 1), rows.Int(0, 2)};
  if (session.expires <= UnixNow()) return Status::PermissionDenied("the session has expired: log in again");
  return session;
}

Status Store::Logout(const std::string& token) {
  std::lock_guard<std::mutex> lock(db_->mu);
  return db_->sql->Run("DELETE FROM review_sessions WHERE token_sha256 = ?", {Sha256Hex(token)}).status();
}

}  // namespace warden::store
