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
#include <map>
#include <string>
#include <vector>

#include "warden/base/status.h"
#include "warden/interp/activations.h"
#include "warden/interp/datasets.h"
#include "warden/interp/probe.h"

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
  // Normalise each side on its own statistics (Burns et al.), for pairs whose sides differ in
  // form (every first side answers "Yes", every second "No"): it removes the form, which is
  // otherwise a perfectly consistent direction. Pairs in a hidden random order have no form to
  // remove; both sides then share one normalisation, which makes the result independent of the
  // order (per side, the same 67 statements in the opposite order scored 0.776 against 0.821).
  bool per_side = false;
};

struct CcsProbe {
  std::vector<float> mean_a, scale_a, mean_b, scale_b;  // per side, or both the same (per_side false)
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

// ---- the hook sweep: train on the "train" pairs, choose a hook without labels, test ----
//
// The train pairs are split by cluster (a hash: one in five clusters) into fit and validation.
// For each hook CCS trains on fit, and the hook chosen is the one whose direction has the lowest
// CCS loss on validation: no label is read to train or to choose. The labels are read only to
// report: on the train pairs (to fix the sign, one bit of supervision) and on every other pair
// (the test), with 95% intervals by bootstrap over clusters, overall and by category.
struct CcsAccuracy {
  double value = 0;
  Interval ci;
  size_t pairs = 0;
};
// Accuracy on the test pairs (every pair whose split is not "train"), overall and by category.
struct PairTestAccuracy {
  CcsAccuracy all;
  std::map<std::string, CcsAccuracy> by_category;
};
struct CcsHookResult {
  std::string hook;
  double loss = 0;             // on the fit pairs, with the penalty
  double validation_loss = 0;  // on the validation pairs, without it: the choosing score
  double train_accuracy_as_found = 0;
  CcsAccuracy test_as_found;  // with the probe's own sign
  PairTestAccuracy test;      // with the sign the train labels give
};
struct CcsSweep {
  size_t fit_pairs = 0, validation_pairs = 0, test_pairs = 0;
  std::vector<CcsHookResult> hooks;  // in the sets' hook order
  size_t chosen = 0;                 // index into hooks
};
// `first`, `second`: the activations of pairs.first and pairs.second, captured at the same hooks.
// Sides are normalised per side when pairs.form_ordered, jointly otherwise (options.per_side is
// set from the pairs).
// Errors when the shapes or counts disagree, or without test pairs or train pairs in at least
// two clusters.
Result<CcsSweep> SweepCcs(const ActivationSet& first, const ActivationSet& second, const ContrastPairs& pairs,
                          const CcsOptions& options = {});

// The model's own answer as a pair classifier (the zero-shot baseline CCS is compared with):
// `margin_first[i]`, `margin_second[i]` are log p(affirming reply) - log p(denying reply) on
// each side of pair i (interp::ScoreReplies); the side with the larger margin is called true (on
// a tie, the second). Errors when the margins do not match the pairs in number.
Result<PairTestAccuracy> OwnAnswerAccuracy(const std::vector<double>& margin_first,
                                           const std::vector<double>& margin_second, const ContrastPairs& pairs,
                                           uint64_t seed = 0);

}  // namespace warden::interp
