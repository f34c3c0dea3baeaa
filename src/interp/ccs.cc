#include "warden/interp/ccs.h"

#include <cmath>

#include "engine/torch_pch.h"
#include "interp/matrix_tensor.h"

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
  torch::Tensor NA = stats(A, &ma, &sa), NB = stats(B, &mb, &sb);
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

}  // namespace warden::interp
