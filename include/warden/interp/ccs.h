// Contrast-Consistent Search (Burns et al. 2022, arXiv:2212.03827): an unsupervised truth
// direction. Each item is a contrast pair: the same question answered two ways, one true and
// one false. CCS finds a probe p with p(a) ~ 1 - p(b) (consistency) and away from 0.5
// (confidence), from the activations alone: no labels are used to train it.
//
// The sign is not identified: a CCS direction is as likely to say "false" as "true". So the
// report gives the accuracy as found, and the accuracy with the sign fixed by the training
// labels (one bit of supervision, said so); max(acc, 1 - acc) on the test set alone would be
// an optimistic choice made on the test data, and is reported only alongside.
#pragma once

#include <cstdint>
#include <vector>

#include "warden/base/status.h"
#include "warden/interp/activations.h"

namespace warden::interp {

struct CcsOptions {
  int restarts = 10;
  int steps = 1000;
  double lr = 1e-2;
  // L2 penalty on the direction, added to the CCS loss. With about as many training pairs as
  // activation dimensions, unpenalised CCS separates the training pairs perfectly along almost
  // any direction (loss 0) and generalises worse; the penalty keeps it from leaning on noise.
  double l2 = 0;
  uint64_t seed = 0;
};

struct CcsProbe {
  std::vector<float> mean_a, scale_a, mean_b, scale_b;  // each side normalised on its own
  std::vector<float> weight;
  double bias = 0;
  double loss = 0;  // the CCS loss (with the L2 penalty) reached on the training pairs
  // Probability that answer `a` (not `b`) is the true one, per pair: (p(a) + 1 - p(b)) / 2.
  std::vector<double> PredictFirstTrue(const Matrix& a, const Matrix& b) const;
  // The CCS loss (consistency + confidence, no penalty) on other pairs: an unsupervised score of
  // how well the direction carries over, for choosing among hooks without labels.
  double Loss(const Matrix& a, const Matrix& b) const;
};

// `a` and `b`: activations of the two answers of each pair (same rows, same width).
Result<CcsProbe> TrainCcs(const Matrix& a, const Matrix& b, const CcsOptions& options = {});

// Share of pairs where (prediction > 0.5) == first_is_true.
double PairAccuracy(const std::vector<double>& predictions, const std::vector<int>& first_is_true);

}  // namespace warden::interp
