// Risk across a user's requests: a user who splits a harmful task into harmless-looking
// requests, spread over conversations, shows up as many requests that each came close to a
// safeguard's threshold without crossing it.
//
// A user is the API key's id and the request's `user` (or `safety_identifier`) together, so two
// applications' users of the same name stay apart ("key_ab12/alice"; "key_ab12" without a `user`;
// "/alice" on a server without keys; nobody is tracked when both are empty). Every decision
// record files its risk (audit.h's RecordRisk, safeguards in watch mode included: a topic
// detector that never blocks still counts) under its user, in the store, in the record's own
// transaction, so every gateway on a shared store (PostgreSQL) sees the same history.
//
// With a `users:` section in the safeguards file (safeguards.h), a user whose requests in the
// last `window_seconds` include at least `elevated_after` with risk >= `watch_risk` is at
// elevated risk: the gateway holds them to `elevated_requests_per_minute`, and (with
// `audit_elevated`) each of their requests enters the audit queue with reason "user".
#pragma once

#include <string>

#include "warden/base/status.h"
#include "warden/guard/safeguards.h"
#include "warden/store/store.h"

namespace warden::guard {

// A record's risk as its user's history counts it: the largest margin over the safeguards that
// `spec.safeguards` names (every one when empty), watch mode included (audit.h's RecordRisk).
double UserRisk(const std::string& scores_json, const UsersSpec& spec);

// "key_id/user", "key_id" or "/user"; "" when both are empty.
std::string UserSubject(const std::string& key_id, const std::string& user);

struct UserStanding {
  std::string subject;          // "" : not tracked
  store::UserActivity activity; // over the window
  bool elevated = false;
};

// The user's standing now. Without a `users:` section, or for an untracked user, not elevated.
Result<UserStanding> StandingOf(const store::Store& store, const UsersSpec& spec, const std::string& key_id,
                                const std::string& user);

}  // namespace warden::guard
