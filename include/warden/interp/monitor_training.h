// Training a monitor from labelled activations, end to end:
//  1. the "train" rows split by cluster into fit and validation (items of one source together);
//  2. a probe per hook on fit, the hook with the best validation AUROC kept (SweepHooks);
//  3. its threshold calibrated to a false-positive rate on the validation negatives;
//  4. the monitor pack (hook, position, threshold, the model's sha256, the ids it was built
//     from), and metrics on the test rows (every labelled row whose split is not "train"),
//     overall and by category. The test rows are read only here, at the end.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "warden/base/status.h"
#include "warden/interp/activations.h"
#include "warden/interp/monitor_pack.h"
#include "warden/interp/probe.h"

namespace warden::interp {

struct MonitorTrainOptions {
  ProbeOptions probe;
  double target_fpr = 0.01;
  double validation = 0.2;       // share of the train clusters held out for validation
  std::string name = "probe";    // what the monitor detects
  std::string calibration_data;  // named in the pack, e.g. the dataset's path
};

// Scores of a detector on labelled rows, at a threshold.
struct DetectionMetrics {
  size_t n = 0;
  double recall = 0, fpr = 0;  // at the threshold (scores strictly above it fire)
  std::optional<double> auroc;  // none with one class only (auroc_error says why)
  Interval auroc_ci;            // 95%, bootstrap over clusters
  std::string auroc_error;
  std::optional<double> calibration_error;  // for logistic probes
};
DetectionMetrics MeasureDetection(const ActivationSet& set, const std::vector<size_t>& rows,
                                  const std::vector<double>& scores, double threshold, bool calibrated);

struct MonitorTraining {
  MonitorPack pack;
  SweepResult sweep;
  std::vector<size_t> fit, validation, test;  // row indices into the set
  std::optional<DetectionMetrics> test_metrics;          // when there are test rows
  std::map<std::string, DetectionMetrics> test_by_category;
};
// Errors: no train rows in fit or validation, one class only, a degenerate sweep.
Result<MonitorTraining> TrainMonitor(const ActivationSet& set, const MonitorTrainOptions& options);

std::vector<int> LabelsOf(const ActivationSet& set, const std::vector<size_t>& rows);

// The baseline a monitor is printed beside: a logistic probe on the words of each request
// (BagOfWords of RequestText) instead of the model's activations, fit on the monitor's own fit
// rows, its threshold calibrated to `target_fpr` on the same validation rows, measured on the
// same test rows, overall and by category. Where words alone separate the classes, the probe's
// figure there shows nothing about the model.
struct BaselineMetrics {
  double threshold = 0;
  std::optional<DetectionMetrics> test;
  std::map<std::string, DetectionMetrics> test_by_category;
};
// `data` is what `set` was captured from (row i of the set is data[i]: the set keeps no text).
Result<BaselineMetrics> BagOfWordsBaseline(const ActivationSet& set, const std::vector<LabelledConversation>& data,
                                           const MonitorTraining& training, double target_fpr);

// The words a baseline reads: the conversation's last user message.
std::string RequestText(const LabelledConversation& conversation);

}  // namespace warden::interp
