// Applying a policy to evidence: a deterministic decision record, and what would change it.
//
// The rules (docs/policy.md):
//  1. Every key the decision needs is checked (CheckEvidence). A capability, forecast or
//     integrity key that is missing, stale, tampered, contradictory or of the wrong type fails
//     closed: the domain counts as crossed and the decision is pause-training, saying why.
//  2. A domain is crossed when its capability score (the upper end of its interval when given:
//     the conservative reading) is at or above its threshold, or when an integrity check is
//     false (a model caught sandbagging has not shown that it is below the threshold).
//     It raises an early warning at or above early_warning, or when the forecast probability
//     of crossing within the buffer exceeds forecast_max.
//  3. The required level is the highest level of a crossed domain (at least base_level). An
//     early warning makes the domain's level required for training (prepare before crossing).
//  4. Each requirement of the required levels is met or unmet, judged on the conservative end of
//     its value's interval (at_least on the lower end, at_most on the upper); missing evidence
//     means unmet, any other problem with it fails closed as in 1.
//  5. Decision, most severe first: pause-training (evidence problem, or a training requirement
//     unmet), do-not-deploy (a deployment requirement unmet), continue-with-safeguards (above
//     the base level or an early warning, everything met), continue.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "warden/policy/evidence.h"
#include "warden/policy/policy.h"

namespace warden::policy {

enum class Decision { kContinue, kContinueWithSafeguards, kDoNotDeploy, kPauseTraining };
const char* DecisionName(Decision d);  // "continue", "continue-with-safeguards", ...
// The CLI's exit status for each decision: 0, 3, 4, 5 (1 and 2 are errors).
int DecisionExitCode(Decision d);

struct Reason {
  std::string kind;     // threshold, early-warning, integrity, requirement, evidence
  std::string subject;  // the domain or requirement id
  std::string status;   // crossed/below, warning, met/unmet, missing/stale/...
  std::string text;     // one sentence for people
  std::vector<std::string> evidence;  // the keys it used, with their values in `values`
  nlohmann::json values = nlohmann::json::object();
};

struct DomainResult {
  std::string id;
  bool crossed = false, early_warning = false, failed_closed = false;
};

struct DecisionRecord {
  std::string policy_name, policy_version, policy_sha256;
  std::string subject_name, subject_sha256;
  std::string evidence_path, evidence_sha256;
  std::string now;
  int required_level = 0;          // for deployment
  int required_training_level = 0; // >= required_level (early warnings)
  Decision decision = Decision::kPauseTraining;
  std::vector<DomainResult> domains;
  std::vector<Reason> reasons;     // in the order the rules applied
  std::vector<EvidenceProblem> problems;
};

// `evidence_sha256` is recorded as given (the caller hashed the file it read).
DecisionRecord Decide(const Policy& policy, const EvidenceBundle& evidence, const CheckOptions& options,
                      const std::string& evidence_sha256 = "");

nlohmann::json DecisionToJson(const DecisionRecord& record);

// "What would change the decision": each evidence key the decision used, moved just across
// the boundary it was compared with (a number to the other side of its threshold, a boolean
// flipped, a missing or unusable key supplied as the condition needs), and the decision that
// would follow. Only changes that alter the decision are listed.
struct Counterfactual {
  std::string key;
  std::string change;  // "hazard.score 0.87 -> 0.79"
  Decision would_be;
};
std::vector<Counterfactual> Explain(const Policy& policy, const EvidenceBundle& evidence,
                                    const CheckOptions& options);

}  // namespace warden::policy
