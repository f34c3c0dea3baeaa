// Activation datasets: run a model over labelled conversations and keep, for each conversation
// and each chosen hook, one activation vector reduced by a position rule.
//
//   LabelledSet data = LoadLabelledConversations("zoo/benchmarks/lie-detection.jsonl").value();
//   ActivationSet acts = CaptureActivations(model, data, {"blocks.*.hook_resid_post"},
//                                           PositionRule::kResponseMean, {}).value();
//   acts.hooks[2].name, acts.hooks[2].Row(i) ...
//
// Position rules (where in the conversation the vector is read):
//   last-prompt     the last token before the final assistant message (where the model has read
//                   the whole request and not yet answered); a conversation that ends with the
//                   user's turn is read there too (response-mean needs an answer);
//   response-mean   the mean over the final assistant message's tokens (its turn end excluded);
//   last            the final token of the conversation;
//   prompt-mean     the mean over every token before the final assistant message (the whole
//                   request as the model read it, template included), or over the whole
//                   conversation when it ends with the user's turn.
// Only hooks of shape [batch, pos, d] are accepted (residual stream, attention and MLP outputs,
// MLP neurons, normalised streams). Capturing streams batch by batch; to disk, shard by shard
// with bounded memory, see shards.h.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "warden/base/status.h"
#include "warden/engine/chat_template.h"
#include "warden/engine/language_model.h"
#include "warden/interp/datasets.h"

namespace warden::interp {

enum class PositionRule { kLastPrompt, kResponseMean, kLast, kPromptMean };
Result<PositionRule> PositionRuleFromName(const std::string& name);  // "last-prompt" ...
const char* PositionRuleName(PositionRule rule);

// Row-major float matrix.
struct Matrix {
  int64_t rows = 0, cols = 0;
  std::vector<float> data;
  const float* Row(int64_t i) const { return data.data() + i * cols; }
};

struct HookActivations {
  std::string name;
  Matrix values;  // [conversations, d]
};

struct ActivationSet {
  std::string model_sha256;
  PositionRule rule = PositionRule::kResponseMean;
  std::vector<HookActivations> hooks;       // in hook order
  std::vector<LabelledConversation> items;  // row i of every matrix is items[i] (messages dropped)
  const HookActivations* Find(const std::string& hook) const;
};

struct CaptureOptions {
  std::string chat_format = "auto";  // as evals::EngineBackendOptions
  size_t batch_size = 16;
  std::function<void(size_t done, size_t total)> progress;
};

Result<ActivationSet> CaptureActivations(const engine::LanguageModel& model,
                                         const std::vector<LabelledConversation>& data,
                                         const std::string& hook_pattern, PositionRule rule,
                                         const CaptureOptions& options = {});

// A baseline that reads the text, not the model: lower-cased alphanumeric words hashed into
// `buckets` counts (one row per text).
Matrix BagOfWords(const std::vector<std::string>& texts, int64_t buckets = 4096);

}  // namespace warden::interp
