// Internal: the fast forward of the Llama family (llama.cc, qwen2.cc).
//
// Inference forwards on the CPU in float32 without autograd (decode steps, and prompts short
// enough that attention by loops beats matrix products) run here instead of through LibTorch's
// operators: the same arithmetic over raw rows, with no tensor allocated per operation and no
// operator dispatch. Single-row linears are a matrix-vector kernel that streams each weight once
// (AVX-512, AVX2 or plain, chosen at run time); several rows go to BLAS sgemm; RMSNorm, rotary
// positions and SwiGLU are one loop each; attention writes the cache (or, without one, this
// call's own keys and values) in place and reads it through AttendOne (fused_attention.cc), with
// the forward's mask keeping it causal and off padding.
//
// The hook contract holds: every hook point the general path calls is called here, in the same
// order, with the same shape, and only subscribed ones cost anything (a subscribed hook gets a
// fresh tensor with the activation, and what it leaves there flows on). Hooks on attention
// scores or patterns, which this path never materialises, send the forward to the general path.
// Logits agree with the general path to float rounding (fast_forward_test.cc).
#pragma once

#include <vector>

#include "engine/transformer.h"

namespace warden::engine {

// The weights of one Llama-family model as raw float32 rows (Hugging Face layouts: a linear's
// weight is [out, in]); biases null where the architecture has none.
struct LlamaStepWeights {
  // A linear's weight [out, in], and its transposed copy [in, out] when the model keeps one
  // (Model::KeepTransposedWeights; null otherwise): several rows multiply it without BLAS
  // packing a transposed operand on every call.
  struct Linear {
    const float* w = nullptr;
    const float* t = nullptr;
  };
  struct Layer {
    const float* ln1;
    Linear q, k, v;
    const float *q_bias, *k_bias, *v_bias;
    Linear o;
    const float* ln2;
    Linear gate, up, down;
  };
  const float* embed = nullptr;     // [vocab, d_model]
  Linear unembed;                   // [vocab, d_model] (the embedding when tied)
  const float* final_norm = nullptr;
  const float* cos = nullptr;       // rotary tables [n_ctx, d_head]
  const float* sin = nullptr;
  std::vector<Layer> layers;
};

// Whether this forward can take the fast path: float32 CPU weights, no gradient wanted, no hook
// on attention scores or patterns, and either one token per row or a masked prompt with at most
// 2^17 multiply-adds of attention per (row, kv head). `weight` is any of the model's weights
// (its dtype, device and gradient flag stand for all of them).
bool CanFastForward(const torch::Tensor& tokens, const ForwardContext& ctx, const torch::Tensor& weight,
                    const ModelConfig& config);

// The forward: tokens [batch, pos] -> logits [batch, pos, vocab]; with a cache, writes this
// call's keys and values at its current length (Model::Forward advances it).
torch::Tensor FastForward(const ModelConfig& config, const LlamaStepWeights& w, const torch::Tensor& tokens,
                          const ForwardContext& ctx);

// How many forwards took the fast path in this process (tests check that the path they mean is taken).
int64_t FastForwardCalls();

// y[r, o] = sum_i W[o, i] x[r, i] (+ bias[o]) for `rows` rows: W [out, in] row-major, Wt its
// transposed copy [in, out] or null. One row streams W once through the matrix-vector kernel
// (split over threads for large W); several go to BLAS sgemm, on Wt when there is one. Exposed
// for its test and benchmark.
void LinearRows(const float* W, const float* Wt, const float* bias, const float* x, float* y, int64_t rows, int64_t in,
                int64_t out);

}  // namespace warden::engine
