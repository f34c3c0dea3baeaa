// Tasks (dataset + solver + scorer + metric) and running them against a model backend.
//
//   Task t;  t.name = "refusal/advbench";  t.dataset = LoadDataset(...).value();
//   t.scorer = MakeRefusalScorer();  t.metric = "refusal_rate";
//   TaskResult r = RunTask(t, backend, {.log_path = "runs/advbench.jsonl"}).value();
//   r.estimate.value, r.estimate.ci_low, r.errors ...
//
// Solvers turn a sample into what the model is asked:
//   generate        the input as the user turn (after the system prompt and few-shot turns);
//   choice_logprob  multiple choice by log-probabilities: every choice is scored as the
//                   assistant's whole reply (its letter, or its text) and the most likely one is
//                   the answer; batched through the engine; needs a white-box backend;
//   choice_generate multiple choice by generation: the reply is graded by the choice scorer.
// For choice solvers `list_choices` appends "A. ...\nB. ..." and an instruction to the input;
// datasets whose input already lists the choices turn it off.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "warden/base/env.h"
#include "warden/base/status.h"
#include "warden/evals/backend.h"
#include "warden/evals/dataset.h"
#include "warden/evals/metrics.h"
#include "warden/evals/scorer.h"

namespace warden::evals {

enum class SolverKind { kGenerate, kChoiceLogprob, kChoiceGenerate };
Result<SolverKind> SolverKindFromName(const std::string& name);
const char* SolverKindName(SolverKind kind);

struct Solver {
  SolverKind kind = SolverKind::kGenerate;
  std::string system;             // system prompt ("" for none)
  std::vector<Sample> few_shot;   // earlier user/assistant turns: input, then target
  bool list_choices = true;
  bool numbered_labels = false;   // label listed choices 1, 2, 3 instead of A, B, C
  bool reply_with_text = false;   // choice_logprob: score the choice's text, not its label
  // choice_logprob: rank by log p(choice | input) - log p(choice | the input without its last
  // line), domain-conditional PMI (Holtzman et al. 2021): what the question adds, not how likely
  // the choice's words are anyway. For inputs that end with their question (the zoo's hazard
  // items list the choices, then ask); an input of one line is compared with an empty one.
  bool calibrate = false;
  int64_t max_tokens = 128;
  double temperature = 0;         // epochs differ only when > 0 (seed + epoch)
  nlohmann::json ToJson() const;
};

struct Task {
  std::string name;         // "refusal/advbench"
  std::string version = "1";
  std::string description;  // one line: what it measures
  Dataset dataset;
  Solver solver;
  std::shared_ptr<Scorer> scorer;
  std::string metric = "accuracy";  // what the mean score is called ("refusal_rate" ...)
};

// What the model is asked for a sample under a solver (system, shots, user turn).
Conversation BuildConversation(const Solver& solver, const Sample& sample);
// How the solver labels choice `index` when it lists choices: "A".. or "1"..
std::string SolverLabel(const Solver& solver, size_t index);

struct RunOptions {
  size_t limit = 0;          // first N samples only (0: all)
  int epochs = 1;
  std::string log_path;      // "" : no log
  bool resume = true;        // continue a log of the same evaluation instead of starting over
  size_t batch = 32;         // samples per backend call
  uint64_t seed = 0;
  BootstrapOptions bootstrap;
  std::function<void(size_t done, size_t total)> progress;
  // Called for every sample-epoch run now (not those taken from a resumed log), after scoring.
  std::function<void(const Sample&, int epoch, const std::string& output, const Result<Score>& score)> on_sample;
  // Where the log is written and the clock read (not owned; must outlive the call). nullptr:
  // Env::Default(). A write that fails (a full disk) ends the run with that error, naming the
  // log; the samples logged before it are kept, and a resumed run does not run them again.
  Env* env = nullptr;
};

struct TaskResult {
  std::string task;
  std::string metric;
  ModelIdentity model;
  std::string dataset_path, dataset_sha256;
  size_t attempted = 0;     // sample-epochs run (or found in the resumed log)
  size_t errors = 0;        // sample-epochs without a score (backend or scorer error)
  size_t skipped_rows = 0;  // dataset rows that failed validation
  size_t resumed = 0;       // sample-epochs taken from an earlier run's log
  Estimate estimate;        // over scored sample-epochs
  std::map<std::string, Estimate> by_category;
  std::string log_path;
  double seconds = 0;
  nlohmann::json ToJson() const;  // the --json summary (see docs/evals.md)
};

Result<TaskResult> RunTask(const Task& task, ModelBackend& backend, const RunOptions& options);

}  // namespace warden::evals
