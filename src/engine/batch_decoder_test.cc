// Continuous batching agrees with decoding each sequence alone, whatever joins or leaves.
#include "warden/engine/torch/batch_decoder.h"

#include <map>

#include "engine/test_util.h"
#include "engine/torch_pch.h"
#include "engine/transformer.h"
#include "warden/engine/torch/generate.h"

namespace warden::engine {
namespace {

using testing::TinyConfig;

class DecoderPerArch : public ::testing::TestWithParam<Arch> {};

SamplingOptions Greedy(int64_t n) {
  SamplingOptions o;
  o.max_new_tokens = n;
  o.stop_at_eos = false;
  return o;
}

void ExpectSameAsAlone(const Model& model, const std::vector<int32_t>& prompt, const Generation& got, int64_t n,
                       const std::string& what) {
  const Generation alone = Generate(model, {prompt}, Greedy(n)).value()[0];
  EXPECT_EQ(got.tokens, alone.tokens) << what;
  ASSERT_EQ(got.logprobs.size(), alone.logprobs.size()) << what;
  for (size_t t = 0; t < got.logprobs.size(); ++t) EXPECT_NEAR(got.logprobs[t], alone.logprobs[t], 1e-4) << what << " token " << t;
}

TEST_P(DecoderPerArch, RowsJoiningAndLeavingMidwayMatchEachAlone) {
  auto model = Model::RandomInit(TinyConfig(GetParam()), 31);
  // Row lengths and arrival steps chosen so that rows join a running batch with shorter and
  // longer prompts than the batch's write position, and leave while others run on.
  struct Plan { std::vector<int32_t> prompt; int64_t tokens; int arrives; };
  std::vector<Plan> plan = {{{1, 2, 3}, 12, 0}, {{4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}, 5, 2},
                            {{21}, 9, 2}, {{22, 23, 24, 25}, 3, 5}, {{26, 27}, 7, 7}};
  BatchDecoder d(*model, 3);
  std::map<int64_t, size_t> which;
  std::map<int64_t, Generation> done;
  size_t next = 0;
  for (int step = 0; next < plan.size() || d.rows() > 0; ++step) {
    while (next < plan.size() && plan[next].arrives <= step && d.rows() < d.max_rows()) {
      which[d.Add({plan[next].prompt, Greedy(plan[next].tokens)}).value()] = next;
      ++next;
    }
    ASSERT_TRUE(d.Step().ok());
    for (auto& [id, gen] : d.TakeFinished()) done[id] = std::move(gen);
    ASSERT_LT(step, 100);
  }
  ASSERT_EQ(done.size(), plan.size());
  for (auto& [id, gen] : done) {
    const Plan& p = plan[which[id]];
    EXPECT_EQ(gen.finish_reason, "length");
    ExpectSameAsAlone(*model, p.prompt, gen, p.tokens, "row " + std::to_string(id));
  }
}

TEST_P(DecoderPerArch, CompactsWhenTheSharedWritePositionReachesCapacity) {
  // Capacity 12 of a context of 64: rows that keep joining push the write position to the end
  // many times over; compaction must keep every row's slots and order.
  auto model = Model::RandomInit(TinyConfig(GetParam()), 32);
  BatchDecoder d(*model, 2, 12);
  std::map<int64_t, std::vector<int32_t>> prompts;
  std::map<int64_t, Generation> done;
  for (int i = 0; i < 8; ++i) {
    while (d.rows() == d.max_rows()) {
      ASSERT_TRUE(d.Step().ok());
      for (auto& [id, gen] : d.TakeFinished()) done[id] = std::move(gen);
    }
    std::vector<int32_t> p = {static_cast<int32_t>(1 + i), static_cast<int32_t>(10 + i), static_cast<int32_t>(20 + i)};
    prompts[d.Add({p, Greedy(6 + i % 3)}).value()] = p;
    ASSERT_TRUE(d.Step().ok());
    for (auto& [id, gen] : d.TakeFinished()) done[id] = std::move(gen);
  }
  while (d.rows() > 0) {
    ASSERT_TRUE(d.Step().ok());
    for (auto& [id, gen] : d.TakeFinished()) done[id] = std::move(gen);
  }
  ASSERT_EQ(done.size(), 8u);
  for (auto& [id, gen] : done) ExpectSameAsAlone(*model, prompts[id], gen, 6 + id % 3, "row " + std::to_string(id));
}

TEST_P(DecoderPerArch, TheCacheGrowsAsRowsNeedItAndKeepsThem) {
  // Default capacity (twice the context of 64): the cache starts at 32 slots and must grow
  // while two long rows decode, one of them joining late.
  auto model = Model::RandomInit(TinyConfig(GetParam()), 36);
  BatchDecoder d(*model, 2);
  const std::vector<int32_t> a = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, b = {11, 12, 13};
  std::map<int64_t, Generation> done;
  d.Add({a, Greedy(45)}).value();
  for (int step = 0; d.rows() > 0; ++step) {
    if (step == 7) d.Add({b, Greedy(40)}).value();
    ASSERT_TRUE(d.Step().ok());
    for (auto& [id, gen] : d.TakeFinished()) done[id] = std::move(gen);
  }
  ASSERT_EQ(done.size(), 2u);
  ExpectSameAsAlone(*model, a, done[0], 45, "row 0");
  ExpectSameAsAlone(*model, b, done[1], 40, "row 1");
}

TEST_P(DecoderPerArch, HooksNameTheRowsOfEachForward) {
  auto model = Model::RandomInit(TinyConfig(GetParam()), 33);
  BatchDecoder d(*model, 4);
  Hooks hooks(model->hook_points());
  std::vector<std::string> seen;
  ASSERT_TRUE(hooks.Add("blocks.0.hook_resid_post", [&](torch::Tensor& act, const HookEvent& ev) {
    std::string s = ev.decode ? "decode" : "prefill";
    EXPECT_EQ(act.size(0), static_cast<int64_t>(d.forward().size()));
    for (const ForwardRow& r : d.forward()) s += " " + std::to_string(r.id) + "@" + std::to_string(r.fed);
    seen.push_back(s);
  }).ok());
  ASSERT_EQ(d.Add({{1, 2}, Greedy(2)}).value(), 0);
  ASSERT_TRUE(d.Step(&hooks).ok());  // row 0's prefill; its first token sampled
  ASSERT_EQ(d.Add({{3, 4, 5}, Greedy(3)}).value(), 1);
  ASSERT_TRUE(d.Step(&hooks).ok());  // row 0 fed token 0 (and ends at 2 tokens); row 1's prefill
  ASSERT_TRUE(d.Step(&hooks).ok());  // row 1 fed token 0
  ASSERT_TRUE(d.Step(&hooks).ok());  // row 1 fed token 1, ends
  EXPECT_EQ(d.rows(), 0);
  EXPECT_EQ(seen, (std::vector<std::string>{"prefill 0@-1", "decode 0@0", "prefill 1@-1", "decode 1@0", "decode 1@1"}));
}

INSTANTIATE_TEST_SUITE_P(Archs, DecoderPerArch, ::testing::Values(Arch::kLlama, Arch::kQwen2, Arch::kGpt2),
                         [](const auto& info) { return std::string(ArchName(info.param)); });

TEST(BatchDecoder, RefusesBadRequestsAndAFullBatch) {
  auto model = Model::RandomInit(TinyConfig(Arch::kLlama), 34);
  BatchDecoder d(*model, 1);
  EXPECT_FALSE(d.Add({{}, Greedy(2)}).ok());
  EXPECT_FALSE(d.Add({std::vector<int32_t>(64, 1), Greedy(2)}).ok());
  SamplingOptions bad = Greedy(2);
  bad.top_p = 0;
  EXPECT_FALSE(d.Add({{1}, bad}).ok());
  ASSERT_TRUE(d.Add({{1}, Greedy(2)}).ok());
  Result<int64_t> full = d.Add({{2}, Greedy(2)});
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.status().code(), StatusCode::kResourceExhausted);
}

TEST(BatchDecoder, ACutRowLeavesAndOthersRunOn) {
  auto model = Model::RandomInit(TinyConfig(Arch::kLlama), 35);
  BatchDecoder d(*model, 2);
  d.Add({{1, 2, 3}, Greedy(6)}).value();
  d.Add({{4, 5}, Greedy(6)}).value();
  std::map<int64_t, Generation> done;
  while (d.rows() > 0) {
    ASSERT_TRUE(d.Step(nullptr, [](int64_t id, int32_t, float) { return id != 0; }).ok());
    for (auto& [id, gen] : d.TakeFinished()) done[id] = std::move(gen);
  }
  EXPECT_EQ(done[0].finish_reason, "cut");
  EXPECT_EQ(done[0].tokens.size(), 1u);
  EXPECT_EQ(done[1].finish_reason, "length");
  ExpectSameAsAlone(*model, {4, 5}, done[1], 6, "row 1");
}

}  // namespace
}  // namespace warden::engine

namespace warden::engine {
namespace {

// Transposed weight copies (Model::KeepTransposedWeights) give the same logits for prefills and
// batched decode on every architecture, and a weight changed in place is read as changed.
class TransposedPerArch : public ::testing::TestWithParam<Arch> {};

TEST_P(TransposedPerArch, SameLogitsAndAnInPlaceChangeIsSeen) {
  auto with = Model::RandomInit(testing::TinyConfig(GetParam()), 41);
  auto without = Model::RandomInit(testing::TinyConfig(GetParam()), 41);
  EXPECT_EQ(without->KeepTransposedWeights(/*max_bytes=*/1024), 0);  // over the budget: nothing kept
  EXPECT_GT(with->KeepTransposedWeights(), 1024);
  const std::vector<std::vector<int32_t>> seqs = {{1, 2, 3, 4, 5}, {6, 7}, {8, 9, 10}};
  auto compare = [&](const std::string& what) {
    torch::Tensor a = with->Forward(ForwardBatch::LeftPadded(seqs));
    torch::Tensor b = without->Forward(ForwardBatch::LeftPadded(seqs));
    EXPECT_TRUE(torch::allclose(a, b, 1e-4, 1e-5)) << what << ": max diff " << (a - b).abs().max().item<float>();
    SamplingOptions o;
    o.max_new_tokens = 6;
    o.stop_at_eos = false;
    auto ga = Generate(*with, seqs, o).value(), gb = Generate(*without, seqs, o).value();
    for (size_t i = 0; i < seqs.size(); ++i) EXPECT_EQ(ga[i].tokens, gb[i].tokens) << what << " row " << i;
  };
  compare("as initialised");
  torch::NoGradGuard no_grad;
  for (auto* m : {with.get(), without.get()}) {
    for (auto& p : m->module().named_parameters()) {
      if (p.value().dim() == 2) p.value().mul_(-1.5);  // every linear and embedding, in place
    }
  }
  compare("after an in-place change");
}

INSTANTIATE_TEST_SUITE_P(Archs, TransposedPerArch, ::testing::Values(Arch::kLlama, Arch::kQwen2, Arch::kGpt2),
                         [](const auto& info) { return std::string(ArchName(info.param)); });

}  // namespace
}  // namespace warden::engine
