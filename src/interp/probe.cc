#include "warden/interp/probe.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "engine/torch_pch.h"
#include "interp/matrix_tensor.h"
#include "warden/base/rng.h"

namespace warden::interp {
namespace {

Status CheckData(const Matrix& x, const std::vector<int>& labels) {
  if (x.rows == 0 || x.cols == 0) return Status::InvalidArgument("probe: no training data");
  if (static_cast<int64_t>(labels.size()) != x.rows) {
    return Status::InvalidArgument("probe: " + std::to_string(labels.size()) + " labels for " + std::to_string(x.rows) + " rows");
  }
  size_t pos = 0;
  for (int y : labels) {
    if (y != 0 && y != 1) return Status::InvalidArgument("probe: labels must be 0 or 1 (found " + std::to_string(y) + ")");
    pos += static_cast<size_t>(y);
  }
  if (pos == 0 || pos == labels.size()) {
    return Status::InvalidArgument("probe: the training data has only one class (" + std::to_string(pos) + " positive of " +
                                   std::to_string(labels.size()) + "): nothing to separate");
  }
  return Status::Ok();
}

}  // namespace

Result<ProbeKind> ProbeKindFromName(const std::string& name) {
  if (name == "logistic") return ProbeKind::kLogistic;
  if (name == "diff-means") return ProbeKind::kDiffMeans;
  return Status::InvalidArgument("unknown probe kind '" + name + "' (logistic, diff-means)");
}

const char* ProbeKindName(ProbeKind k) { return k == ProbeKind::kLogistic ? "logistic" : "diff-means"; }

double Probe::ScoreRow(const float* r, int64_t cols) const {
  double s = bias;
  for (int64_t j = 0; j < cols && j < static_cast<int64_t>(weight.size()); ++j) {
    s += weight[static_cast<size_t>(j)] * (r[j] - mean[static_cast<size_t>(j)]) / scale[static_cast<size_t>(j)];
  }
  return s;
}

std::vector<double> Probe::Score(const Matrix& x) const {
  std::vector<double> out(static_cast<size_t>(x.rows));
  for (int64_t i = 0; i < x.rows; ++i) out[static_cast<size_t>(i)] = ScoreRow(x.Row(i), x.cols);
  return out;
}

Result<Probe> TrainProbe(const Matrix& x, const std::vector<int>& labels, const ProbeOptions& o) {
  WARDEN_RETURN_IF_ERROR(CheckData(x, labels));
  torch::NoGradGuard outer;
  torch::Tensor X = ToTensor(x).to(torch::kDouble);
  torch::Tensor mean = X.mean(0);
  torch::Tensor scale = X.std(0, /*unbiased=*/false);
  if (scale.max().item<double>() <= 0) return Status::InvalidArgument("probe: every feature is constant");
  scale = torch::where(scale > 1e-8, scale, torch::ones_like(scale));
  torch::Tensor Z = (X - mean) / scale;
  std::vector<double> yd(labels.begin(), labels.end());
  torch::Tensor y = torch::tensor(yd, torch::kDouble);
  Probe p;
  p.kind = o.kind;
  torch::Tensor w;
  double b = 0;
  if (o.kind == ProbeKind::kDiffMeans) {
    torch::Tensor pos = Z.index({y > 0.5}).mean(0), neg = Z.index({y < 0.5}).mean(0);
    w = pos - neg;
    b = -(w * (pos + neg) / 2).sum().item<double>();
  } else {
    torch::Tensor wt = torch::zeros({x.cols}, torch::TensorOptions().dtype(torch::kDouble).requires_grad(true));
    torch::Tensor bt = torch::zeros({1}, torch::TensorOptions().dtype(torch::kDouble).requires_grad(true));
    torch::optim::LBFGS opt({wt, bt}, torch::optim::LBFGSOptions(1.0).max_iter(o.iterations).line_search_fn("strong_wolfe"));
    auto closure = [&]() -> torch::Tensor {
      opt.zero_grad();
      torch::Tensor logits = Z.matmul(wt) + bt;
      torch::Tensor loss = torch::binary_cross_entropy_with_logits(logits, y) + 0.5 * o.l2 * wt.pow(2).sum();
      loss.backward();
      return loss;
    };
    {
      torch::AutoGradMode grad(true);
      opt.step(closure);
    }
    w = wt.detach();
    b = bt.detach().item<double>();
    if (!std::isfinite(b) || !torch::isfinite(w).all().item<bool>()) return Status::Internal("probe: training diverged");
  }
  p.weight = ToFloats(w);
  p.mean = ToFloats(mean);
  p.scale = ToFloats(scale);
  p.bias = b;
  return p;
}

Result<Threshold> ThresholdAtFpr(const std::vector<double>& scores, const std::vector<int>& labels, double fpr) {
  std::vector<double> neg;
  for (size_t i = 0; i < scores.size(); ++i) {
    if (labels[i] == 0) neg.push_back(scores[i]);
  }
  if (neg.empty()) return Status::InvalidArgument("threshold: no negatives to calibrate on");
  if (!(fpr >= 0 && fpr <= 1)) return Status::InvalidArgument("threshold: false-positive rate must be in [0, 1]");
  std::sort(neg.begin(), neg.end());
  // Allow floor(fpr * n) negatives above the threshold: the threshold sits at the next one down.
  const size_t allowed = static_cast<size_t>(std::floor(fpr * static_cast<double>(neg.size())));
  Threshold t;
  t.value = neg[neg.size() - 1 - std::min(allowed, neg.size() - 1)];
  if (allowed >= neg.size()) t.value = neg.front() - 1;
  t.fpr = FprAbove(scores, labels, t.value);
  return t;
}

double RecallAbove(const std::vector<double>& scores, const std::vector<int>& labels, double threshold) {
  double hit = 0, pos = 0;
  for (size_t i = 0; i < scores.size(); ++i) {
    if (labels[i] != 1) continue;
    pos += 1;
    hit += scores[i] > threshold ? 1 : 0;
  }
  return pos == 0 ? 0 : hit / pos;
}

double FprAbove(const std::vector<double>& scores, const std::vector<int>& labels, double threshold) {
  double hit = 0, neg = 0;
  for (size_t i = 0; i < scores.size(); ++i) {
    if (labels[i] != 0) continue;
    neg += 1;
    hit += scores[i] > threshold ? 1 : 0;
  }
  return neg == 0 ? 0 : hit / neg;
}

double CalibrationError(const std::vector<double>& scores, const std::vector<int>& labels) {
  double conf[10] = {0}, acc[10] = {0}, count[10] = {0};
  for (size_t i = 0; i < scores.size(); ++i) {
    const double p = 1 / (1 + std::exp(-scores[i]));
    const int bin = std::min(9, static_cast<int>(p * 10));
    conf[bin] += p;
    acc[bin] += labels[i];
    count[bin] += 1;
  }
  double ece = 0;
  for (int b = 0; b < 10; ++b) {
    if (count[b] > 0) ece += std::abs(acc[b] - conf[b]) / static_cast<double>(scores.size());
  }
  return ece;
}

Matrix SelectRows(const Matrix& m, const std::vector<size_t>& rows) {
  Matrix out{static_cast<int64_t>(rows.size()), m.cols, {}};
  out.data.reserve(rows.size() * static_cast<size_t>(m.cols));
  for (size_t r : rows) out.data.insert(out.data.end(), m.Row(static_cast<int64_t>(r)), m.Row(static_cast<int64_t>(r)) + m.cols);
  return out;
}

Result<SweepResult> SweepHooks(const ActivationSet& set, const std::vector<size_t>& train,
                               const std::vector<size_t>& validation, const ProbeOptions& o) {
  std::vector<int> ytr, yva;
  for (size_t i : train) ytr.push_back(set.items[i].label);
  for (size_t i : validation) yva.push_back(set.items[i].label);
  SweepResult r;
  double best = -1;
  for (const HookActivations& h : set.hooks) {
    WARDEN_ASSIGN_OR_RETURN(Probe p, TrainProbe(SelectRows(h.values, train), ytr, o));
    WARDEN_ASSIGN_OR_RETURN(double auc, Auroc(p.Score(SelectRows(h.values, validation)), yva));
    r.points.push_back({h.name, auc});
    if (auc > best) {
      best = auc;
      r.best = h.name;
    }
  }
  if (r.points.empty()) return Status::InvalidArgument("layer sweep: no hooks captured");
  return r;
}

}  // namespace warden::interp
