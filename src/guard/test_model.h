// Test support for guard (and gateway): a tiny random Llama with a tokenizer trained on a few
// sentences, through the torch-free seam, and monitor packs bound to it. Random weights: tests
// check plumbing and the release rule, never figures.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/test_util.h"
#include "warden/engine/random_model.h"
#include "warden/engine/tokenizer_training.h"
#include "warden/interp/monitor_pack.h"

namespace warden::guard::testing {

inline std::shared_ptr<engine::LanguageModel> TinyChatModel(uint64_t seed = 1) {
  std::vector<std::string> corpus;
  for (int i = 0; i < 40; ++i) {
    corpus.push_back("How do I bake bread? Sure, here is how. I cannot help with that. Mira lives in Vell " +
                     std::to_string(i % 7) + ".");
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
  auto lm = engine::RandomLanguageModel(c, std::move(tok).value(), seed);
  EXPECT_TRUE(lm.ok()) << lm.status().ToString();
  return lm.ok() ? std::shared_ptr<engine::LanguageModel>(std::move(lm).value()) : nullptr;
}

// A pack whose score is coordinate `j` of the residual stream after block 1, bound to `lm`.
inline interp::MonitorPack CoordinatePack(const engine::LanguageModel& lm, int64_t j, interp::PositionRule rule,
                                          double threshold) {
  const int64_t d = lm.config().d_model;
  interp::MonitorPack p;
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

}  // namespace warden::guard::testing
