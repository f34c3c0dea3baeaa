// Replay: recorded traffic re-decided under another safeguards file, the way to tune thresholds
// and to show what a change would have done. Each decision record keeps the request as the guard
// took it (request_json); replay submits it again to a guard with the new safeguards (no store)
// and reports every request whose decision changes.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "warden/base/status.h"
#include "warden/guard/guard.h"
#include "warden/store/store.h"

namespace warden::guard {

// The request as stored in a decision record, and back (errors name the field).
nlohmann::json RequestToJson(const GuardRequest& r);
Result<GuardRequest> RequestFromJson(const nlohmann::json& j, const std::string& where);

struct ReplayChange {
  int64_t seq = 0;
  std::string request_id;
  std::string before, after;                    // actions
  std::string before_safeguard, after_safeguard;
};

struct ReplayReport {
  int64_t replayed = 0;
  int64_t skipped = 0;   // hash-only records (no request to replay)
  std::map<std::string, int64_t> before, after;  // counts by action
  std::vector<ReplayChange> changes;
};

// Replays `records` through `guard` (built with the safeguards under test; its own store may be
// null). Records of another model (by sha256) are an error: their decisions are not comparable.
Result<ReplayReport> Replay(Guard& guard, const std::vector<store::DecisionRecord>& records);

}  // namespace warden::guard
