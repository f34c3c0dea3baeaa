// Batching, caching, sampling and scoring agree with plain forwards.
#include "warden/engine/torch/generate.h"

#include "engine/test_util.h"
#include "engine/torch_pch.h"

namespace warden::engine {
namespace {

using testing::TinyConfig;

class PerArch : public ::testing::TestWithParam<Arch> {};

TEST_P(PerArch, LeftPaddedBatchMatchesEachSequenceAlone) {
  auto model = Model::RandomInit(TinyConfig(GetParam()), 21);
  std::vector<std::vector<int32_t>> seqs = {{1, 2, 3, 4, 5, 6}, {7, 8}, {9, 10, 11}};
  torch::Tensor batched = model->Forward(ForwardBatch::LeftPadded(seqs));
  for (size_t i = 0; i < seqs.size(); ++i) {
    torch::Tensor alone = model->Forward(ForwardBatch::LeftPadded({seqs[i]}))[0];
    int64_t n = static_cast<int64_t>(seqs[i].size());
    torch::Tensor row = batched[i].narrow(0, batched.size(1) - n, n);
    EXPECT_TRUE(torch::allclose(row, alone, 1e-4, 1e-5)) << "row " << i;
  }
}

TEST_P(PerArch, CachedDecodeMatchesTheFullForward) {
  auto model = Model::RandomInit(TinyConfig(GetParam()), 22);
  std::vector<std::vector<int32_t>> prompts = {{1, 2, 3, 4}, {5, 6}};
  std::vector<std::vector<int32_t>> full = {{1, 2, 3, 4, 7, 8}, {5, 6, 9, 10}};
  KvCache cache = model->NewCache(2, 8);
  model->Forward(ForwardBatch::LeftPadded(prompts), &cache);
  torch::Tensor step1 = model->Forward({torch::tensor({{7}, {9}}, torch::kLong),
                                        torch::tensor({{4}, {2}}, torch::kLong),
                                        torch::ones({2, 1}, torch::kBool)}, &cache);
  torch::Tensor step2 = model->Forward({torch::tensor({{8}, {10}}, torch::kLong),
                                        torch::tensor({{5}, {3}}, torch::kLong),
                                        torch::ones({2, 1}, torch::kBool)}, &cache);
  for (int b = 0; b < 2; ++b) {
    torch::Tensor ref = model->Forward(ForwardBatch::LeftPadded({full[b]}))[0];
    int64_t n = static_cast<int64_t>(full[b].size());
    EXPECT_TRUE(torch::allclose(step1[b][0], ref[n - 2], 1e-4, 1e-5)) << "row " << b;
    EXPECT_TRUE(torch::allclose(step2[b][0], ref[n - 1], 1e-4, 1e-5)) << "row " << b;
  }
}

TEST_P(PerArch, BatchedGreedyGenerationMatchesOneAtATime) {
  auto model = Model::RandomInit(TinyConfig(GetParam()), 23);
  std::vector<std::vector<int32_t>> prompts = {{1, 2, 3, 4, 5}, {6}, {7, 8, 9}};
  SamplingOptions greedy;
  greedy.max_new_tokens = 10;
  greedy.stop_at_eos = false;
  auto batched = Generate(*model, prompts, greedy).value();
  for (size_t i = 0; i < prompts.size(); ++i) {
    auto alone = Generate(*model, {prompts[i]}, greedy).value();
    EXPECT_EQ(batched[i].tokens, alone[0].tokens) << "prompt " << i;
    ASSERT_EQ(batched[i].logprobs.size(), 10u);
    for (size_t t = 0; t < 10; ++t) EXPECT_NEAR(batched[i].logprobs[t], alone[0].logprobs[t], 1e-4);
  }
}

INSTANTIATE_TEST_SUITE_P(AllArchitectures, PerArch,
                         ::testing::Values(Arch::kLlama, Arch::kQwen2, Arch::kGpt2),
                         [](const auto& info) { return std::string(ArchName(info.param)); });

// Requests sharing a context are packed into one row (the context once, each continuation a
// segment seeing it): every score must still equal a plain forward of that request alone, on
// every architecture (GPT-2's learned positions included), in any batching.
TEST(Score, ContinuationLogprobsMatchAPlainForward) {
  for (Arch arch : {Arch::kLlama, Arch::kQwen2, Arch::kGpt2}) {
  auto model = Model::RandomInit(TinyConfig(arch), 24);
  std::vector<ScoreRequest> reqs = {{{1, 2, 3}, {4, 5}},       {{1}, {6, 7, 8}},   {{1, 9, 9, 9, 9}, {2}},
                                    {{1, 2, 3}, {6}},          {{1, 2, 3}, {7, 8, 9}}, {{1, 9, 9, 9, 9}, {3, 4}},
                                    {{1, 2, 3}, {4, 5}}};
  for (int64_t budget : {8, 4096}) {
  auto scores = ScoreContinuations(*model, reqs, budget).value();
  ASSERT_EQ(scores.size(), reqs.size());
  for (size_t i = 0; i < reqs.size(); ++i) {
    std::vector<int32_t> seq = reqs[i].context;
    seq.insert(seq.end(), reqs[i].continuation.begin(), reqs[i].continuation.end());
    torch::Tensor lp = torch::log_softmax(model->Forward(ForwardBatch::LeftPadded({seq}))[0], -1);
    double total = 0;
    for (size_t j = 0; j < reqs[i].continuation.size(); ++j) {
      int64_t at = static_cast<int64_t>(reqs[i].context.size() + j) - 1;
      double want = lp[at][reqs[i].continuation[j]].item<double>();
      EXPECT_NEAR(scores[i].token_logprobs[j], want, 1e-4) << ArchName(arch) << " " << i << "," << j;
      total += want;
    }
    EXPECT_NEAR(scores[i].logprob, total, 1e-3);
  }
  }
  }
  auto model = Model::RandomInit(TinyConfig(Arch::kLlama), 24);
  EXPECT_FALSE(ScoreContinuations(*model, {{{}, {1}}}).ok());
  EXPECT_FALSE(ScoreContinuations(*model, {{{1}, {}}}).ok());
}

TEST(Sampling, SeedsReproduceAndTopKOneIsGreedy) {
  auto model = Model::RandomInit(TinyConfig(Arch::kLlama), 25);
  SamplingOptions hot;
  hot.max_new_tokens = 16;
  hot.temperature = 1.5;
  hot.seed = 7;
  hot.stop_at_eos = false;
  auto a = Generate(*model, {{1, 2}}, hot).value();
  auto b = Generate(*model, {{1, 2}}, hot).value();
  EXPECT_EQ(a[0].tokens, b[0].tokens);
  hot.seed = 8;
  auto c = Generate(*model, {{1, 2}}, hot).value();
  EXPECT_NE(a[0].tokens, c[0].tokens);

  SamplingOptions top1 = hot;
  top1.top_k = 1;
  SamplingOptions greedy;
  greedy.max_new_tokens = 16;
  greedy.stop_at_eos = false;
  EXPECT_EQ(Generate(*model, {{1, 2}}, top1).value()[0].tokens,
            Generate(*model, {{1, 2}}, greedy).value()[0].tokens);
}

TEST(Sampling, TopPKeepsOnlyTheNucleus) {
  SamplingOptions opts;
  opts.temperature = 1.0;
  opts.top_p = 0.5;
  TokenSampler sampler(opts, 0);
  // p = (0.6, 0.2, 0.1, 0.1): the nucleus at 0.5 is token 0 alone.
  std::vector<float> logits = {std::log(0.6f), std::log(0.2f), std::log(0.1f), std::log(0.1f)};
  for (int i = 0; i < 200; ++i) EXPECT_EQ(sampler.Sample(logits.data(), 4), 0);
  opts.top_p = 1.0;
  TokenSampler all(opts, 0);
  std::vector<int> counts(4);
  for (int i = 0; i < 4000; ++i) ++counts[all.Sample(logits.data(), 4)];
  EXPECT_NEAR(counts[0] / 4000.0, 0.6, 0.04);
  EXPECT_NEAR(counts[1] / 4000.0, 0.2, 0.04);
}

TEST(Generate, MonitorCallbackCanCutAStream) {
  auto model = Model::RandomInit(TinyConfig(Arch::kGpt2), 26);
  SamplingOptions opts;
  opts.max_new_tokens = 20;
  opts.stop_at_eos = false;
  auto gen = Generate(*model, {{1, 2}, {3}}, opts, nullptr, [](int64_t row, int32_t, float) {
    return row != 1;  // cut row 1 at its first token
  }).value();
  EXPECT_EQ(gen[0].tokens.size(), 20u);
  EXPECT_EQ(gen[0].finish_reason, "length");
  EXPECT_EQ(gen[1].tokens.size(), 1u);
  EXPECT_EQ(gen[1].finish_reason, "cut");
}

TEST(Generate, BadRequestsAreErrors) {
  auto model = Model::RandomInit(TinyConfig(Arch::kLlama), 27);
  EXPECT_FALSE(Generate(*model, {{}}, {}).ok());
  EXPECT_FALSE(Generate(*model, {std::vector<int32_t>(64, 1)}, {}).ok());  // fills the context
  SamplingOptions bad;
  bad.top_p = 0;
  EXPECT_FALSE(Generate(*model, {{1}}, bad).ok());
  EXPECT_THROW(model->Forward(ForwardBatch::LeftPadded({{1, 99}})), Error);  // id beyond vocab
}

}  // namespace
}  // namespace warden::engine
