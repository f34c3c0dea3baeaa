// Text generation and continuation scoring on a Model, batched. (The option and result types
// are torch-free, in warden/engine/generation.h.)
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "warden/base/status.h"
#include "warden/engine/generation.h"
#include "warden/engine/torch/hooks.h"
#include "warden/engine/torch/model.h"

namespace warden::engine {

// Samples continuations of each prompt (ids, BOS included if wanted). Prompts of different
// lengths share one left-padded batch and one KV cache. Errors on an empty prompt or one that
// does not fit the context.
Result<std::vector<Generation>> Generate(const Model& model,
                                         const std::vector<std::vector<int32_t>>& prompts,
                                         const SamplingOptions& opts, const Hooks* hooks = nullptr,
                                         const TokenCallback& on_token = {});

// Picks the next token from one row of logits (exposed for tests).
class TokenSampler {
 public:
  TokenSampler(const SamplingOptions& opts, uint64_t stream);
  int32_t Sample(const float* logits, int64_t vocab);
  double Uniform();  // [0, 1), 53 bits

 private:
  const SamplingOptions& opts_;
  uint64_t state_;
};

// log p(continuation | context) for many requests, in batches of at most `max_batch_tokens`
// padded positions, one forward per batch (this is what multiple-choice evaluation calls).
Result<std::vector<ContinuationScore>> ScoreContinuations(const Model& model,
                                                          const std::vector<ScoreRequest>& requests,
                                                          int64_t max_batch_tokens = 8192,
                                                          const Hooks* hooks = nullptr);

}  // namespace warden::engine
