// Where forecast points come from: warden's own eval logs (evals/eval_log.h's format) with the
// training compute of each model from its organism card, or a CSV of points.
//
// The eval-log reader here reads only the two lines it needs (the header for the task and the
// model, the footer for the summary), so it does not link the evals module (layer 2, like this
// one; a module may use only lower layers).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "warden/base/status.h"
#include "warden/forecast/forecast.h"

namespace warden::forecast {

// ---- Training compute ----------------------------------------------------------------------

struct ModelFlops {
  double flops = 0;    // training FLOPs (> 0)
  std::string label;   // the model's name in the card (its `dir` entry), or the directory's name
  std::string source;  // "zoo/ladder/card.json models[1].checkpoints[0]", for provenance
};

// The training FLOPs of the model in directory `model_dir` (as written: relative paths are
// relative to the working directory). Looked up, first hit wins:
//  1. <model_dir>/card.json, field `flops` (a number);
//  2. the nearest card.json in <model_dir> or up to 4 directories above whose `models[]` has an
//     entry with `dir` equal to model_dir's path relative to that card's directory ("." for the
//     card's own directory, "rung-1", "rung-1/checkpoints/step-000100"): that entry's `flops`,
//     or the same in an entry's `checkpoints[]` (zoo/ladder/card.json has both);
//  3. <model_dir>/train_state.json, field `flops` (written by warden train beside a checkpoint).
// Errors: NotFound when the directory is missing or nothing gives the FLOPs (the message lists
// where it looked); Corrupt, naming the file and field, for a malformed card or a non-positive or
// non-numeric `flops`.
Result<ModelFlops> LookUpTrainingFlops(const std::string& model_dir);
Result<double> TrainingFlopsOfModel(const std::string& model_dir);

// ---- Eval logs -----------------------------------------------------------------------------

// The summary of one eval log.
struct EvalLogPoint {
  std::string path;
  bool finished = false;   // false: no footer (a run still going, or killed): the rest is unset
  std::string task;        // header `task`
  std::string model;       // header `model.name` (an engine model's directory, or an API name)
  std::string model_kind;  // header `model.kind` ("engine", "http")
  std::string metric;      // the metric read
  double value = 0, stderr_score = 0;
  int64_t n = 0;
};

// Reads `log_path`'s header and footer. `metric` names a key of the footer's summary.metrics
// ("accuracy", "refusal_rate"); empty: the header's `metric`, or the only one there is.
// A log whose last line is not a whole footer (torn or missing) is returned with finished ==
// false, not as an error. Errors (naming the log): unreadable file, a first line that is not a
// warden-eval-log/1 header, a malformed footer, an unknown metric (listing those there), a value
// outside [0, 1].
Result<EvalLogPoint> ReadEvalLogPoint(const std::string& log_path, const std::string& metric);

// One observation from one finished log: its metric, and training FLOPs `flops` or, when
// flops <= 0, those of the model directory named in its header (LookUpTrainingFlops). An
// unfinished log is an InvalidArgument error saying so. Errors name the log.
Result<Observation> ObservationFromEvalLog(const std::string& log_path, const std::string& metric, double flops);

struct LogSourceOptions {
  std::string metric;  // as for ReadEvalLogPoint
  std::string task;    // only logs of this task; empty: all logs must be of one task
  // FLOPs given by hand, keyed by the header's model name, its last path component, the log's
  // path or the log's file name: these logs need no card.
  std::map<std::string, double> flops;
};

struct LogScan {
  std::vector<Observation> observations;                     // in the order of the paths
  std::vector<std::pair<std::string, std::string>> skipped;  // (log, why): unfinished, other task
  std::string task;                                          // the task of the observations
};

// Observations from several logs. Unfinished logs and logs of another task are skipped and
// listed; anything else wrong with a log (corrupt, no FLOPs) is an error naming it.
Result<LogScan> ObservationsFromLogs(const std::vector<std::string>& log_paths, const LogSourceOptions& opt);

// Every *.jsonl file under `dir` (recursively, following no symlinks), sorted by path.
Result<std::vector<std::string>> ListEvalLogs(const std::string& dir);

// ---- CSV -------------------------------------------------------------------------------------

// A CSV with a header naming columns `label`, `flops`, `score` and optionally `stderr` and `n`
// (any order; other columns ignored). Errors: "<path>:<line>: column 'flops': 'x' is not a number".
Result<std::vector<Observation>> ReadPointsCsv(const std::string& path);

}  // namespace warden::forecast
