// Test support for interp's pipelines and the modules above it (guard, gateway): a tiny random
// Llama with a tokenizer trained on a few sentences, built in memory through the torch-free seam
// (no file, no shared data, well under a second), and monitor packs bound to it. Its weights are
// random, so tests check plumbing and agreement between two routes, never figures.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/test_util.h"
#include "warden/engine/language_model.h"
#include "warden/engine/random_model.h"
#include "warden/engine/tokenizer_training.h"
#include "warden/interp/datasets.h"
#include "warden/interp/monitor_pack.h"

namespace warden::interp::testing {

// The warden chat format's markers are control tokens, so chat format "auto" finds it. The
// tokenizer is trained on 40 lines "<text><i % 7>."; different texts give different vocabularies.
inline std::unique_ptr<engine::LanguageModel> TinyChatModel(
    uint64_t seed = 1, const std::string& text = "Is the sky blue? True. The grass is red. False. Mira lives in Vell ") {
  std::vector<std::string> corpus;
  for (int i = 0; i < 40; ++i) corpus.push_back(text + std::to_string(i % 7) + ".");
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
  auto lm = engine::RandomLanguageModel(c, std::move(tok).value(), seed);
  EXPECT_TRUE(lm.ok()) << lm.status().ToString();
  return lm.ok() ? std::move(lm).value() : nullptr;
}

// A pack whose score is coordinate `j` of the residual stream after block 1 (no
// standardisation), bound to `lm`.
inline MonitorPack CoordinatePack(const engine::LanguageModel& lm, int64_t j, PositionRule rule, double threshold = 0) {
  const int64_t d = lm.config().d_model;
  MonitorPack p;
  p.name = "coordinate-" + std::to_string(j);
  p.hook = "blocks.1.hook_resid_post";
  p.position = rule;
  p.threshold = threshold;
  p.probe.mean.assign(d, 0);
  p.probe.scale.assign(d, 1);
  p.probe.weight.assign(d, 0);
  p.probe.weight[j] = 1;
  p.model_sha256 = lm.WeightsSha256().value();
  p.calibration_data = "none (a test pack)";
  return p;
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
