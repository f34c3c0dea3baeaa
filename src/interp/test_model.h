// Test support for interp's pipelines: a tiny random Llama with a tokenizer trained on a few
// sentences, built in memory (no file, no shared data, well under a second). Its weights are
// random, so tests check plumbing and agreement between two routes, never figures.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/test_util.h"
#include "warden/engine/language_model.h"
#include "warden/engine/tokenizer_training.h"
#include "warden/engine/torch/model.h"
#include "warden/interp/datasets.h"

namespace warden::interp::testing {

// The warden chat format's markers are control tokens, so chat format "auto" finds it.
inline std::unique_ptr<engine::LanguageModel> TinyChatModel(uint64_t seed = 1) {
  std::vector<std::string> corpus;
  for (int i = 0; i < 40; ++i) {
    corpus.push_back("Is the sky blue? True. The grass is red. False. Mira lives in Vell " + std::to_string(i % 7) + ".");
  }
  engine::TokenizerTrainOptions to;
  to.vocab_size = 300;
  to.control_tokens = {"<|system|>", "<|user|>", "<|assistant|>", "<|end|>"};
  auto json = engine::TrainTokenizerJson(corpus, to);
  EXPECT_TRUE(json.ok()) << json.status().ToString();
  auto tok = engine::ParseHfTokenizerJson(json.ok() ? *json : "", "tokenizer.json");
  EXPECT_TRUE(tok.ok()) << tok.status().ToString();
  if (!tok.ok()) return nullptr;
  engine::ModelConfig c = engine::testing::TinyConfig(engine::Arch::kLlama);
  c.vocab_size = (*tok)->vocab_size();
  std::unique_ptr<engine::Model> model = engine::Model::RandomInit(c, seed);
  model->set_tokenizer(std::move(tok).value());
  return std::make_unique<engine::LanguageModel>(std::move(model));
}

// A short user turn, answered when `answer` is not empty.
inline LabelledConversation Turn(const std::string& id, const std::string& user, const std::string& answer = "",
                                 int label = 0) {
  LabelledConversation c;
  c.id = id;
  c.messages.push_back({"user", user});
  if (!answer.empty()) c.messages.push_back({"assistant", answer});
  c.label = label;
  c.cluster = id;
  return c;
}

}  // namespace warden::interp::testing
