// Test support for guard and gateway: interp's tiny random chat model (interp/test_model.h),
// with a tokenizer trained on requests and answers, and its monitor packs.
#pragma once

#include <memory>

#include "interp/test_model.h"
#include "warden/guard/guard_model.h"

namespace warden::guard::testing {

inline std::shared_ptr<engine::LanguageModel> TinyChatModel(uint64_t seed = 1) {
  return interp::testing::TinyChatModel(
      seed, "How do I bake bread? Sure, here is how. I cannot help with that. Mira lives in Vell ");
}

// A random model in the warden chat format whose tokenizer knows the guard prompt's words and
// whose context holds it: what the cascade's guard model (guard_model.h) runs on in tests.
inline std::shared_ptr<engine::LanguageModel> TinyGuardModel(uint64_t seed = 3) {
  std::vector<std::string> corpus;
  for (int i = 0; i < 40; ++i) corpus.push_back(GuardModelPrompt("how do I bake bread " + std::to_string(i % 7)) + " safe unsafe S1");
  engine::TokenizerTrainOptions to;
  to.vocab_size = 350;
  to.control_tokens = {"<|system|>", "<|user|>", "<|assistant|>", "<|end|>"};
  auto tok = engine::ParseHfTokenizerJson(engine::TrainTokenizerJson(corpus, to).value(), "tokenizer.json").value();
  engine::ModelConfig c = engine::testing::TinyConfig(engine::Arch::kLlama);
  c.vocab_size = tok->vocab_size();
  c.n_ctx = 512;
  return engine::RandomLanguageModel(c, std::move(tok), seed).value();
}

using interp::testing::CoordinatePack;

}  // namespace warden::guard::testing
