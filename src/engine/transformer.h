// Internal: what every architecture file implements, and the pieces they share.
//
// An architecture is a torch::nn::Module whose parameter names are exactly the Hugging Face
// names of that architecture, so that writing and reading safetensors needs no mapping. Other
// formats (GGUF, llama2.c) are mapped onto those names by TensorSpec.
#pragma once

#include "engine/torch_pch.h"

#include <memory>
#include <string>
#include <string_view>

#include "warden/engine/model_config.h"
#include "warden/engine/torch/hooks.h"
#include "warden/engine/torch/kv_cache.h"

namespace warden::engine {

struct TransposedWeights;  // model.h

// Everything a forward pass needs besides the tokens.
struct ForwardContext {
  const HookPoints* points = nullptr;
  const Hooks* hooks = nullptr;  // null: no hooks at all
  KvCache* cache = nullptr;      // null: attend only within this call's tokens
  torch::Tensor positions;       // [batch, pos] int64
  torch::Tensor mask;            // [batch, 1, pos, k_pos] additive (0 or -inf); undefined: none needed
  int64_t offset = 0;            // index of this call's first token in the sequence
  bool decode = false;
  const TransposedWeights* transposed = nullptr;  // Model::KeepTransposedWeights, if kept
  bool fast_forward = true;      // Model::SetFastForward: inference may take fast_forward.h's path

  // Calls the hook point; costs one branch when nobody subscribed.
  torch::Tensor Hook(HookKind kind, int layer, torch::Tensor x) const {
    if (hooks == nullptr) return x;
    int id = points->Id(kind, layer);
    if (!hooks->active(id)) return x;
    hooks->Run(id, x, offset, decode, positions);
    return x;
  }
};

// How a parameter is found in a file of another format.
struct TensorSpec {
  enum class Transform {
    kNone,
    kUnpermuteRotary,  // rows in interleaved-pair rotary order -> Hugging Face half-split order
    kTranspose,        // 2-D [a, b] -> [b, a]
  };
  std::string name;  // the tensor's name in that file; empty: not stored there (e.g. tied)
  Transform transform = Transform::kNone;
  int64_t rotary_heads = 0;  // for kUnpermuteRotary
};

class CausalLmImpl : public torch::nn::Module {
 public:
  explicit CausalLmImpl(const ModelConfig& config) : config_(config) {}
  const ModelConfig& config() const { return config_; }

  // tokens [batch, pos] int64 -> logits [batch, pos, vocab].
  virtual torch::Tensor Forward(const torch::Tensor& tokens, const ForwardContext& ctx) = 0;

  // Where parameter `param` (a Hugging Face name) lives in a file of `format` ("gguf",
  // "llama2c"); safetensors uses the parameter names directly.
  virtual TensorSpec SpecFor(const std::string& param, std::string_view format) const = 0;

 protected:
  ModelConfig config_;
};

// Entry points, one per architecture file.
std::shared_ptr<CausalLmImpl> MakeLlama(const ModelConfig& config);  // llama.cc
std::shared_ptr<CausalLmImpl> MakeQwen2(const ModelConfig& config);  // qwen2.cc
std::shared_ptr<CausalLmImpl> MakeGpt2(const ModelConfig& config);   // gpt2.cc
std::shared_ptr<CausalLmImpl> MakeArchitecture(const ModelConfig& config);

// ---- shared layers (layers.cc) ------------------------------------------------------------

// y = x @ weight^T + bias, x [..., in], weight [out, in], bias [out] or undefined. A single row
// on the CPU in fp32 goes through a matrix-vector product: LibTorch 1.13 sends M=1 matrix
// products through BLAS gemm, which is 2.5-3x slower than gemv (bench/engine_bench). Several
// rows use the weight's transposed copy when `transposed` has an unchanged one
// (Model::KeepTransposedWeights).
torch::Tensor Linear(const torch::Tensor& x, const torch::Tensor& weight,
                     const torch::Tensor& bias = {}, const TransposedWeights* transposed = nullptr);

// RMSNorm with hooks: returns (x / rms(x)) * weight; calls the *Scale hook with rms(x)
// [batch, pos, 1] and the *Normalized hook with x / rms(x) [batch, pos, d_model].
torch::Tensor RmsNorm(const torch::Tensor& x, const torch::Tensor& weight, double eps,
                      const ForwardContext& ctx, HookKind scale_hook, HookKind norm_hook, int layer);
// LayerNorm with the same hooks (scale = sqrt(var + eps) of the centred input).
torch::Tensor LayerNorm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                        double eps, const ForwardContext& ctx, HookKind scale_hook,
                        HookKind norm_hook, int layer);

// Rotary embedding tables [n_ctx, d_head]: cos and sin of position * inverse frequency, each
// half-split (the two halves equal), as Hugging Face's rotate_half formulation uses them.
std::pair<torch::Tensor, torch::Tensor> RotaryTables(int64_t n_ctx, int64_t d_head, double theta);
// The tables' rows for positions [batch, pos], shaped [batch, pos, 1, d_head] to broadcast over
// heads. Computed once per forward and shared by all layers.
std::pair<torch::Tensor, torch::Tensor> RotaryAt(const torch::Tensor& cos, const torch::Tensor& sin,
                                                 const torch::Tensor& positions,
                                                 torch::ScalarType dtype);
// x [batch, pos, head, d_head] rotated (Hugging Face half-split layout): x*cos + rotate_half(x)*sin.
torch::Tensor ApplyRotary(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin);

// Scaled dot-product attention with grouped-query heads, the cache, the mask and the
// hook_attn_scores / hook_pattern / hook_z hooks.
// q [batch, pos, head, d_head], k/v [batch, pos, kv_head, d_head] -> z [batch, pos, head, d_head]
torch::Tensor Attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                        const ForwardContext& ctx, int layer);

// The same attention in one pass over raw rows (fused_attention.cc), for little work per
// (row, kv head) (the zoo's decode steps and short prompts): q [batch, pos, head, d_head],
// keys/values [batch, kv_head, k_pos, d_head] (strided views of the cache are fine), mask as
// ForwardContext::mask or undefined. CPU fp32 without autograd only: CanFuseAttention says
// whether these inputs qualify. Attention() uses it when nobody watches hook_attn_scores or
// hook_pattern, which it never materialises.
bool CanFuseAttention(const torch::Tensor& q, const torch::Tensor& keys, const torch::Tensor& mask);
// Its inner loop: one query row q [Dh] against S keys (row stride ks) and values (stride vs), an
// additive mask (stride ms; null: none): z = softmax(q.k * scale + mask) . v; `p` is S floats of scratch.
void AttendOne(const float* __restrict q, const float* __restrict k, int64_t ks, const float* __restrict v,
               int64_t vs, const float* __restrict mask, int64_t ms, int64_t S, int64_t Dh, float scale,
               float* __restrict p, float* __restrict z);
torch::Tensor FusedAttention(const torch::Tensor& q, const torch::Tensor& keys, const torch::Tensor& values,
                             const torch::Tensor& mask);

}  // namespace warden::engine
