// Model backends: what an evaluation talks to. One interface, two kinds:
//   - EngineBackend: a model loaded in-process by warden's engine (white-box: log-probs of any
//     text, and through the engine, activations);
//   - HttpBackend: any OpenAI-compatible chat-completions server (black-box: llama.cpp's
//     server, vLLM, warden's own gateway), reached over HTTP.
//
// Errors: a whole call fails only when nothing could be done (bad arguments, the model cannot
// run). One request that fails (an HTTP 500, a malformed response, a timeout) marks only its
// Completion with `error`; the runner records that sample as an error, never as a score.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "warden/base/status.h"
#include "warden/engine/chat_template.h"
#include "warden/engine/language_model.h"

namespace warden::evals {

using Conversation = std::vector<engine::ChatMessage>;

struct GenerateOptions {
  int64_t max_tokens = 256;
  double temperature = 0.0;  // 0: greedy
  uint64_t seed = 0;
};

struct Completion {
  std::string text;
  std::vector<float> token_logprobs;  // per generated token, when the backend reports them
  std::string finish_reason;          // "stop" | "length" | ... as the backend says
  std::string error;                  // non-empty: this request failed (and text means nothing)
};

// Who answered: bound into every log header.
struct ModelIdentity {
  std::string kind;    // "engine" | "http"
  std::string name;    // a path, or the server's model name
  std::string sha256;  // of the weights (engine); "" for a black-box server
  std::string detail;  // e.g. "chat format warden", "http://127.0.0.1:8080"
};

// Log-probabilities of candidate assistant replies to one conversation.
struct ReplyScoreRequest {
  Conversation conversation;
  std::vector<std::string> replies;
};

class ModelBackend {
 public:
  virtual ~ModelBackend() = default;
  virtual ModelIdentity Identity() const = 0;
  // One completion per conversation, in order.
  virtual Result<std::vector<Completion>> Generate(const std::vector<Conversation>& conversations,
                                                   const GenerateOptions& options) = 0;
  // For each request, log p(reply + end of turn | conversation) per reply, summed over tokens.
  // Black-box backends return Unsupported.
  virtual Result<std::vector<std::vector<double>>> ScoreReplies(const std::vector<ReplyScoreRequest>& requests) = 0;
};

struct EngineBackendOptions {
  std::string name;                  // shown in logs: the model's path
  std::string chat_format = "auto";  // "auto" | "warden" | "chatml" | "llama2" | "none"
  // Conversations per generation batch, and the token budget of one scoring batch; 1 and 0 run
  // one prompt at a time (the unbatched baseline of bench/eval_bench).
  size_t batch_size = 16;
  int64_t max_batch_tokens = 8192;
};

// Wraps a loaded model. "auto" picks the chat format from the tokenizer's special tokens
// (engine::DetectChatFormat: <|assistant|>: warden; <|im_start|>: chatml; Llama-2 chat must be
// named, its vocabulary being the base model's), else "none": the
// conversation's messages joined as plain text (system first), which is what a base model gets.
Result<std::unique_ptr<ModelBackend>> MakeEngineBackend(std::shared_ptr<const engine::LanguageModel> model,
                                                        const EngineBackendOptions& options = {});

struct HttpBackendOptions {
  std::string base_url;  // "http://127.0.0.1:8080" (the /v1/chat/completions path is appended)
  std::string model;     // the "model" field of each request
  std::string api_key;   // sent as "Authorization: Bearer ..." when not empty
  double timeout_seconds = 120;
  bool request_logprobs = true;  // ask for token log-probs (servers that refuse get asked without)
};

Result<std::unique_ptr<ModelBackend>> MakeHttpBackend(const HttpBackendOptions& options);

}  // namespace warden::evals
