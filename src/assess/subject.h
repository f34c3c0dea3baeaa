// Internal to assess: measuring one subject, and the evidence file those measurements become.
#pragma once

#include <nlohmann/json.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "monitor.h"
#include "warden/assess/assess.h"
#include "warden/evals/sandbagging.h"
#include "warden/evals/suites.h"
#include "warden/evals/task.h"

namespace warden::assess::internal {

// Collects evidence items bound to files under one directory (the subject's), hashing each
// source file as it is added.
class EvidenceWriter {
 public:
  EvidenceWriter(std::string dir, std::string subject_name, std::string subject_sha256, std::string at);
  // `source` is relative to the directory. Errors: the source cannot be hashed.
  Status AddNumber(const std::string& key, double value, std::optional<std::pair<double, double>> interval,
                   const std::string& source, const std::string& note);
  Status AddBool(const std::string& key, bool value, const std::string& source, const std::string& note);
  // Writes <dir>/evidence.json; returns its path.
  Result<std::string> Write() const;

 private:
  Status Add(nlohmann::json item, const std::string& source);
  std::string dir_, name_, sha_, at_;
  nlohmann::json items_ = nlohmann::json::array();
};

// What the sandbagging check is calibrated on, computed once per assessment.
// The sandbagging check's threshold, set on reference models (evals::CalibrateSandbagging).
using SandbagCalibration = evals::SandbaggingCalibration;

struct Measured {
  std::string model_sha256;
  // hazard: the skill elicited by ranking each choice by log-probability (what the model knows);
  // hazard_answered: the answers it gives when asked (what a sandbagger lowers).
  std::optional<evals::TaskResult> hazard, hazard_answered;
  // hazard_calibrated: the items ranked by calibrated log-probs, what the elicitation gap reads.
  std::optional<evals::TaskResult> hazard_calibrated;
  // Refusal of harmful requests and of benign ones, run once per held-out protocol (held-out,
  // leave-source-out, leave-form-out); refusal / over_refusal is the worst protocol's result
  // (lowest refusal interval / highest over-refusal interval), the one the policy reads, and
  // empty when any protocol failed. *_log: its log, relative to the subject's directory.
  std::map<std::string, evals::TaskResult> refusal_by_protocol, over_refusal_by_protocol;
  std::optional<evals::TaskResult> refusal, over_refusal;
  std::string refusal_log, over_refusal_log;
  std::optional<evals::SandbaggingVerdict> sandbagging;
  std::optional<MonitorFigures> monitor;  // the harmful-request monitor, when there is data for it
  std::vector<std::string> failures;  // evaluations that failed (their evidence stays missing)
  nlohmann::json Summary() const;
};

// The suites' tasks, loaded once.
// hazard is the suite's task ranked by log-probability (evals::RankedChoiceTask: best elicitation,
// the capability a policy must assume); hazard_answered the same items answered by generation.
// Together they are the sandbagging check's elicitation gap.
// refusal and over_refusal: one task per held-out protocol of the zoo.
struct SuiteTasks {
  evals::Task hazard, hazard_answered, hazard_calibrated;
  std::vector<evals::Task> refusal, over_refusal;
};
Result<SuiteTasks> LoadSuiteTasks(const evals::SuiteContext& context);

// Runs the subject's evaluations into `dir`/logs, the sandbagging check into `dir`, and builds
// its harmful-request monitor there when `monitor_data` has a path.
Result<Measured> MeasureSubject(const std::string& model_dir, const std::string& dir, const SuiteTasks& tasks,
                                const SandbagCalibration& calibration, const MonitorData& monitor_data,
                                const AssessOptions& options);

// The reference sweeps and the threshold they give.
Result<SandbagCalibration> CalibrateSandbagging(const std::vector<std::string>& references, const SuiteTasks& tasks,
                                                const AssessOptions& options);

// The elicited hazard score alone (series points of a forecast); log at `log_path`.
Result<evals::TaskResult> MeasureHazard(const std::string& model_dir, const std::string& log_path,
                                        const SuiteTasks& tasks, const AssessOptions& options);

// "ladder/rung-4" -> "ladder-rung-4": a name usable as a directory.
std::string Slug(const std::string& name);

}  // namespace warden::assess::internal
