// Layers shared by the architecture files: norms, rotary embeddings, attention.
#include <cmath>

#include "engine/transformer.h"
#include "warden/engine/torch/model.h"

namespace warden::engine {
namespace {
bool Watched(const ForwardContext& ctx, HookKind a, HookKind b, int layer) {
  return ctx.hooks != nullptr &&
         (ctx.hooks->active(ctx.points->Id(a, layer)) || ctx.hooks->active(ctx.points->Id(b, layer)));
}
// Reductions in fp32 even for half-precision models.
torch::Tensor Upcast(const torch::Tensor& x) {
  return x.scalar_type() == torch::kFloat ? x : x.to(torch::kFloat);
}
}  // namespace

torch::Tensor Linear(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                     const TransposedWeights* transposed) {
  const int64_t in = x.size(-1);
  if (!x.device().is_cpu() || x.scalar_type() != torch::kFloat) return torch::linear(x, weight, bias);
  if (x.numel() != in) {
    const torch::Tensor* wt = transposed != nullptr ? transposed->Find(weight) : nullptr;
    if (wt == nullptr) return torch::linear(x, weight, bias);
    const torch::Tensor x2 = x.reshape({-1, in});
    torch::Tensor y = bias.defined() ? torch::addmm(bias, x2, *wt) : torch::mm(x2, *wt);
    std::vector<int64_t> shape = x.sizes().vec();
    shape.back() = weight.size(0);
    return y.view(shape);
  }
  torch::Tensor y = torch::mv(weight, x.reshape({in}));
  if (bias.defined()) y = y + bias;
  std::vector<int64_t> shape = x.sizes().vec();
  shape.back() = weight.size(0);
  return y.view(shape);
}

torch::Tensor RmsNorm(const torch::Tensor& x, const torch::Tensor& weight, double eps,
                      const ForwardContext& ctx, HookKind scale_hook, HookKind norm_hook, int layer) {
  torch::Tensor xf = Upcast(x);
  torch::Tensor mean_sq = xf.pow(2).mean(-1, /*keepdim=*/true);  // [batch, pos, 1]
  if (!Watched(ctx, scale_hook, norm_hook, layer)) {
    return (xf * torch::rsqrt(mean_sq + eps)).to(x.scalar_type()) * weight;
  }
  torch::Tensor scale = ctx.Hook(scale_hook, layer, torch::sqrt(mean_sq + eps));  // [batch, pos, 1]
  torch::Tensor normalized = ctx.Hook(norm_hook, layer, xf / scale);  // [batch, pos, d_model]
  return normalized.to(x.scalar_type()) * weight;
}

torch::Tensor LayerNorm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                        double eps, const ForwardContext& ctx, HookKind scale_hook,
                        HookKind norm_hook, int layer) {
  if (!Watched(ctx, scale_hook, norm_hook, layer)) {
    return torch::layer_norm(x, {x.size(-1)}, weight, bias, eps);
  }
  torch::Tensor xf = Upcast(x);
  torch::Tensor centred = xf - xf.mean(-1, /*keepdim=*/true);
  torch::Tensor scale =
      ctx.Hook(scale_hook, layer, torch::sqrt(centred.pow(2).mean(-1, true) + eps));  // [b, p, 1]
  torch::Tensor normalized = ctx.Hook(norm_hook, layer, centred / scale);  // [b, p, d_model]
  return torch::addcmul(bias, normalized.to(x.scalar_type()), weight);
}

std::pair<torch::Tensor, torch::Tensor> RotaryTables(int64_t n_ctx, int64_t d_head, double theta) {
  auto f64 = torch::TensorOptions().dtype(torch::kDouble);
  torch::Tensor inv_freq =
      1.0 / torch::pow(theta, torch::arange(0, d_head, 2, f64) / static_cast<double>(d_head));
  torch::Tensor freqs = torch::outer(torch::arange(n_ctx, f64), inv_freq);  // [n_ctx, d_head/2]
  torch::Tensor emb = torch::cat({freqs, freqs}, -1);                       // [n_ctx, d_head]
  return {emb.cos().to(torch::kFloat), emb.sin().to(torch::kFloat)};
}

std::pair<torch::Tensor, torch::Tensor> RotaryAt(const torch::Tensor& cos, const torch::Tensor& sin,
                                                 const torch::Tensor& positions,
                                                 torch::ScalarType dtype) {
  TORCH_CHECK(positions.max().item<int64_t>() < cos.size(0), "position ",
              positions.max().item<int64_t>(), " is beyond the model's context of ", cos.size(0));
  return {cos.index({positions}).unsqueeze(2).to(dtype), sin.index({positions}).unsqueeze(2).to(dtype)};
}

torch::Tensor ApplyRotary(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
  int64_t half = x.size(-1) / 2;
  torch::Tensor rotated = torch::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
  return x * cos + rotated * sin;
}

torch::Tensor Attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                        const ForwardContext& ctx, int layer) {
  const int64_t B = q.size(0), T = q.size(1), H = q.size(2), Dh = q.size(3), KV = k.size(2);
  const int64_t G = H / KV;  // query heads per kv head; head h reads kv head h / G
  torch::Tensor keys = k.transpose(1, 2);    // [batch, kv_head, pos, d_head]
  torch::Tensor values = v.transpose(1, 2);  // [batch, kv_head, pos, d_head]
  if (ctx.cache != nullptr) std::tie(keys, values) = ctx.cache->Write(layer, keys, values);
  const int64_t S = keys.size(2);
  if (!Watched(ctx, HookKind::kAttnScores, HookKind::kPattern, layer) && CanFuseAttention(q, keys, ctx.mask)) {
    return ctx.Hook(HookKind::kZ, layer, FusedAttention(q, keys, values, ctx.mask));  // [batch, pos, head, d_head]
  }

  // [batch, kv_head, group * pos, d_head]: grouped heads share their kv head without a copy.
  torch::Tensor qg = q.view({B, T, KV, G, Dh}).permute({0, 2, 3, 1, 4}).reshape({B, KV, G * T, Dh});
  torch::Tensor scores = torch::matmul(qg, keys.transpose(2, 3))
                             .mul_(1.0 / std::sqrt(static_cast<double>(Dh)))
                             .view({B, H, T, S});
  if (ctx.mask.defined()) scores.add_(ctx.mask);
  scores = ctx.Hook(HookKind::kAttnScores, layer, scores);  // [batch, head, q_pos, k_pos]
  torch::Tensor pattern = q.scalar_type() == torch::kFloat
                              ? torch::softmax(scores, -1)
                              : torch::softmax(scores, -1, torch::kFloat).to(q.scalar_type());
  pattern = ctx.Hook(HookKind::kPattern, layer, pattern);  // [batch, head, q_pos, k_pos]
  torch::Tensor z = torch::matmul(pattern.reshape({B, KV, G * T, S}), values)  // [b, kv, g*p, dh]
                        .view({B, KV, G, T, Dh})
                        .permute({0, 3, 1, 2, 4})
                        .reshape({B, T, H, Dh});
  return ctx.Hook(HookKind::kZ, layer, z);  // [batch, pos, head, d_head]
}

}  // namespace warden::engine
