// Sparse autoencoders on one hook's activations: TopK SAEs (Gao et al. 2024, arXiv:2406.04093):
//   z = TopK(W_enc^T (x - b_dec) + b_enc),  x_hat = W_dec^T z + b_dec
// trained on every token's activation, judged by reconstruction MSE, explained variance, L0
// (= k), dead latents, and the model's own next-token loss with the SAE spliced in at the hook
// (against the clean loss, and against zero-ablating the hook). Saved in SAELens' layout:
// <dir>/cfg.json + <dir>/sae_weights.safetensors (W_enc [d_in, d_sae], b_enc, W_dec [d_sae,
// d_in], b_dec), so SAELens-trained SAEs load here and these load there.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "warden/base/status.h"
#include "warden/engine/language_model.h"
#include "warden/interp/activations.h"

namespace warden::interp {

struct Sae {
  int64_t d_in = 0, d_sae = 0, k = 0;
  std::string hook;
  std::string model_sha256;
  std::vector<std::string> trained_on;  // ids of the conversations it was trained on (provenance)
  std::vector<float> w_enc, b_enc, w_dec, b_dec;  // row-major [d_in, d_sae], [d_sae], [d_sae, d_in], [d_in]
  Matrix Encode(const Matrix& x) const;           // [rows, d_sae], at most k non-zeros per row
  Matrix Reconstruct(const Matrix& x) const;      // [rows, d_in]
};

struct SaeTrainOptions {
  int64_t d_sae = 512;
  int64_t k = 16;
  int steps = 3000;
  int64_t batch = 512;
  double lr = 1e-3;
  uint64_t seed = 0;
  std::function<void(int step, double mse)> progress;
};

struct SaeMetrics {
  double mse = 0;                 // mean squared error per element
  double explained_variance = 0;  // 1 - sum ||x - x_hat||^2 / sum ||x - mean(x)||^2
  double l0 = 0;                  // mean non-zero latents per token
  double dead_fraction = 0;       // latents that never fire on this data
};

// Token-level activations of one hook over conversations (every position of every
// conversation, template tokens included); `where` gets (conversation index, position) per row.
Result<Matrix> CaptureTokenActivations(const engine::LanguageModel& model, const std::vector<LabelledConversation>& data,
                                       const std::string& hook, const std::string& chat_format,
                                       std::vector<std::pair<size_t, int64_t>>* where = nullptr,
                                       std::vector<std::vector<int32_t>>* token_ids = nullptr,
                                       std::vector<std::pair<int64_t, int64_t>>* response_spans = nullptr);

Result<Sae> TrainSae(const Matrix& acts, const std::string& hook, const SaeTrainOptions& options);
SaeMetrics EvaluateSae(const Sae& sae, const Matrix& acts);

// Mean next-token cross-entropy: clean, with the hook replaced by the SAE's reconstruction, and
// with the hook zero-ablated. With `spans` ([begin, end) per sequence, e.g. the final assistant
// message from CaptureTokenActivations), only tokens inside them are predicted: what a chat
// model was trained on; prompts of invented names are unpredictable, and a model trained on
// answers only predicts them worse than uniform.
struct SplicedLoss {
  double clean = 0, spliced = 0, zero_ablated = 0;
  // The share of the zero-ablation damage the SAE avoids: 1 = as good as clean.
  double recovered() const { return zero_ablated == clean ? 1 : (zero_ablated - spliced) / (zero_ablated - clean); }
};
Result<SplicedLoss> MeasureSplicedLoss(const engine::LanguageModel& model, const Sae& sae,
                                       const std::vector<std::vector<int32_t>>& sequences,
                                       const std::vector<std::pair<int64_t, int64_t>>& spans = {});

Status SaveSaeLens(const Sae& sae, const std::string& dir);
Result<Sae> LoadSaeLens(const std::string& dir);

// A page per SAE: for the `latents` most active latents, their top-activating tokens with a
// window of context, as escaped HTML.
std::string SaeDashboardHtml(const Sae& sae, const Matrix& acts, const std::vector<std::pair<size_t, int64_t>>& where,
                             const std::vector<std::vector<int32_t>>& token_ids, const engine::Tokenizer& tokenizer,
                             const SaeMetrics& metrics, int latents = 24, int examples = 8);

}  // namespace warden::interp
