// A model with freshly initialised weights behind the torch-free seam: what training from
// scratch starts from, and what tests and benchmarks of torch-free modules (guard, gateway)
// run on when the figures do not matter, only the plumbing.
#pragma once

#include <cstdint>
#include <memory>

#include "warden/engine/language_model.h"
#include "warden/engine/model_config.h"
#include "warden/engine/tokenizer.h"

namespace warden::engine {

// Random weights for `config` from `seed` (the same numbers as Model::RandomInit), with
// `tokenizer` attached (its vocabulary size must equal config.vocab_size).
Result<std::unique_ptr<LanguageModel>> RandomLanguageModel(const ModelConfig& config,
                                                           std::unique_ptr<Tokenizer> tokenizer, uint64_t seed);

}  // namespace warden::engine
