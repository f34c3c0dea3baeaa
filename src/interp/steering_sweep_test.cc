// The steering sweep on a tiny in-memory model: each scale is measured with exactly that
// scale's steering on, the layers asked for (or all), and the model is left unsteered however
// the sweep ends.
#include "warden/interp/steering_sweep.h"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

#include "interp/test_model.h"

namespace warden::interp {
namespace {

using testing::TinyChatModel;

class SteeringSweepTest : public ::testing::Test {
 protected:
  void SetUp() override {
    lm_ = TinyChatModel(3);
    ASSERT_NE(lm_, nullptr);
    engine::EncodeOptions no_bos;
    no_bos.add_bos = false;
    request_ = {lm_->tokenizer()->Encode("Is the sky blue?", {}), lm_->tokenizer()->Encode(" True.", no_bos)};
    const int64_t d = lm_->config().d_model;
    v_.directions[0] = std::vector<float>(static_cast<size_t>(d), 0.5f);
    v_.directions[1] = std::vector<float>(static_cast<size_t>(d), -0.25f);
    clean_ = Score();
  }
  double Score() { return lm_->Score({request_}).value()[0].logprob; }

  std::unique_ptr<engine::LanguageModel> lm_;
  engine::ScoreRequest request_;
  SteeringVector v_;
  double clean_ = 0;
};

TEST_F(SteeringSweepTest, MeasuresEachScaleWithItsSteeringAndLeavesTheModelClean) {
  SteeringSweepOptions o;
  o.scales = {0, 2, -2};
  std::vector<double> seen, scores;
  auto layers = SweepSteering(*lm_, v_, o, [&](double scale) {
    seen.push_back(scale);
    scores.push_back(Score());
    return Status::Ok();
  });
  ASSERT_TRUE(layers.ok()) << layers.status().ToString();
  EXPECT_EQ(*layers, (std::vector<int>{0, 1}));  // every layer of the vector
  EXPECT_EQ(seen, o.scales);
  ASSERT_EQ(scores.size(), 3u);
  EXPECT_NEAR(scores[0], clean_, 1e-6);  // scale 0: the unsteered model
  EXPECT_GT(std::fabs(scores[1] - clean_), 1e-4);
  EXPECT_GT(std::fabs(scores[1] - scores[2]), 1e-4);
  EXPECT_NEAR(Score(), clean_, 1e-6);
  // Scale 2 is the vector added by hand at both layers.
  ASSERT_TRUE(lm_->AddSteering("blocks.0.hook_resid_post", v_.directions[0], 2).ok());
  ASSERT_TRUE(lm_->AddSteering("blocks.1.hook_resid_post", v_.directions[1], 2).ok());
  EXPECT_NEAR(Score(), scores[1], 1e-6);
  lm_->ClearSteering();

  o.layers = {1};
  o.scales = {2};
  scores.clear();
  layers = SweepSteering(*lm_, v_, o, [&](double) {
    scores.push_back(Score());
    return Status::Ok();
  });
  ASSERT_TRUE(layers.ok());
  EXPECT_EQ(*layers, (std::vector<int>{1}));
  ASSERT_TRUE(lm_->AddSteering("blocks.1.hook_resid_post", v_.directions[1], 2).ok());
  EXPECT_NEAR(Score(), scores.at(0), 1e-6);
  lm_->ClearSteering();
}

TEST_F(SteeringSweepTest, ErrorsStopTheSweepAndStillClearTheSteering) {
  SteeringSweepOptions o;
  o.layers = {7};
  int calls = 0;
  auto count = [&](double) {
    ++calls;
    return Status::Ok();
  };
  auto missing = SweepSteering(*lm_, v_, o, count);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "no direction for layer 7");
  EXPECT_EQ(calls, 0);  // checked before anything runs
  EXPECT_FALSE(SteeringLayers(v_, {1, 7}).ok());
  EXPECT_EQ(SteeringLayers(v_, {}).value(), (std::vector<int>{0, 1}));

  o.layers = {};
  o.scales = {1, 2};
  auto failed = SweepSteering(*lm_, v_, o, [&](double) {
    ++calls;
    return Status::IoError("disk full");
  });
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().message(), "disk full");
  EXPECT_EQ(calls, 1);
  EXPECT_NEAR(Score(), clean_, 1e-6);

  EXPECT_THROW(SweepSteering(*lm_, v_, o, [](double) -> Status { throw std::runtime_error("measure threw"); }),
               std::runtime_error);
  EXPECT_NEAR(Score(), clean_, 1e-6);

  SteeringVector wrong;
  wrong.directions[0] = std::vector<float>(3, 1.0f);  // not the model's width
  EXPECT_FALSE(SweepSteering(*lm_, wrong, o, count).ok());
  EXPECT_NEAR(Score(), clean_, 1e-6);
}

}  // namespace
}  // namespace warden::interp
