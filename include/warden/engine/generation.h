// Options and results of generation and scoring: torch-free, so that any module can use them
// (through warden/engine/language_model.h) without including LibTorch.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace warden::engine {

struct SamplingOptions {
  int64_t max_new_tokens = 128;
  double temperature = 0.0;  // 0: greedy (ties go to the lowest id)
  int64_t top_k = 0;         // 0: no top-k cut
  double top_p = 1.0;        // 1: no nucleus cut
  // Row b of a batch samples from its own generator seeded from (seed, b), so a run is
  // reproducible for the same batch.
  uint64_t seed = 0;
  std::vector<std::string> stop;  // stop strings; the text is cut before the first match
  bool stop_at_eos = true;
};

struct Generation {
  std::vector<int32_t> prompt;
  std::vector<int32_t> tokens;   // generated ids, up to and including the one ending the stream
  std::vector<float> logprobs;   // per generated token: log p(token | prefix), temperature 1
  std::string text;              // decoded continuation (empty without a tokenizer)
  std::string finish_reason;     // "length" | "eos" | "stop" | "context" | "cut"
};

// Called for every new token of every live row before it is released; return false to end
// that row's stream now (finish_reason "cut": this is how a monitor stops a generation).
using TokenCallback = std::function<bool(int64_t row, int32_t token, float logprob)>;

struct ScoreRequest {
  std::vector<int32_t> context;       // at least one token (e.g. BOS)
  std::vector<int32_t> continuation;  // at least one token
};

struct ContinuationScore {
  double logprob = 0.0;               // sum over the continuation's tokens
  std::vector<float> token_logprobs;  // one per continuation token
  bool greedy = true;                 // every continuation token was the argmax
};

}  // namespace warden::engine
