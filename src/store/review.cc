// The human review side of the store (store.h): the audit queue, verdicts, reviewer accounts
// and their sessions.
#include <sodium.h>

#include <cctype>

#include "store/db.h"
#include "warden/base/clock.h"
#include "warden/base/crypto.h"
#include "warden/base/sha256.h"

namespace warden::store {

using internal::Exec;
using internal::Statement;

namespace {

constexpr const char* kItemColumns = "seq, priority, reason, stratum, inclusion, admitted, reviewed";

AuditItem ItemFromRow(const Statement& s) {
  AuditItem a;
  a.seq = s.Int(0);
  a.priority = s.Double(1);
  a.reason = s.Text(2);
  a.stratum = s.Text(3);
  a.inclusion = s.Double(4);
  a.admitted = s.Text(5);
  a.reviewed = s.Int(6) != 0;
  return a;
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
  Statement s(db_->db,
              std::string("SELECT ") + kItemColumns + " FROM audit_queue" + (open_only ? " WHERE reviewed = 0" : "") +
                  " ORDER BY priority DESC, seq LIMIT ?",
              path_);
  s.Bind(limit < 0 ? INT64_MAX : limit);
  std::vector<AuditItem> out;
  while (s.Step()) out.push_back(ItemFromRow(s));
  WARDEN_RETURN_IF_ERROR(s.status());
  return out;
}

Result<AuditItem> Store::QueueItem(int64_t seq) const {
  std::lock_guard<std::mutex> lock(db_->mu);
  Statement s(db_->db, std::string("SELECT ") + kItemColumns + " FROM audit_queue WHERE seq = ?", path_);
  s.Bind(seq);
  if (!s.Step()) {
    WARDEN_RETURN_IF_ERROR(s.status());
    return Status::NotFound("decision record " + std::to_string(seq) + " is not in the audit queue");
  }
  return ItemFromRow(s);
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
  WARDEN_RETURN_IF_ERROR(Exec(db_->db, "BEGIN IMMEDIATE", path_));
  auto fail = [&](Status s) {
    (void)Exec(db_->db, "ROLLBACK", path_);
    return s;
  };
  // Closing the item is the claim: of two reviewers (or gateways) only one changes a row.
  Statement close(db_->db, "UPDATE audit_queue SET reviewed = 1 WHERE seq = ? AND reviewed = 0", path_);
  close.Bind(v->seq).Step();
  if (!close.status().ok()) return fail(close.status());
  if (sqlite3_changes(db_->db) == 0) {
    Statement exists(db_->db, "SELECT 1 FROM audit_queue WHERE seq = ?", path_);
    const bool queued = exists.Bind(v->seq).Step();
    return fail(queued ? Status::FailedPrecondition("decision record " + std::to_string(v->seq) + " has already been reviewed")
                       : Status::NotFound("decision record " + std::to_string(v->seq) + " is not in the audit queue"));
  }
  Statement ins(db_->db, "INSERT INTO verdicts(seq, reviewer, label, category, note, time) VALUES(?,?,?,?,?,?)", path_);
  ins.Bind(v->seq).Bind(v->reviewer).Bind(v->label).Bind(v->category).Bind(v->note).Bind(v->time).Step();
  if (!ins.status().ok()) return fail(ins.status());
  if (Status s = Exec(db_->db, "COMMIT", path_); !s.ok()) return fail(s);
  return Status::Ok();
}

Result<std::vector<Verdict>> Store::Verdicts() const {
  std::lock_guard<std::mutex> lock(db_->mu);
  Statement s(db_->db, "SELECT seq, reviewer, label, category, note, time FROM verdicts ORDER BY seq", path_);
  std::vector<Verdict> out;
  while (s.Step()) out.push_back({s.Int(0), s.Text(1), s.Text(2), s.Text(3), s.Text(4), s.Text(5)});
  WARDEN_RETURN_IF_ERROR(s.status());
  return out;
}

Result<std::optional<Verdict>> Store::VerdictOn(int64_t seq) const {
  std::lock_guard<std::mutex> lock(db_->mu);
  Statement s(db_->db, "SELECT seq, reviewer, label, category, note, time FROM verdicts WHERE seq = ?", path_);
  if (!s.Bind(seq).Step()) {
    WARDEN_RETURN_IF_ERROR(s.status());
    return std::optional<Verdict>();
  }
  return std::optional<Verdict>(Verdict{s.Int(0), s.Text(1), s.Text(2), s.Text(3), s.Text(4), s.Text(5)});
}

Result<std::pair<int64_t, int64_t>> Store::QueueCounts() const {
  std::lock_guard<std::mutex> lock(db_->mu);
  Statement s(db_->db, "SELECT COALESCE(SUM(reviewed = 0), 0), COALESCE(SUM(reviewed), 0) FROM audit_queue", path_);
  const bool row = s.Step();
  WARDEN_RETURN_IF_ERROR(s.status());
  return row ? std::make_pair(s.Int(0), s.Int(1)) : std::make_pair(int64_t{0}, int64_t{0});
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
  Statement s(db_->db, "INSERT INTO reviewers(name, password, created) VALUES(?,?,?)", path_);
  s.Bind(name).Bind(std::string(hashed)).Bind(UtcNow()).Step();
  if (!s.status().ok()) {
    if (s.status().message().find("UNIQUE") != std::string::npos) {
      return Status::FailedPrecondition("reviewer '" + name + "' exists already");
    }
    return s.status();
  }
  return Status::Ok();
}

Result<std::vector<std::string>> Store::Reviewers() const {
  std::lock_guard<std::mutex> lock(db_->mu);
  Statement s(db_->db, "SELECT name FROM reviewers ORDER BY name", path_);
  std::vector<std::string> out;
  while (s.Step()) out.push_back(s.Text(0));
  WARDEN_RETURN_IF_ERROR(s.status());
  return out;
}

Result<std::pair<std::string, ReviewSession>> Store::Login(const std::string& name, const std::string& password,
                                                           int64_t ttl_seconds) {
  const Status denied = Status::PermissionDenied("wrong reviewer name or password");
  std::string stored;
  {
    std::lock_guard<std::mutex> lock(db_->mu);
    Statement s(db_->db, "SELECT password FROM reviewers WHERE name = ?", path_);
    if (!s.Bind(name).Step()) {
      WARDEN_RETURN_IF_ERROR(s.status());
      return denied;
    }
    stored = s.Text(0);
  }
  // Verified outside the lock: Argon2id takes tens of milliseconds by design.
  if (crypto_pwhash_str_verify(stored.c_str(), password.data(), password.size()) != 0) return denied;
  const std::string token = RandomHex(32);
  ReviewSession session{name, RandomHex(32), UnixNow() + ttl_seconds};
  std::lock_guard<std::mutex> lock(db_->mu);
  Statement prune(db_->db, "DELETE FROM review_sessions WHERE expires <= ?", path_);
  prune.Bind(UnixNow()).Step();
  WARDEN_RETURN_IF_ERROR(prune.status());
  Statement s(db_->db, "INSERT INTO review_sessions(token_sha256, reviewer, csrf, expires) VALUES(?,?,?,?)", path_);
  s.Bind(Sha256Hex(token)).Bind(session.reviewer).Bind(session.csrf).Bind(session.expires).Step();
  WARDEN_RETURN_IF_ERROR(s.status());
  return std::make_pair(token, session);
}

Result<ReviewSession> Store::Session(const std::string& token) const {
  std::lock_guard<std::mutex> lock(db_->mu);
  Statement s(db_->db, "SELECT reviewer, csrf, expires FROM review_sessions WHERE token_sha256 = ?", path_);
  if (!s.Bind(Sha256Hex(token)).Step()) {
    WARDEN_RETURN_IF_ERROR(s.status());
    return Status::PermissionDenied("not logged in");
  }
  ReviewSession session{s.Text(0), s.Text(1), s.Int(2)};
  if (session.expires <= UnixNow()) return Status::PermissionDenied("the session has expired: log in again");
  return session;
}

Status Store::Logout(const std::string& token) {
  std::lock_guard<std::mutex> lock(db_->mu);
  Statement s(db_->db, "DELETE FROM review_sessions WHERE token_sha256 = ?", path_);
  s.Bind(Sha256Hex(token)).Step();
  return s.status();
}

}  // namespace warden::store
