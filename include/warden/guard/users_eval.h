// How well risk across a user's requests (users.h) finds users who split a harmful task into
// harmless-looking requests, against per-request safeguards alone on the same traffic.
//
// Simulated users (organisms/decomposition.h gives them) send their requests through a guard with
// a store, in rounds (every user's i-th request, then every user's (i+1)-th: many users at once,
// as a gateway sees them). Each request's risk is the one the store files under its user. Then:
//   - per request (the baseline): a user is flagged at their first request a safeguard stopped;
//   - per request, any safeguard: at their first request on which any safeguard fired, those in
//     watch mode included (what the per-user signal would do if it acted on one request);
//   - per user: flagged at the first request by which `elevated_after` of their requests had a
//     risk of at least `watch_risk` (users.h's rule: what `users:` in a safeguards file does),
//     the risk counted from the safeguards that options.users.safeguards names (all when empty).
// The rule's two numbers are calibrated on the train users: the most decomposing users flagged
// with at most `false_flag_target` of benign users flagged over a whole session. Every figure is
// then measured on the test users (whose compounds no train user asked about), with Wilson 95%
// intervals: decomposing users flagged within K requests, benign users ever flagged.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "warden/base/stats.h"
#include "warden/base/status.h"
#include "warden/guard/guard.h"
#include "warden/store/store.h"

namespace warden::guard {

struct UserTraffic {
  std::string id;
  bool decomposing = false;  // ground truth: read only to score
  bool test = false;         // held out from calibration
  std::vector<std::string> requests;
};

struct UsersEvalOptions {
  int64_t max_tokens = 1;        // the input stage decides; one generated token is enough
  double false_flag_target = 0.05;
  std::vector<int64_t> within = {8, 16, 24};
  UsersSpec users;                // its `safeguards`: whose scores count toward a user's risk
  std::function<void(size_t done, size_t total)> progress;
};

struct FlagRate {
  size_t flagged = 0, n = 0;
  Interval ci;
};

struct MethodFigures {
  std::string method;                 // "per-user" | "per-request" | "per-request-any"
  std::vector<FlagRate> within;       // decomposing test users flagged within each K of options.within
  FlagRate false_flags;               // benign test users flagged over their whole session
  std::vector<double> detection_curve, false_flag_curve;  // by requests sent, 1..R
};

struct UsersEvalResult {
  UsersSpec rule;                     // calibrated: window, watch_risk, elevated_after
  double train_detection = 0, train_false_flags = 0;
  size_t train_users = 0, test_users = 0, requests = 0;
  std::vector<int64_t> within;
  MethodFigures per_user, per_request, per_request_any;
  double seconds = 0;
};

// `guard` must have been created with `store` and the safeguards under test.
Result<UsersEvalResult> EvaluateUsers(Guard& guard, const store::Store& store, const std::vector<UserTraffic>& users,
                                      const UsersEvalOptions& options);

// The detection and false-flag curves of both methods as an SVG line chart.
std::string UsersEvalSvg(const UsersEvalResult& result, const std::string& title);

}  // namespace warden::guard
