// `warden assess`: the responsible-scaling cycle as one job.
//
// For each subject (a model directory; or, with none given, every organism of the tiny zoo,
// building the zoo first if it is missing) it
//   1. runs the evaluations the policy reads: the hazard benchmark (capability), held-out harmful
//      requests (refusal) and over-refusal (reported), each as a hashed eval log;
//   2. runs the integrity check: the sandbagging verdict (weight noise + elicitation gap) with a
//      threshold calibrated once on reference models;
//   3. where there is a series of checkpoints (the zoo's ladder), fits the forecast of the hazard
//      score against training compute, with its back-tests, and gives the latest checkpoint the
//      probability of crossing the threshold within the buffer;
//   4. writes an evidence file binding every value to its log by sha256, applies the policy
//      (warden::policy::Decide), and writes decision.json;
//   5. compiles a safety case (casebook YAML) whose solutions point at those artifacts,
//      evaluates it and renders it (SVG + HTML); it is unsigned: reviewers sign it afterwards
//      with `warden case sign`;
//   6. writes report.html (the decision first, then evidence with intervals, forecasts,
//      integrity, safety cases) and a manifest of every file with its sha256.
// Only after all subjects are analysed does it read the zoo's cards (the ground truth) and write
// the audit: per organism, what was found, what the card says, and whether they agree.
//
// Layout of the output directory (default "assessment/"):
//   report.html, decision.json (overall + per subject + audit), manifest.json (sha256 of every file),
//   series/logs/*.jsonl, series/forecast-hazard.{json,svg}     (when there is a series)
//   <subject>/logs/*.jsonl, <subject>/sandbagging.{json,svg}, <subject>/evidence.json,
//   <subject>/decision.json, <subject>/case.yaml, case.svg, case.html, case-evaluation.json,
//   <subject>/forecast-hazard.{json,svg}                      (the series' latest checkpoint)
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "warden/base/status.h"
#include "warden/policy/decision.h"

namespace warden::assess {

struct AssessOptions {
  std::vector<std::string> models;  // model directories; empty: the zoo
  std::string zoo_dir = "zoo";      // the zoo (built here when assessing it and missing)
  std::string policy_path;          // "" : the built-in default policy
  std::string out_dir = "assessment";
  std::string shared_dir;           // datasets
  // Reference models known not to sandbag, for the sandbagging threshold. Empty with the zoo:
  // the ladder's two largest rungs (trained without any incentive to hide the skill).
  std::vector<std::string> references;
  // Labelled requests (interp datasets: label 1 harmful) for each subject's harmful-request
  // monitor; "" : the zoo's benchmarks/harm-detection.jsonl when it exists.
  std::string monitor_data;
  size_t limit = 0;                 // samples per task (0: all)
  int seeds = 3;                    // noise seeds in the sandbagging sweep
  int threads = 0;
  std::function<void(const std::string& line)> progress;
};

// One assessed subject.
struct SubjectResult {
  std::string name;        // "honest", "ladder/rung-4", or the model path
  std::string model_dir;
  std::string model_sha256;
  policy::DecisionRecord decision;
  std::string case_status;  // the safety case's root status ("supported", "defeated", ...)
  nlohmann::json summary;   // the figures shown in the report
};

struct Assessment {
  std::vector<SubjectResult> subjects;
  policy::Decision overall = policy::Decision::kPauseTraining;  // the most severe
  nlohmann::json audit;    // zoo only: per organism, found / card / agree
  std::string out_dir;
  double seconds = 0;
};

// Runs the whole cycle. Errors (a model that cannot be loaded, a policy that does not parse, an
// output directory that cannot be written) stop it with a message naming the file; an evaluation
// that fails for one subject is recorded as missing evidence for it, so the policy fails closed.
Result<Assessment> RunAssessment(const AssessOptions& options);

}  // namespace warden::assess
