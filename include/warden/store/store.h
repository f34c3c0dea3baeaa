// The gateway's durable state: every safeguard decision as a hash-chained record, the API keys
// (hashed), the human review side (the audit queue, reviewer accounts and sessions, verdicts:
// review.cc) and per-user state (each user's risk over time, rate-limit buckets: users.cc).
// Two back-ends behind one seam (src/store/database.h): a SQLite file (the embedded default) or
// a PostgreSQL server, which many gateways share.
//
//   Store s = Store::Open("serve.db").value();                       // SQLite
//   Store s = Store::Open("postgresql://warden@db/warden").value();  // PostgreSQL (a libpq URI)
//   DecisionRecord r; r.action = "block"; r.stage = "input"; ...
//   s.Append(r);                      // committed (fsync'd, WAL) before it returns
//   s.Verify();                       // the first record whose hash or link does not hold
//
// Hash chain: record i's `hash` is sha256 over the canonical JSON of its fields (hash excluded)
// including `prev_hash`, record i-1's hash (64 zeros for the first). Editing any byte of a stored
// record, deleting or reordering one, breaks the chain at that record, which Verify names.
// Hash-only mode stores sha256 of the request, prompt and response instead of their text.
//
// Thread-safety: one Store may be used from many threads (calls are serialised on its one
// connection); several processes may open one file or server (appends stay chained: SQLite's
// BEGIN IMMEDIATE, PostgreSQL's advisory lock, inside the append's transaction).
// Durability: a record whose Append returned is committed (SQLite: WAL, synchronous=FULL;
// PostgreSQL: its commit, with the server's own fsync settings).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "warden/base/status.h"

namespace warden::store {

struct DecisionRecord {
  int64_t seq = 0;               // assigned by Append: 1, 2, ...
  std::string time;              // RFC 3339 UTC, assigned by Append when empty
  std::string request_id;        // "chatcmpl-..." as the client saw it
  std::string key_id;            // the API key's id ("" when the server runs without keys)
  std::string user;              // the request's `user` / `safety_identifier`
  std::string model;             // the served model's name
  std::string model_sha256;
  std::string safeguards_sha256;
  std::string action;            // "allow" | "block" | "cut" | "error" | "abandoned" (the client left)
  std::string stage;             // "input" | "output" | "" (allow)
  std::string monitor;           // the safeguard that decided ("" for allow)
  int64_t cut_token = -1;        // index of the generated token the output monitor fired on
  int64_t released_tokens = 0;   // generated tokens the client received
  std::string scores_json;       // every safeguard's score, threshold and error, as JSON
  std::string request_json;      // the request as the guard took it (messages, sampling), for replay
  std::string prompt;            // the rendered request (or its sha256 in hash-only mode)
  std::string response;          // the released text (or its sha256)
  bool hash_only = false;
  std::string prev_hash;         // set by Append
  std::string hash;              // set by Append
};

struct ApiKey {
  std::string id;                // "key_<12 hex>", shown and logged; the secret is never stored
  std::string name;
  std::string created;
  bool revoked = false;
  int64_t rate_per_minute = 0;   // 0: no limit
};

// One decision record waiting for (or given) a human verdict. Admitted with its record, in the
// same transaction (Append's `audit`), so a committed record's queue entry is never lost.
struct AuditItem {
  int64_t seq = 0;            // the decision record's seq (set by Append)
  double priority = 0;        // the record's risk (guard/audit.h): higher is reviewed first
  std::string reason;         // "risk" (at or above the risk threshold) | "sample" (random, allowed traffic)
  std::string stratum;        // the sampling band it was drawn from ("" for risk items)
  double inclusion = 1;       // the probability this record had of being admitted (1 for risk items)
  std::string admitted;       // RFC 3339 UTC, set by Append
  bool reviewed = false;
};

struct Verdict {
  int64_t seq = 0;
  std::string reviewer;
  std::string label;          // "harmful" | "benign" | "unsure"
  std::string category;       // an MLCommons hazard code (S1-S14) for "harmful" ("" if unknown), else ""
  std::string note;
  std::string time;           // set by SubmitVerdict
};

struct ReviewSession {
  std::string reviewer;
  std::string csrf;           // the token every form of this session must send back
  int64_t expires = 0;        // Unix seconds
};

// One request's risk (guard/audit.h's RecordRisk), filed under the user it came from: the API
// key's id and the request's `user` (guard/users.h). Kept with its record (same transaction).
struct UserEvent {
  std::string subject;
  double risk = 0;
};

// A user's requests since a time: how many, how many at or above a watched risk, the highest.
struct UserActivity {
  int64_t requests = 0;
  int64_t watched = 0;
  double max_risk = 0;  // 0 when there were none
};

struct StoreOptions {
  bool hash_only = false;  // keep sha256 of prompts and responses, never their text
};

class Store {
 public:
  // `path` is a SQLite file (created with its tables when missing) or a postgresql:// URI (the
  // tables created when missing). A file that is not a warden store (or not SQLite) is a Corrupt
  // error naming it; a server that cannot be reached, Unavailable naming it (password hidden).
  static Result<std::unique_ptr<Store>> Open(const std::string& path, const StoreOptions& options = {});
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // The file, or the URI without its password.
  const std::string& path() const { return path_; }
  // Whether other gateways may share this store (PostgreSQL): rate limits then live in it.
  bool shared() const;

  // Appends and commits one record; fills its seq, time, prev_hash and hash (and replaces its
  // prompt/response by their sha256 in hash-only mode).
  // With `audit`, the record also enters the audit queue; with `user`, its risk is filed under
  // the user (both in the same transaction; audit->seq is set).
  Status Append(DecisionRecord* record, AuditItem* audit = nullptr, const UserEvent* user = nullptr);
  // Records with seq in [from, to] (to < 0: to the end), in order.
  Result<std::vector<DecisionRecord>> Records(int64_t from = 1, int64_t to = -1) const;
  Result<int64_t> Count() const;

  struct Verification {
    int64_t records = 0;
    int64_t first_bad = 0;   // 0: the chain holds
    std::string problem;     // what is wrong with first_bad
    std::string head;        // the last record's hash when it holds
  };
  Result<Verification> Verify() const;

  // API keys. AddKey returns the secret ("wk-" + 48 hex), shown once; the store keeps its sha256.
  Result<std::pair<ApiKey, std::string>> AddKey(const std::string& name, int64_t rate_per_minute = 0);
  Result<std::vector<ApiKey>> Keys() const;
  Status RevokeKey(const std::string& id);
  // The key a secret belongs to; PermissionDenied for an unknown or revoked secret (the gateway answers 401).
  Result<ApiKey> Authenticate(const std::string& secret) const;
  // Whether any key exists (a server with keys requires one on every request).
  Result<bool> HasKeys() const;

  // The audit queue (review.cc). Items by priority, highest first (ties: oldest first).
  Result<std::vector<AuditItem>> Queue(bool open_only = true, int64_t limit = 100) const;
  // The item for a record; NotFound when the record was never queued.
  Result<AuditItem> QueueItem(int64_t seq) const;
  Result<DecisionRecord> Record(int64_t seq) const;
  // Stores a verdict and closes its item, once: a second verdict on the same item is
  // FailedPrecondition ("already reviewed"), also when two gateways race for it. A label outside
  // harmful/benign/unsure, a category other than S1-S14, or a category on a label other than
  // harmful is InvalidArgument naming the field. (The review page also requires a category for
  // harmful; a scripted verdict from ground truth may not know one.)
  Status SubmitVerdict(Verdict* verdict);
  Result<std::vector<Verdict>> Verdicts() const;
  // The verdict on one record, or nullopt when it has none.
  Result<std::optional<Verdict>> VerdictOn(int64_t seq) const;
  // How many queue items are open and how many reviewed.
  Result<std::pair<int64_t, int64_t>> QueueCounts() const;

  // Per-user state (users.cc). A subject's events with time >= `since` (Unix seconds).
  Result<UserActivity> Activity(const std::string& subject, int64_t since, double watch_risk) const;
  // Takes one request from `who`'s token bucket (`rate_per_minute`, bursts up to it) at `now`
  // (Unix seconds, wall clock: gateways on different machines share it). Returns 0 when admitted,
  // else the whole seconds until one request will be (at least 1). Atomic across gateways.
  Result<int> TakeRateToken(const std::string& who, double rate_per_minute, double now);

  // Reviewer accounts: passwords kept as libsodium's Argon2id strings (crypto_pwhash_str).
  // Names are 1-64 characters of [A-Za-z0-9._-]; passwords at least 12 characters.
  Status AddReviewer(const std::string& name, const std::string& password);
  Result<std::vector<std::string>> Reviewers() const;
  // A new session for a correct name and password (PermissionDenied otherwise, the same message
  // either way): the secret token goes in the reviewer's cookie; the store keeps its sha256.
  Result<std::pair<std::string, ReviewSession>> Login(const std::string& name, const std::string& password,
                                                      int64_t ttl_seconds);
  // The live session a token belongs to; PermissionDenied when unknown or expired.
  Result<ReviewSession> Session(const std::string& token) const;
  Status Logout(const std::string& token);

  // The canonical form a record's hash covers (exposed for tests and `audit verify`).
  static std::string HashedForm(const DecisionRecord& r);

 private:
  struct Db;
  Store(std::string path, std::unique_ptr<Db> db, StoreOptions options);
  std::string path_;
  std::unique_ptr<Db> db_;
  StoreOptions options_;
  uint64_t rate_takes_ = 0;  // guarded by Db::mu
};

}  // namespace warden::store
