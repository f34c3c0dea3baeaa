#include "warden/interp/output_calibration.h"

#include <gtest/gtest.h>

#include "interp/test_model.h"

namespace warden::interp {
namespace {

// A request monitor whose threshold, read per token, would cut every answer.
MonitorPack RequestPack(const engine::LanguageModel& lm) {
  return testing::CoordinatePack(lm, 2, PositionRule::kLastPrompt, -1e9);
}

TEST(OutputCalibration, SetsTheThresholdSoThatTheTargetShareOfBenignAnswersWouldBeCut) {
  auto lm = testing::TinyChatModel();
  ASSERT_NE(lm, nullptr);
  std::vector<LabelledConversation> data;
  for (int i = 0; i < 40; ++i) {
    LabelledConversation c = testing::Turn("b" + std::to_string(i), "Is the sky blue? " + std::to_string(i));
    c.split = i < 30 ? "train" : "test";
    c.category = "held-out";
    data.push_back(c);
  }
  data.push_back(testing::Turn("h", "Mira lives in Vell.", "", 1));  // harmful rows are not read
  OutputCalibrationOptions o;
  o.target_fpr = 0.1;
  o.max_tokens = 6;
  auto c = CalibrateOutputMonitor(*lm, RequestPack(*lm), data, o);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->pack.position, PositionRule::kLast);
  EXPECT_EQ(c->calibration_answers, 30u);
  EXPECT_LE(c->calibration_fpr, 0.1);
  EXPECT_GT(c->pack.threshold, -1e9);
  ASSERT_EQ(c->test_cut.count("held-out"), 1u);
  EXPECT_EQ(c->test_cut["held-out"].second, 10u);
  EXPECT_EQ(c->pack.trained_on.size(), 30u);

  OutputCalibrationOptions bad = o;
  bad.position = PositionRule::kLastPrompt;
  EXPECT_FALSE(CalibrateOutputMonitor(*lm, RequestPack(*lm), data, bad).ok());
  std::vector<LabelledConversation> no_train(data.begin() + 30, data.end());
  EXPECT_FALSE(CalibrateOutputMonitor(*lm, RequestPack(*lm), no_train, o).ok());
}

}  // namespace
}  // namespace warden::interp
