// A sparse autoencoder trained and judged on a model's own conversations: what `warden sae
// train|inspect` report (docs/interp.md). The pieces are in sae.h; this is the pipeline.
//
//   Sae sae = TrainSaeOnConversations(model, data, "blocks.1.hook_resid_post", "auto", {}).value();
//   SaeEvaluation e = EvaluateSae(model, sae, held_out).value();
//   e.metrics.explained_variance, e.loss.recovered(), e.dashboard_html ...
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "warden/base/status.h"
#include "warden/engine/language_model.h"
#include "warden/interp/activations.h"
#include "warden/interp/sae.h"

namespace warden::interp {

struct SaeEvaluation {
  int64_t tokens = 0;  // token activations evaluated: every position of every conversation
  SaeMetrics metrics;  // reconstruction on those activations (sae.h)
  // The model's next-token loss clean, with the SAE spliced in and with the hook zero-ablated,
  // over the final assistant messages when the conversations have any (in the chat format),
  // else over all tokens.
  SplicedLoss loss;
  bool loss_on_answers = false;  // which of the two the loss was measured on
  std::string dashboard_html;    // SaeDashboardHtml of these activations: the caller writes it
};

// Captures every token's activation at sae.hook over `data` (CaptureTokenActivations, in
// `chat_format`: "auto", "none" or a format's name), measures the metrics and the spliced loss,
// and renders the dashboard. Errors: an SAE made on another model (its model_sha256 is set and
// differs from the model's), a model without a tokenizer, a hook the model lacks or whose width
// is not sae.d_in, an unknown chat format, no conversations.
Result<SaeEvaluation> EvaluateSae(const engine::LanguageModel& model, const Sae& sae,
                                  const std::vector<LabelledConversation>& data, const std::string& chat_format = "auto");

// Trains a TopK SAE on every token's activation at `hook` over `data` (TrainSae), and records
// its provenance: the model's sha256 and the ids of the conversations.
Result<Sae> TrainSaeOnConversations(const engine::LanguageModel& model, const std::vector<LabelledConversation>& data,
                                    const std::string& hook, const std::string& chat_format,
                                    const SaeTrainOptions& options);

}  // namespace warden::interp
