#include "warden/interp/ccs.h"

#include <cmath>
#include <map>
#include <optional>

#include "engine/torch_pch.h"
#include "interp/matrix_tensor.h"
#include "warden/base/rng.h"

namespace warden::interp {
namespace {

torch::Tensor Normalise(const Matrix& m, const std::vector<float>& mean, const std::vector<float>& scale) {
  torch::Tensor x = ToTensor(m);
  torch::Tensor mu = torch::tensor(mean), sd = torch::tensor(scale);
  return (x - mu) / sd;
}

}  // namespace

std::vector<double> CcsProbe::PredictFirstTrue(const Matrix& a, const Matrix& b) const {
  torch::NoGradGuard no_grad;
  torch::Tensor w = torch::tensor(weight);
  torch::Tensor pa = torch::sigmoid(Normalise(a, mean_a, scale_a).matmul(w) + bias);
  torch::Tensor pb = torch::sigmoid(Normalise(b, mean_b, scale_b).matmul(w) + bias);
  torch::Tensor p = ((pa + 1 - pb) / 2).to(torch::kDouble).contiguous();
  return std::vector<double>(p.data_ptr<double>(), p.data_ptr<double>() + p.numel());
}

double CcsProbe::Loss(const Matrix& a, const Matrix& b) const {
  torch::NoGradGuard no_grad;
  torch::Tensor w = torch::tensor(weight);
  torch::Tensor pa = torch::sigmoid(Normalise(a, mean_a, scale_a).matmul(w) + bias);
  torch::Tensor pb = torch::sigmoid(Normalise(b, mean_b, scale_b).matmul(w) + bias);
  return ((pa - (1 - pb)).pow(2) + torch::minimum(pa, pb).pow(2)).mean().item<double>();
}

Result<CcsProbe> TrainCcs(const Matrix& a, const Matrix& b, const CcsOptions& o) {
  if (a.rows != b.rows || a.cols != b.cols || a.rows < 2) {
    return Status::InvalidArgument("CCS: the two sides need the same shape and at least two pairs (" +
                                   std::to_string(a.rows) + "x" + std::to_string(a.cols) + " vs " +
                                   std::to_string(b.rows) + "x" + std::to_string(b.cols) + ")");
  }
  CcsProbe best;
  best.loss = INFINITY;
  torch::Tensor A = ToTensor(a), B = ToTensor(b);
  auto stats = [](const torch::Tensor& x, std::vector<float>* mean, std::vector<float>* scale) {
    torch::Tensor mu = x.mean(0), sd = x.std(0, false);
    sd = torch::where(sd > 1e-6, sd, torch::ones_like(sd));
    *mean = ToFloats(mu);
    *scale = ToFloats(sd);
    return (x - mu) / sd;
  };
  std::vector<float> ma, sa, mb, sb;
  torch::Tensor NA, NB;
  if (o.per_side) {
    NA = stats(A, &ma, &sa);
    NB = stats(B, &mb, &sb);
  } else {
    stats(torch::cat({A, B}, 0), &ma, &sa);
    mb = ma;
    sb = sa;
    NA = Normalise(a, ma, sa);
    NB = Normalise(b, mb, sb);
  }
  torch::manual_seed(o.seed);  // restarts draw their starting directions from LibTorch's generator
  for (int r = 0; r < o.restarts; ++r) {
    torch::Tensor w = (torch::randn({a.cols}) / std::sqrt(static_cast<double>(a.cols))).requires_grad_(true);
    torch::Tensor bias = torch::zeros({1}).requires_grad_(true);
    torch::optim::Adam opt({w, bias}, torch::optim::AdamOptions(o.lr));
    torch::Tensor loss;
    for (int s = 0; s < o.steps; ++s) {
      opt.zero_grad();
      torch::Tensor pa = torch::sigmoid(NA.matmul(w) + bias), pb = torch::sigmoid(NB.matmul(w) + bias);
      loss = ((pa - (1 - pb)).pow(2) + torch::minimum(pa, pb).pow(2)).mean() + o.l2 * w.pow(2).sum();
      loss.backward();
      opt.step();
    }
    const double l = loss.item<double>();
    if (std::isfinite(l) && l < best.loss) {
      best.loss = l;
      best.weight = ToFloats(w.detach());
      best.bias = bias.item<double>();
    }
  }
  if (!std::isfinite(best.loss)) return Status::Internal("CCS: training diverged in every restart");
  best.mean_a = ma;
  best.scale_a = sa;
  best.mean_b = mb;
  best.scale_b = sb;
  return best;
}

double PairAccuracy(const std::vector<double>& predictions, const std::vector<int>& first_is_true) {
  if (predictions.empty()) return 0;
  double hit = 0;
  for (size_t i = 0; i < predictions.size(); ++i) hit += (predictions[i] > 0.5) == (first_is_true[i] == 1) ? 1 : 0;
  return hit / static_cast<double>(predictions.size());
}

namespace {

// Accuracy of `p` (the probability that the first of a pair is true) on `rows`, flipped when
// `flip`, with its interval over the rows' clusters.
CcsAccuracy AccuracyOn(const std::vector<double>& p, const ContrastPairs& pairs, const std::vector<size_t>& rows,
                       bool flip, uint64_t seed) {
  auto acc = [&](const std::vector<size_t>& sample) -> std::optional<double> {
    if (sample.empty()) return std::nullopt;
    double hit = 0;
    for (size_t k : sample) hit += (p[rows[k]] > 0.5) == (pairs.first_is_true[rows[k]] == 1) ? 1 : 0;
    const double a = hit / static_cast<double>(sample.size());
    return flip ? 1 - a : a;
  };
  std::vector<size_t> all(rows.size());
  std::vector<std::string> clusters;
  for (size_t k = 0; k < rows.size(); ++k) {
    all[k] = k;
    clusters.push_back(pairs.first[rows[k]].cluster);
  }
  CcsAccuracy out;
  out.pairs = rows.size();
  out.value = acc(all).value_or(0);
  BootstrapOptions bootstrap;
  bootstrap.seed = seed;
  out.ci = BootstrapOverClusters(rows.size(), clusters, acc, bootstrap).value_or(Interval{out.value, out.value});
  return out;
}

std::vector<size_t> TestRows(const ContrastPairs& pairs) {
  std::vector<size_t> rows;
  for (size_t i = 0; i < pairs.size(); ++i) {
    if (pairs.first[i].split != "train") rows.push_back(i);
  }
  return rows;
}

PairTestAccuracy TestAccuracy(const std::vector<double>& p, const ContrastPairs& pairs, bool flip, uint64_t seed) {
  const std::vector<size_t> test = TestRows(pairs);
  std::map<std::string, std::vector<size_t>> by_category;
  for (size_t i : test) {
    if (!pairs.first[i].category.empty()) by_category[pairs.first[i].category].push_back(i);
  }
  PairTestAccuracy out;
  out.all = AccuracyOn(p, pairs, test, flip, seed);
  for (const auto& [category, rows] : by_category) out.by_category[category] = AccuracyOn(p, pairs, rows, flip, seed);
  return out;
}

}  // namespace

Result<CcsSweep> SweepCcs(const ActivationSet& A, const ActivationSet& B, const ContrastPairs& pairs,
                          const CcsOptions& options) {
  const size_t n = pairs.size();
  if (pairs.second.size() != n || pairs.first_is_true.size() != n) {
    return Status::InvalidArgument("CCS: the pairs have " + std::to_string(n) + " first sides, " +
                                   std::to_string(pairs.second.size()) + " second sides and " +
                                   std::to_string(pairs.first_is_true.size()) + " labels");
  }
  if (A.hooks.size() != B.hooks.size() || A.hooks.empty()) {
    return Status::InvalidArgument("CCS: the two sides were captured at different hooks");
  }
  for (size_t h = 0; h < A.hooks.size(); ++h) {
    if (A.hooks[h].name != B.hooks[h].name || static_cast<size_t>(A.hooks[h].values.rows) != n ||
        static_cast<size_t>(B.hooks[h].values.rows) != n) {
      return Status::InvalidArgument("CCS: " + A.hooks[h].name + " has " + std::to_string(A.hooks[h].values.rows) +
                                     " and " + std::to_string(B.hooks[h].values.rows) + " rows for " +
                                     std::to_string(n) + " pairs");
    }
  }
  CcsSweep sweep;
  std::vector<size_t> train, fit, val;
  const std::vector<size_t> test = TestRows(pairs);
  for (size_t i = 0; i < n; ++i) {
    const LabelledConversation& c = pairs.first[i];
    if (c.split != "train") continue;
    train.push_back(i);
    (Fnv1a64(c.cluster) % 5 == 0 ? val : fit).push_back(i);
  }
  if (fit.size() < 2 || val.empty() || test.empty()) {
    return Status::InvalidArgument("CCS: need train pairs in at least two clusters (" + std::to_string(fit.size()) +
                                   " to fit, " + std::to_string(val.size()) + " to validate) and test pairs (" +
                                   std::to_string(test.size()) + ")");
  }
  sweep.fit_pairs = fit.size();
  sweep.validation_pairs = val.size();
  sweep.test_pairs = test.size();
  std::vector<int> train_labels;
  for (size_t i : train) train_labels.push_back(pairs.first_is_true[i]);
  CcsOptions o = options;
  o.per_side = pairs.form_ordered;
  for (size_t h = 0; h < A.hooks.size(); ++h) {
    const Matrix &a = A.hooks[h].values, &b = B.hooks[h].values;
    WARDEN_ASSIGN_OR_RETURN(CcsProbe p, TrainCcs(SelectRows(a, fit), SelectRows(b, fit), o));
    const std::vector<double> predicted = p.PredictFirstTrue(a, b);
    CcsHookResult r;
    r.hook = A.hooks[h].name;
    r.loss = p.loss;
    r.validation_loss = p.Loss(SelectRows(a, val), SelectRows(b, val));
    std::vector<double> on_train;
    for (size_t i : train) on_train.push_back(predicted[i]);
    r.train_accuracy_as_found = PairAccuracy(on_train, train_labels);
    const bool flip = r.train_accuracy_as_found < 0.5;  // the sign the training labels pick
    r.test_as_found = AccuracyOn(predicted, pairs, test, false, options.seed + h);
    r.test = TestAccuracy(predicted, pairs, flip, options.seed + h);
    sweep.hooks.push_back(std::move(r));
  }
  for (size_t h = 1; h < sweep.hooks.size(); ++h) {
    if (sweep.hooks[h].validation_loss < sweep.hooks[sweep.chosen].validation_loss) sweep.chosen = h;
  }
  return sweep;
}

Result<PairTestAccuracy> OwnAnswerAccuracy(const std::vector<double>& margin_first,
                                           const std::vector<double>& margin_second, const ContrastPairs& pairs,
                                           uint64_t seed) {
  const size_t n = pairs.size();
  if (margin_first.size() != n || margin_second.size() != n || pairs.first_is_true.size() != n) {
    return Status::InvalidArgument("own answers: " + std::to_string(margin_first.size()) + " and " +
                                   std::to_string(margin_second.size()) + " margins for " + std::to_string(n) +
                                   " pairs");
  }
  std::vector<double> p(n);
  for (size_t i = 0; i < n; ++i) p[i] = margin_first[i] > margin_second[i] ? 1 : 0;  // a tie: the second side
  return TestAccuracy(p, pairs, false, seed);
}

}  // namespace warden::interp
