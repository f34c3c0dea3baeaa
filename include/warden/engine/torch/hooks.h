// Named hook points: read and write any activation of a forward pass, TransformerLens-style.
//
// Every architecture calls its hook points explicitly, by dense integer id, in its forward pass.
// A hook point nobody subscribed to costs one branch. Names and shapes are the TransformerLens
// classic ones (see docs/hooks.md for the versioned table):
//
//   hook_embed, hook_pos_embed (learned positions only)          [batch, pos, d_model]
//   blocks.{L}.hook_resid_pre / hook_attn_out / hook_resid_mid /
//              hook_mlp_out / hook_resid_post                    [batch, pos, d_model]
//   blocks.{L}.attn.hook_q, hook_rot_q (rotary), hook_z          [batch, pos, head, d_head]
//   blocks.{L}.attn.hook_k, hook_v, hook_rot_k (rotary)          [batch, pos, kv_head, d_head]
//   blocks.{L}.attn.hook_attn_scores, hook_pattern               [batch, head, q_pos, k_pos]
//   blocks.{L}.ln1.hook_scale, ln2.hook_scale, ln_final.hook_scale             [batch, pos, 1]
//   blocks.{L}.ln1.hook_normalized, ln2..., ln_final.hook_normalized     [batch, pos, d_model]
//   blocks.{L}.mlp.hook_pre, hook_pre_linear (gated MLPs), hook_post       [batch, pos, d_mlp]
//   unembed.hook_in                                              [batch, pos, d_model]
//   unembed.hook_out                                             [batch, pos, d_vocab]
//
// During generation `pos` is the number of tokens in this forward call (the prompt in prefill,
// 1 per step in decode) and k_pos spans the whole cache (padding included, masked).
// Batches are left-padded: HookEvent::offset says where this call's tokens start in the
// sequence, HookEvent::positions gives each token's rotary/learned position.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "warden/base/status.h"
#include "warden/engine/model_config.h"

namespace warden::engine {

// The kinds of hook point. Global kinds occur once per forward, per-layer kinds once per block.
enum class HookKind : int {
  // global
  kEmbed, kPosEmbed, kLnFinalScale, kLnFinalNormalized, kUnembedIn, kUnembedOut,
  // per layer
  kResidPre, kAttnOut, kResidMid, kMlpOut, kResidPost,
  kQ, kK, kV, kZ, kAttnScores, kPattern, kRotQ, kRotK,
  kLn1Scale, kLn1Normalized, kLn2Scale, kLn2Normalized,
  kMlpPre, kMlpPreLinear, kMlpPost,
};
inline constexpr int kNumGlobalHookKinds = 6;
inline constexpr int kNumLayerHookKinds = 20;

// The table of hook points one model has: its valid names, their dense ids and documented
// shapes. Built from the config: kinds an architecture lacks (hook_pos_embed on rotary models,
// hook_rot_q on GPT-2, hook_pre_linear on non-gated MLPs) are not valid names for it.
class HookPoints {
 public:
  explicit HookPoints(const ModelConfig& config);

  int size() const { return kNumGlobalHookKinds + n_layers_ * kNumLayerHookKinds; }
  int Id(HookKind kind, int layer = -1) const {
    int k = static_cast<int>(kind);
    return k < kNumGlobalHookKinds ? k : kNumGlobalHookKinds + layer * kNumLayerHookKinds +
                                             (k - kNumGlobalHookKinds);
  }
  bool Exists(int id) const { return id >= 0 && id < size() && exists_[id]; }
  const std::string& Name(int id) const { return names_[id]; }
  HookKind Kind(int id) const;
  int Layer(int id) const;  // -1 for global hooks

  // The id of a valid name; InvalidArgument naming the hook (and the architecture) otherwise.
  Result<int> Find(std::string_view name) const;
  // Every valid name matching a pattern: an exact name, a glob ("blocks.*.hook_resid_post",
  // "*hook_z"), or several of either separated by commas. A pattern part that matches nothing
  // is an error.
  Result<std::vector<int>> Match(std::string_view pattern) const;
  std::vector<std::string> AllNames() const;

  // The documented shape for a given batch / pos / k_pos, e.g. {1, 5, 8, 8} for hook_q.
  std::vector<int64_t> Shape(int id, int64_t batch, int64_t pos, int64_t k_pos) const;
  // Index of the `pos` axis in the shape (1, or 2 for attention scores/patterns).
  static int PosAxis(HookKind kind);

 private:
  const ModelConfig config_;
  int n_layers_;
  std::vector<std::string> names_;
  std::vector<bool> exists_;
};

// What a hook function is told about the activation it receives.
struct HookEvent {
  int id;
  const std::string& name;
  int layer;               // -1 for global hooks
  int64_t offset;          // index in the (padded) sequence of this call's first token
  bool decode;             // false during the prompt's prefill, true for decode steps
  const torch::Tensor& positions;  // [batch, pos] int64
};

// A hook function may read `act`, modify it in place, or assign a new tensor of the same shape.
using HookFn = std::function<void(torch::Tensor& act, const HookEvent& event)>;

// Captured activations, one list of chunks per hook name (one chunk per forward call: the
// prefill, then one per decode step). Tensors are detached copies on the CPU unless the
// cache was created with keep_device.
class ActivationCache {
 public:
  explicit ActivationCache(bool keep_device = false) : keep_device_(keep_device) {}
  void Append(const std::string& name, const torch::Tensor& act);
  bool Has(const std::string& name) const;
  std::vector<std::string> Names() const;
  const std::vector<torch::Tensor>& Chunks(const std::string& name) const;
  // Chunks joined along the pos axis. For attention scores/patterns, whose k axis grows, the
  // k axis is right-padded with zeros to the last chunk's length.
  Result<torch::Tensor> Stacked(const std::string& name) const;
  void Clear() { entries_.clear(); }

 private:
  bool keep_device_;
  std::vector<std::pair<std::string, std::vector<torch::Tensor>>> entries_;
};

// The hooks one run subscribes to. Passed to Forward/Generate/Score by pointer; nothing is ever
// attached to the model itself, so hooks cannot outlive the run that asked for them, even when
// a forward throws. `points` must outlive the Hooks (it is the model's table). Not
// thread-safe: one Hooks per concurrent run.
class Hooks {
 public:
  explicit Hooks(const HookPoints& points);

  // Subscribes fn to every hook matching pattern (see HookPoints::Match).
  Status Add(std::string_view pattern, HookFn fn);
  // Common writes, each on every hook matching pattern:
  // act += scale * vec (vec broadcasts over the trailing dims, e.g. [d_model] on the residual).
  Status AddVector(std::string_view pattern, torch::Tensor vec, double scale);
  Status ZeroAblate(std::string_view pattern, std::optional<int64_t> head = std::nullopt);
  // act = mean (broadcast; e.g. a [d_model] mean over a reference dataset).
  Status MeanAblate(std::string_view pattern, torch::Tensor mean);
  // act = the same positions of a cached run's activation. The source is copied (stacked)
  // when the patch is added, so the cache may be cleared or destroyed afterwards.
  Status PatchFrom(std::string_view pattern, const ActivationCache& source);
  // Reads: appends each activation to the cache.
  Status Capture(std::string_view pattern, ActivationCache* cache);

  bool active(int id) const { return !fns_[id].empty(); }
  bool any() const { return n_active_ > 0; }
  const HookPoints& points() const { return points_; }

  // Called by the forward pass when active(id).
  void Run(int id, torch::Tensor& act, int64_t offset, bool decode,
           const torch::Tensor& positions) const;

 private:
  const HookPoints& points_;
  std::vector<std::vector<HookFn>> fns_;
  int n_active_ = 0;
};

}  // namespace warden::engine
