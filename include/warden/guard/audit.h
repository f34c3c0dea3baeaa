// The human audit queue's admission rule and what the verdicts measure.
//
// Every decision record has a risk: how far its most alarmed safeguard was above its threshold
// (score - threshold for probes and text monitors; the maximum over the input and output
// stages). A safeguard that errored, or a regex that fired, gives +infinity; a record no
// safeguard scored, -infinity. With an `audit:` section in the safeguards file (safeguards.h):
//   - a record whose risk is at least `risk_threshold` enters the queue ("risk", inclusion 1);
//   - a record below it (allowed, or decided by a stage whose margin was small) is drawn at its
//     risk band's rate ("sample", inclusion = rate), so that the share of harmful requests among
//     allowed traffic can be estimated, with an interval, from the verdicts on the sample
//     (stratified by band), and each stage's precision from all of its decisions, each verdict
//     weighted by 1 / inclusion.
// The queue is served highest risk first (store.h). ReviewReport turns the verdicts into each
// stage's measured precision and the sampled estimate of what the safeguards let through.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "warden/base/stats.h"
#include "warden/base/status.h"
#include "warden/guard/safeguards.h"
#include "warden/store/store.h"

namespace warden::guard {

// A record's risk from its scores_json ({"input": {...}, "output": {...}}; see DecisionRecord).
// Safeguards in watch mode (safeguards.h) count only with `include_watch`: they measure a
// user's topics (users.h), not what a human must look at. A non-empty `only` counts just the
// safeguards it names.
double RecordRisk(const std::string& scores_json, bool include_watch = false, const std::vector<std::string>& only = {});
// The input stage's part of it (watch-mode safeguards left out): what the cascade's guard model
// is escalated on (safeguards.h: cascade).
double InputRisk(const std::string& scores_json);
// The same from the input stage's entries as they are being filled ({"name": {...}, ...}), without
// serialising them: the served cascade's escalation, on every request.
double InputStageRisk(const nlohmann::json& input);

// Decides, record by record, what enters the queue. Thread-safe.
class Auditor {
 public:
  explicit Auditor(AuditSpec spec);
  // The queue item for this record, or nullopt when it stays out. Records of requests the client
  // abandoned count as allowed traffic.
  std::optional<store::AuditItem> Admit(const store::DecisionRecord& record);
  const AuditSpec& spec() const { return spec_; }

 private:
  AuditSpec spec_;
  std::mutex mu_;
  std::mt19937_64 rng_;
};

// The band name a risk falls in ("risk>=-2"), or "" when below every band.
std::string BandOf(const AuditSpec& spec, double risk);

struct StagePrecision {
  std::string stage;       // "input:harm-request", "output:harm-output"
  int64_t harmful = 0, benign = 0, unsure = 0;  // verdicts, as counted
  // Each verdict weighted by 1 / its inclusion probability (Horvitz-Thompson): the precision of
  // all the stage's decisions, not only of the riskiest ones that were always queued.
  double weighted_harmful = 0, weighted_benign = 0, weight_squares = 0;
  double precision = 0;    // weighted harmful / (weighted harmful + weighted benign)
  Interval interval;       // Wilson 95% at Kish's effective sample size
};

struct SampledBand {
  std::string band;
  double rate = 0;
  int64_t allowed = 0;     // allowed records in the band (the stratum's size)
  int64_t reviewed = 0;    // sampled allowed items with a harmful or benign verdict
  int64_t harmful = 0;
  int64_t unsure = 0;
};

struct ReviewReport {
  int64_t records = 0, queued = 0, reviewed = 0, open = 0;
  int64_t user_reviewed = 0;      // verdicts on items queued for their user's standing (users.h)
  std::vector<StagePrecision> stages;
  std::vector<SampledBand> bands;
  int64_t allowed_unsampled = 0;  // allowed records below every band: nothing is known of them
  // The harmful share of allowed traffic in the bands that have reviews (stratified estimate,
  // Agresti-Coull-adjusted normal interval); nullopt before any sampled item has a verdict.
  std::optional<double> harmful_allowed_share;
  Interval harmful_allowed_interval;
  int64_t covered_allowed = 0;    // allowed records in the bands that the estimate covers
};

Result<ReviewReport> BuildReviewReport(const store::Store& store, const AuditSpec& spec);

// An audit section sized to a human budget from recorded traffic: `risk_threshold` so that the
// records at or above it, scaled to `requests_per_day`, fill (1 - sample_share) of
// `budget_per_day`; the records below it split into two bands (from the risk of the 10% of
// allowed records nearest the threshold up, decisions below the threshold included; and the
// rest), each sampled at the rate that fills half of the sample share.
struct AuditCalibration {
  AuditSpec spec;
  int64_t records = 0;
  double risk_per_day = 0, sample_per_day = 0;  // expected admissions at `requests_per_day`
};
Result<AuditCalibration> CalibrateAudit(const std::vector<store::DecisionRecord>& records, double budget_per_day,
                                        double requests_per_day, double sample_share);
// The audit section as YAML (what `warden serve review calibrate` prints).
std::string AuditYaml(const AuditSpec& spec);

// The reviewed records as labelled JSONL for `warden probe train` ({"id", "messages", "label",
// "category", "split", "cluster", "seq", "reviewer"}: label 1 harmful, 0 benign; unsure verdicts
// and hash-only records are left out). The cluster is the user (or API key); a user's rows share
// a split, about a fifth of users "test" (by the sha256 of the cluster), the rest "train".
Result<std::string> LabelledJsonl(const store::Store& store);

}  // namespace warden::guard
