// The cascade: cheap safeguards on every request, the guard model (guard_model.h) only on the
// requests whose cheap risk reaches an escalation threshold, the human audit queue last
// (audit.h). This header measures it on replayed traffic, offline: each request's cheap risk (as
// the served input safeguards recorded it) and its guard-model score are known, so the cascade
// and the references can be decided on the same rows:
//   - cascade: blocked when a cheap safeguard fired, or when it was escalated (cheap risk >=
//     the escalation threshold) and the guard model's score is above its threshold;
//   - strongest on everything: the guard model alone on every request;
//   - both on everything: the cheap safeguards or the guard model, every request (the most the
//     cascade can reach: it only saves guard-model calls).
// Calibration rows set the escalation threshold (the quantile of cheap risk that sends
// `target_escalation` of the rows not already blocked to the guard model) and the guard model's
// threshold (`strong_fpr` false positives on their benign rows); every figure is then measured on
// the other rows, with Wilson 95% intervals.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "warden/base/stats.h"
#include "warden/base/status.h"

namespace warden::guard {

struct CascadeRow {
  double cheap_risk = 0;   // the record's risk (audit.h); > 0: a cheap safeguard fired
  double strong = 0;       // the guard model's score
  bool harmful = false;
  bool calibration = false;
  std::string group;       // the row's test group ("held-out", "held-out-source", ...)
};

struct CascadeOptions {
  double target_escalation = 0.2;
  double strong_fpr = 0.01;
};

struct Rates {
  size_t blocked_harmful = 0, harmful = 0, blocked_benign = 0, benign = 0;
  Interval recall, fpr;
};

struct CascadeGroup {
  std::string group;
  size_t rows = 0, escalated = 0, eligible = 0;  // eligible: not blocked by a cheap safeguard
  double escalation = 0;                         // escalated / eligible
  Rates cheap, cascade, strong, both;
};

struct CascadeResult {
  double escalation_threshold = 0, strong_threshold = 0;
  double calibration_escalation = 0;
  std::vector<CascadeGroup> groups;   // every test group, then "all"
};

Result<CascadeResult> EvaluateCascade(const std::vector<CascadeRow>& rows, const CascadeOptions& options);

}  // namespace warden::guard
