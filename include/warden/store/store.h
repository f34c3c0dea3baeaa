// The gateway's durable state in one SQLite file (the embedded default; PostgreSQL arrives with
// issue 17): every safeguard decision as a hash-chained record, and the API keys, hashed.
//
//   Store s = Store::Open("serve.db").value();
//   DecisionRecord r; r.action = "block"; r.stage = "input"; ...
//   s.Append(r);                      // committed (fsync'd, WAL) before it returns
//   s.Verify();                       // the first record whose hash or link does not hold
//
// Hash chain: record i's `hash` is sha256 over the canonical JSON of its fields (hash excluded)
// including `prev_hash`, record i-1's hash (64 zeros for the first). Editing any byte of a stored
// record, deleting or reordering one, breaks the chain at that record, which Verify names.
// Hash-only mode stores sha256 of the request, prompt and response instead of their text.
//
// Thread-safety: one Store may be used from many threads (calls are serialised); several
// processes may open one file (SQLite's locking; appends stay chained under BEGIN IMMEDIATE).
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

struct StoreOptions {
  bool hash_only = false;  // keep sha256 of prompts and responses, never their text
};

class Store {
 public:
  // Creates the file and its tables when missing. A file that is not a warden store (or not
  // SQLite) is a Corrupt error naming it.
  static Result<std::unique_ptr<Store>> Open(const std::string& path, const StoreOptions& options = {});
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::string& path() const { return path_; }

  // Appends and commits one record; fills its seq, time, prev_hash and hash (and replaces its
  // prompt/response by their sha256 in hash-only mode).
  Status Append(DecisionRecord* record);
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

  // The canonical form a record's hash covers (exposed for tests and `audit verify`).
  static std::string HashedForm(const DecisionRecord& r);

 private:
  struct Db;
  Store(std::string path, std::unique_ptr<Db> db, StoreOptions options);
  std::string path_;
  std::unique_ptr<Db> db_;
  StoreOptions options_;
};

}  // namespace warden::store
