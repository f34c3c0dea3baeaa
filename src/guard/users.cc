#include "warden/guard/users.h"

#include "warden/base/clock.h"
#include "warden/guard/audit.h"

namespace warden::guard {

double UserRisk(const std::string& scores_json, const UsersSpec& spec) {
  return RecordRisk(scores_json, /*include_watch=*/true, spec.safeguards);
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
