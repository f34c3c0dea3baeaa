// The fast forward (fast_forward.h) against the general path: the same logits, the same
// hooks with the same shapes and values, writes by hooks flowing on, on every Llama-family shape
// (grouped heads, biases, tied and odd sizes), one row and several, with and without padding,
// decode steps and prompts, with a cache and without.
#include "engine/fast_forward.h"

#include <gtest/gtest.h>

#include <cmath>

#include "engine/test_util.h"
#include "warden/engine/torch/hooks.h"
#include "warden/engine/torch/model.h"

namespace warden::engine {
namespace {

struct Case {
  std::string name;
  ModelConfig config;
};

std::vector<Case> Cases() {
  ModelConfig odd = testing::TinyConfig(Arch::kLlama);
  odd.d_model = 40;  // not a multiple of the kernel's 16 lanes
  odd.n_heads = 5;
  odd.n_kv_heads = 1;
  odd.d_mlp = 37;    // the down projection reads 37 columns; 37 rows are not a multiple of 4
  odd.tied_embeddings = true;
  return {{"llama", testing::TinyConfig(Arch::kLlama)}, {"qwen2", testing::TinyConfig(Arch::kQwen2)}, {"odd", odd}};
}

class FastForwardTest : public ::testing::TestWithParam<Case> {};

// Prefills `prompts` (left-padded when their lengths differ; hooks on every forward) and decodes `steps` tokens, each
// step fed the same token for both paths; returns every step's logits.
std::vector<torch::Tensor> Decode(Model& m, bool fast, const std::vector<std::vector<int32_t>>& prompts, int steps,
                                  const Hooks* hooks = nullptr) {
  c10::InferenceMode guard;
  m.SetFastForward(fast);
  const int64_t B = static_cast<int64_t>(prompts.size());
  KvCache cache = m.NewCache(B, 32);
  ForwardBatch fb = ForwardBatch::LeftPadded(prompts, torch::kCPU);
  m.Forward(fb, &cache, hooks);
  std::vector<torch::Tensor> out;
  for (int s = 0; s < steps; ++s) {
    torch::Tensor tok = torch::full({B, 1}, 3 + 7 * s, torch::kLong);
    torch::Tensor pos = torch::empty({B, 1}, torch::kLong);
    for (int64_t b = 0; b < B; ++b) pos[b][0] = static_cast<int64_t>(prompts[b].size()) + s;
    out.push_back(m.Forward({tok, pos, torch::ones({B, 1}, torch::kBool)}, &cache, hooks).clone());
  }
  m.SetFastForward(true);
  return out;
}

TEST_P(FastForwardTest, LogitsMatchTheGeneralPathForOneRowAndSeveral) {
  auto m = Model::RandomInit(GetParam().config, 5);
  for (const auto& prompts : std::vector<std::vector<std::vector<int32_t>>>{
           {{1, 2, 3, 4}},                            // one row: the matrix-vector kernel
           {{1, 2, 3, 4}, {5, 6}, {7, 8, 9, 10, 11}}  // three rows, two padded: sgemm and the mask
       }) {
    const int64_t before = FastForwardCalls();
    const auto general = Decode(*m, false, prompts, 5);
    EXPECT_EQ(FastForwardCalls(), before);  // switched off: the general path
    const auto fast = Decode(*m, true, prompts, 5);
    EXPECT_EQ(FastForwardCalls(), before + 6);  // the prompt and five steps
    for (size_t s = 0; s < fast.size(); ++s) {
      ASSERT_EQ(fast[s].sizes(), general[s].sizes());
      EXPECT_LT((fast[s] - general[s]).abs().max().item<float>(), 2e-5f) << GetParam().name << " step " << s;
    }
  }
}

TEST_P(FastForwardTest, EveryHookFiresOnceWithTheGeneralPathsShapeAndValues) {
  auto m = Model::RandomInit(GetParam().config, 6);
  // Every hook but attention scores and patterns (which send a step to the general path).
  std::vector<std::string> names;
  for (const std::string& n : m->hook_points().AllNames()) {
    if (n.find("attn_scores") == std::string::npos && n.find("pattern") == std::string::npos) names.push_back(n);
  }
  auto run = [&](bool fast) {
    auto cache = std::make_unique<ActivationCache>();
    Hooks hooks(m->hook_points());
    for (const std::string& n : names) hooks.Capture(n, cache.get()).ThrowIfError();
    Decode(*m, fast, {{1, 2, 3}, {4, 5}}, 1, &hooks);
    return cache;
  };
  auto general = run(false);
  const int64_t before = FastForwardCalls();
  auto fast = run(true);
  EXPECT_EQ(FastForwardCalls(), before + 2);  // the prompt and the step
  for (const std::string& n : names) {
    ASSERT_TRUE(fast->Has(n)) << n;
    // The prompt's chunk, then exactly one for the decode step, each as the general path's.
    ASSERT_EQ(fast->Chunks(n).size(), 2u) << n;
    for (int chunk : {0, 1}) {
      const torch::Tensor& a = fast->Chunks(n)[chunk];
      const torch::Tensor& b = general->Chunks(n)[chunk];
      ASSERT_EQ(a.sizes(), b.sizes()) << n;
      EXPECT_EQ(a.sizes().vec(), m->hook_points().Shape(m->hook_points().Find(n).value(), 2, chunk ? 1 : 3, chunk ? 4 : 3)) << n;
      EXPECT_LT((a - b).abs().max().item<float>(), 2e-5f) << n << " chunk " << chunk;
    }
  }
}

TEST_P(FastForwardTest, WhatAHookWritesFlowsOnAsInTheGeneralPath) {
  auto m = Model::RandomInit(GetParam().config, 7);
  torch::Tensor vec = torch::randn({GetParam().config.d_model});
  Hooks steer(m->hook_points());
  steer.AddVector("blocks.0.hook_resid_mid", vec, 3.0).ThrowIfError();
  steer.ZeroAblate("blocks.1.attn.hook_z", 1).ThrowIfError();
  Hooks replace(m->hook_points());  // assigns a new tensor rather than writing in place
  replace.Add("blocks.1.mlp.hook_post", [](torch::Tensor& act, const HookEvent&) { act = act * 0.5; }).ThrowIfError();
  for (const Hooks* h : {&steer, &replace}) {
    const auto general = Decode(*m, false, {{1, 2, 3}}, 3, h);
    const auto fast = Decode(*m, true, {{1, 2, 3}}, 3, h);
    const auto plain = Decode(*m, true, {{1, 2, 3}}, 3);
    for (size_t s = 0; s < fast.size(); ++s) {
      EXPECT_LT((fast[s] - general[s]).abs().max().item<float>(), 2e-5f);
      EXPECT_GT((fast[s] - plain[s]).abs().max().item<float>(), 1e-4f);  // the hook did change them
    }
  }
}

TEST_P(FastForwardTest, PromptsMatchTheGeneralPathWithACacheAndWithout) {
  auto m = Model::RandomInit(GetParam().config, 9);
  c10::InferenceMode guard;
  const ForwardBatch fb = ForwardBatch::LeftPadded({{1, 2, 3, 4, 5, 6}, {7, 8}, {9, 10, 11, 12}}, torch::kCPU);
  for (bool cached : {false, true}) {
    torch::Tensor out[2];
    for (bool fast : {false, true}) {
      m->SetFastForward(fast);
      KvCache cache = m->NewCache(3, 16);
      const int64_t before = FastForwardCalls();
      out[fast] = m->Forward(fb, cached ? &cache : nullptr);
      EXPECT_EQ(FastForwardCalls(), before + (fast ? 1 : 0));
    }
    m->SetFastForward(true);
    // Every position of every row, padding included (a padding query attends to itself).
    EXPECT_LT((out[1] - out[0]).abs().max().item<float>(), 2e-5f) << GetParam().name << (cached ? " cached" : "");
  }
}

INSTANTIATE_TEST_SUITE_P(Llamas, FastForwardTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<Case>& i) { return i.param.name; });

TEST(FastForward, AHookOnAttentionScoresOrGradientsKeepTheGeneralPath) {
  auto m = Model::RandomInit(testing::TinyConfig(Arch::kLlama), 8);
  ActivationCache acts;
  Hooks scores(m->hook_points());
  scores.Capture("blocks.0.attn.hook_pattern", &acts).ThrowIfError();
  const int64_t before = FastForwardCalls();
  const auto general = Decode(*m, false, {{1, 2}}, 2, &scores);
  const auto fast = Decode(*m, true, {{1, 2}}, 2, &scores);
  EXPECT_EQ(FastForwardCalls(), before);
  EXPECT_LT((fast[1] - general[1]).abs().max().item<float>(), 2e-5f);
  EXPECT_EQ(acts.Chunks("blocks.0.attn.hook_pattern").size(), 6u);  // 3 forwards per run, both runs

  // With gradients wanted the step is the general path's, so that training sees autograd.
  KvCache cache = m->NewCache(1, 8);
  m->Forward(ForwardBatch::LeftPadded({{1, 2}}, torch::kCPU), &cache);
  torch::Tensor logits = m->Forward({torch::full({1, 1}, 3, torch::kLong), torch::full({1, 1}, 2, torch::kLong),
                                     torch::ones({1, 1}, torch::kBool)},
                                    &cache);
  EXPECT_TRUE(logits.requires_grad());
  EXPECT_EQ(FastForwardCalls(), before);
}

TEST(FastForward, TransposedCopiesGiveTheSameLogits) {
  auto m = Model::RandomInit(testing::TinyConfig(Arch::kQwen2), 12);
  const auto plain = Decode(*m, true, {{1, 2, 3}, {4, 5}}, 3);
  ASSERT_GT(m->KeepTransposedWeights(), 0);
  const auto kept = Decode(*m, true, {{1, 2, 3}, {4, 5}}, 3);
  for (size_t s = 0; s < plain.size(); ++s) EXPECT_LT((plain[s] - kept[s]).abs().max().item<float>(), 2e-5f);
}

TEST(FastForward, ALongPromptKeepsTheGeneralPathsMatrixProducts) {
  ModelConfig c = testing::TinyConfig(Arch::kLlama);
  c.n_ctx = 300;
  auto m = Model::RandomInit(c, 10);
  c10::InferenceMode guard;
  std::vector<int32_t> prompt(200);
  for (size_t i = 0; i < prompt.size(); ++i) prompt[i] = static_cast<int32_t>(1 + i % 50);
  const int64_t before = FastForwardCalls();
  m->Forward(ForwardBatch::LeftPadded({prompt}, torch::kCPU));  // 200 x 2 x 200 x 8 multiply-adds per kv head
  EXPECT_EQ(FastForwardCalls(), before);
  m->Forward(ForwardBatch::LeftPadded({std::vector<int32_t>(prompt.begin(), prompt.begin() + 40)}, torch::kCPU));
  EXPECT_EQ(FastForwardCalls(), before + 1);
}

TEST(FastForward, LinearRowsMatchesAMatrixProductAtOddSizes) {
  for (int64_t in : {1, 15, 16, 37, 200}) {
    for (int64_t out : {1, 3, 4, 9, 130}) {
      for (int64_t rows : {1, 3}) {
        torch::Tensor W = torch::randn({out, in}), x = torch::randn({rows, in}), bias = torch::randn({out});
        torch::Tensor y = torch::empty({rows, out});
        torch::Tensor Wt = W.t().contiguous();
        torch::Tensor ref = torch::matmul(x.to(torch::kDouble), W.to(torch::kDouble).t()) + bias.to(torch::kDouble);
        for (const float* t : {static_cast<const float*>(nullptr), static_cast<const float*>(Wt.data_ptr<float>())}) {
          LinearRows(W.data_ptr<float>(), t, bias.data_ptr<float>(), x.data_ptr<float>(), y.data_ptr<float>(), rows, in, out);
          EXPECT_LT((y.to(torch::kDouble) - ref).abs().max().item<double>(), 1e-4 * std::sqrt(static_cast<double>(in)))
              << in << " x " << out << " rows " << rows << (t ? " transposed copy" : "");
        }
      }
    }
  }
}

}  // namespace
}  // namespace warden::engine
