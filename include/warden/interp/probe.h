// Linear probes on activations: training (logistic regression with L2, or difference of
// means), the metrics a monitor is judged by, a threshold calibrated to a false-positive rate,
// and a layer sweep that picks the hook on validation data only.
//
//   Probe p = TrainProbe(train_x, train_y, {.kind = ProbeKind::kLogistic}).value();
//   std::vector<double> s = p.Score(test_x);                 // logits (higher: more positive)
//   Auroc(s, test_y);  RecallAtFpr(s, test_y, 0.01);
//
// Inputs are standardised with the training set's mean and standard deviation (kept in the
// probe), so a probe's weights mean the same on any data it scores.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "warden/base/stats.h"
#include "warden/base/status.h"
#include "warden/interp/activations.h"

namespace warden::interp {

enum class ProbeKind { kLogistic, kDiffMeans };
Result<ProbeKind> ProbeKindFromName(const std::string& name);  // "logistic" | "diff-means"
const char* ProbeKindName(ProbeKind kind);

struct ProbeOptions {
  ProbeKind kind = ProbeKind::kLogistic;
  double l2 = 1e-3;  // logistic: weight of 0.5 * ||w||^2, per sample
  int iterations = 200;
};

struct Probe {
  ProbeKind kind = ProbeKind::kLogistic;
  std::vector<float> mean, scale;  // standardisation: (x - mean) / scale
  std::vector<float> weight;
  double bias = 0;
  std::vector<double> Score(const Matrix& x) const;  // w . standardised(x) + b, per row
  // One activation vector of `cols` floats (a streaming monitor's token): no allocation.
  double ScoreRow(const float* row, int64_t cols) const;
};

// Errors when labels are not 0/1, when there is only one class, on a shape mismatch, or when
// every feature is constant.
Result<Probe> TrainProbe(const Matrix& x, const std::vector<int>& labels, const ProbeOptions& options = {});

// ---- metrics (scores: higher means "positive"; labels 0/1) ----
// AUROC and its interval are warden::Auroc / warden::AurocWithInterval (base/stats.h).
// The threshold whose false-positive rate on these negatives is at most `fpr` (scores strictly
// above it are positive), and the rate actually reached.
struct Threshold {
  double value = 0;
  double fpr = 0;
};
Result<Threshold> ThresholdAtFpr(const std::vector<double>& scores, const std::vector<int>& labels, double fpr);
double RecallAbove(const std::vector<double>& scores, const std::vector<int>& labels, double threshold);
double FprAbove(const std::vector<double>& scores, const std::vector<int>& labels, double threshold);
// Expected calibration error of sigmoid(scores) in 10 equal-width bins.
double CalibrationError(const std::vector<double>& scores, const std::vector<int>& labels);
// Rows of `m` at `rows`.
Matrix SelectRows(const Matrix& m, const std::vector<size_t>& rows);

// ---- the layer sweep ----
struct SweepPoint {
  std::string hook;
  double validation_auroc = 0;
};
struct SweepResult {
  std::vector<SweepPoint> points;  // every hook, in order
  std::string best;                // highest validation AUROC (first on ties)
};
// Trains on `train` rows and scores `validation` rows for every hook of the set.
Result<SweepResult> SweepHooks(const ActivationSet& set, const std::vector<size_t>& train,
                               const std::vector<size_t>& validation, const ProbeOptions& options);

}  // namespace warden::interp
