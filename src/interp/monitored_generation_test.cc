#include "warden/interp/monitored_generation.h"

#include <gtest/gtest.h>

#include "engine/torch_pch.h"
#include "interp/test_model.h"
#include "warden/engine/torch/hooks.h"
#include "warden/engine/torch/model.h"

namespace warden::interp {
namespace {

constexpr const char* kHook = "blocks.1.hook_resid_post";  // where testing::CoordinatePack reads

// The hook's activations over one whole sequence, unbatched: [pos, d].
torch::Tensor FullActivations(const engine::LanguageModel& lm, const std::vector<int32_t>& ids) {
  c10::InferenceMode mode;
  engine::Hooks hooks(lm.model().hook_points());
  engine::ActivationCache cache;
  EXPECT_TRUE(hooks.Capture(kHook, &cache).ok());
  lm.model().Forward(engine::ForwardBatch::LeftPadded({ids}, lm.model().device()), nullptr, &hooks);
  return cache.Stacked(kHook).value()[0].to(torch::kFloat);
}

class MonitoredGenerationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lm_ = testing::TinyChatModel();
    ASSERT_NE(lm_, nullptr);
    const engine::Tokenizer& tok = *lm_->tokenizer();
    prompts_ = {tok.Encode("Is the sky blue?", {}), tok.Encode("Mira lives in Vell 3. The grass is red.", {})};
  }
  std::unique_ptr<engine::LanguageModel> lm_;
  std::vector<std::vector<int32_t>> prompts_;
};

TEST_F(MonitoredGenerationTest, ScoresEveryTokenAtItsOwnPositionInABatchOfTwo) {
  MonitorPack in = testing::CoordinatePack(*lm_, 0, PositionRule::kLastPrompt);
  MonitorPack last = testing::CoordinatePack(*lm_, 1, PositionRule::kLast);
  MonitorPack mean = testing::CoordinatePack(*lm_, 2, PositionRule::kResponseMean);
  std::vector<std::vector<double>> input(2);
  std::vector<std::vector<std::vector<double>>> scored(2);
  MonitoredCallbacks cb;
  cb.on_prompt = [&](int64_t row, const std::vector<double>& s, const std::vector<double>&) { input[row] = s; return true; };
  cb.on_scored = [&](int64_t row, int64_t index, const std::vector<double>& s, const std::vector<double>& secs) {
    EXPECT_EQ(secs.size(), 2u);
    EXPECT_EQ(index, static_cast<int64_t>(scored[row].size()));
    scored[row].push_back(s);
    return true;
  };
  engine::SamplingOptions so;
  so.max_new_tokens = 6;
  so.stop_at_eos = false;
  auto gens = GenerateMonitored(*lm_, prompts_, so, {&in}, {&last, &mean}, cb);
  ASSERT_TRUE(gens.ok()) << gens.status().ToString();
  for (int64_t b = 0; b < 2; ++b) {
    const engine::Generation& g = (*gens)[b];
    ASSERT_EQ(g.tokens.size(), 6u);
    ASSERT_EQ(scored[b].size(), 5u) << "every token but the last, which is never read";
    std::vector<int32_t> ids = g.prompt;
    ids.insert(ids.end(), g.tokens.begin(), g.tokens.end());
    torch::Tensor act = FullActivations(*lm_, ids);
    const int64_t p = static_cast<int64_t>(g.prompt.size());
    ASSERT_EQ(input[b].size(), 1u);
    EXPECT_NEAR(input[b][0], act[p - 1][0].item<double>(), 1e-4);
    for (int64_t k = 0; k < 5; ++k) {
      EXPECT_NEAR(scored[b][k][0], act[p + k][1].item<double>(), 1e-4) << "row " << b << " token " << k;
      EXPECT_NEAR(scored[b][k][1], act.narrow(0, p, k + 1).mean(0)[2].item<double>(), 1e-4) << "row " << b << " token " << k;
    }
  }
}

TEST_F(MonitoredGenerationTest, APromptMeanInputPackReadsTheMeanOverEachRowsOwnPrompt) {
  MonitorPack in = testing::CoordinatePack(*lm_, 4, PositionRule::kPromptMean);
  std::vector<std::vector<double>> input(2);
  MonitoredCallbacks cb;
  cb.on_prompt = [&](int64_t row, const std::vector<double>& s, const std::vector<double>&) { input[row] = s; return true; };
  engine::SamplingOptions so;
  so.max_new_tokens = 2;
  auto gens = GenerateMonitored(*lm_, prompts_, so, {&in}, {}, cb);
  ASSERT_TRUE(gens.ok()) << gens.status().ToString();
  for (int64_t b = 0; b < 2; ++b) {
    torch::Tensor act = FullActivations(*lm_, prompts_[b]);
    EXPECT_NEAR(input[b][0], act.mean(0)[4].item<double>(), 1e-4) << "row " << b;
  }
}

TEST_F(MonitoredGenerationTest, AFiringMonitorEndsOnlyItsRow) {
  MonitorPack last = testing::CoordinatePack(*lm_, 1, PositionRule::kLast);
  MonitoredCallbacks cb;
  cb.on_scored = [&](int64_t row, int64_t index, const std::vector<double>&, const std::vector<double>&) {
    return !(row == 0 && index == 2);
  };
  engine::SamplingOptions so;
  so.max_new_tokens = 8;
  so.stop_at_eos = false;
  auto gens = GenerateMonitored(*lm_, prompts_, so, {}, {&last}, cb);
  ASSERT_TRUE(gens.ok()) << gens.status().ToString();
  EXPECT_EQ((*gens)[0].finish_reason, "cut");
  EXPECT_EQ((*gens)[0].tokens.size(), 4u) << "token 2 is read while token 3 is sampled: the row ends there";
  EXPECT_EQ((*gens)[1].finish_reason, "length");
  EXPECT_EQ((*gens)[1].tokens.size(), 8u);
}

TEST_F(MonitoredGenerationTest, AnInputMonitorEndsARowBeforeItsSecondToken) {
  MonitorPack in = testing::CoordinatePack(*lm_, 0, PositionRule::kLastPrompt);
  MonitoredCallbacks cb;
  cb.on_prompt = [&](int64_t row, const std::vector<double>&, const std::vector<double>&) { return row != 1; };
  engine::SamplingOptions so;
  so.max_new_tokens = 5;
  so.stop_at_eos = false;
  auto gens = GenerateMonitored(*lm_, prompts_, so, {&in}, {}, cb);
  ASSERT_TRUE(gens.ok());
  EXPECT_EQ((*gens)[1].finish_reason, "cut");
  EXPECT_EQ((*gens)[1].tokens.size(), 1u);
  EXPECT_EQ((*gens)[0].tokens.size(), 5u);
}

TEST_F(MonitoredGenerationTest, PacksThatCannotBeReadAreRefusedBeforeAnythingRuns) {
  MonitorPack prompt_only = testing::CoordinatePack(*lm_, 0, PositionRule::kLastPrompt);
  MonitorPack narrow = testing::CoordinatePack(*lm_, 0, PositionRule::kLast);
  narrow.probe.weight.pop_back(), narrow.probe.mean.pop_back(), narrow.probe.scale.pop_back();  // one too narrow
  MonitorPack nohook = testing::CoordinatePack(*lm_, 0, PositionRule::kLast);
  nohook.hook = "blocks.99.hook_resid_post";
  MonitorPack mean_in = testing::CoordinatePack(*lm_, 0, PositionRule::kResponseMean);
  EXPECT_NE(CheckMonitorPacks(*lm_, {}, {&prompt_only}).message().find("use this pack as an input monitor"), std::string::npos);
  EXPECT_NE(CheckMonitorPacks(*lm_, {}, {&narrow}).message().find("probe width"), std::string::npos);
  EXPECT_NE(CheckMonitorPacks(*lm_, {}, {&nohook}).message().find("blocks.99"), std::string::npos);
  EXPECT_NE(CheckMonitorPacks(*lm_, {&mean_in}, {}).message().find("must read last-prompt or prompt-mean"), std::string::npos);
  EXPECT_TRUE(CheckMonitorPacks(*lm_, {&prompt_only}, {&nohook}).code() == StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace warden::interp
