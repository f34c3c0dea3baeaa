#include "warden/guard/users.h"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>

#include "warden/base/clock.h"
#include "warden/guard/audit.h"

namespace warden::guard {

double UserRisk(const std::string& scores_json, const UsersSpec& spec) {
  if (spec.safeguards.empty()) return RecordRisk(scores_json, /*include_watch=*/true);
  // Only the named safeguards' entries: the same margins, from a copy without the others.
  nlohmann::json j = nlohmann::json::parse(scores_json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || j.contains("error")) return RecordRisk(scores_json, true);
  for (const char* stage : {"input", "output"}) {
    if (!j.contains(stage) || !j[stage].is_object()) continue;
    nlohmann::json kept = nlohmann::json::object();
    for (const auto& [name, entry] : j[stage].items()) {
      if (std::find(spec.safeguards.begin(), spec.safeguards.end(), name) != spec.safeguards.end()) kept[name] = entry;
    }
    j[stage] = kept;
  }
  return RecordRisk(j.dump(), /*include_watch=*/true);
}

std::string UserSubject(const std::string& key_id, const std::string& user) {
  if (user.empty()) return key_id;
  return key_id + "/" + user;
}

Result<UserStanding> StandingOf(const store::Store& store, const UsersSpec& spec, const std::string& key_id,
                                const std::string& user) {
  UserStanding s;
  if (!spec.enabled) return s;
  s.subject = UserSubject(key_id, user);
  if (s.subject.empty()) return s;
  WARDEN_ASSIGN_OR_RETURN(s.activity, store.Activity(s.subject, UnixNow() - spec.window_seconds, spec.watch_risk));
  s.elevated = s.activity.watched >= spec.elevated_after;
  return s;
}

}  // namespace warden::guard
