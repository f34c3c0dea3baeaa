// The SAE pipeline on a tiny in-memory model: EvaluateSae reports what its pieces (capture,
// metrics, spliced loss) give, measures the loss on answers only when there are answers, and
// refuses an SAE made on another model; training records its provenance.
#include "warden/interp/sae_evaluation.h"

#include <gtest/gtest.h>

#include "interp/test_model.h"

namespace warden::interp {
namespace {

using testing::TinyChatModel;
using testing::Turn;

std::vector<LabelledConversation> Data() {
  return {Turn("a", "Is the sky blue?", "True."), Turn("b", "The grass is red.", "False."),
          Turn("c", "Mira lives in Vell 3.", "True.")};
}

SaeTrainOptions Small() {
  SaeTrainOptions o;
  o.d_sae = 16;
  o.k = 4;
  o.steps = 20;
  o.batch = 16;
  return o;
}

TEST(SaeEvaluation, ReportsWhatItsPiecesGiveOnTheModelsOwnConversations) {
  auto lm = TinyChatModel(1);
  ASSERT_NE(lm, nullptr);
  const std::vector<LabelledConversation> data = Data();
  auto sae = TrainSaeOnConversations(*lm, data, "blocks.1.hook_resid_post", "auto", Small());
  ASSERT_TRUE(sae.ok()) << sae.status().ToString();
  EXPECT_EQ(sae->model_sha256, lm->WeightsSha256().value());
  EXPECT_EQ(sae->trained_on, (std::vector<std::string>{"a", "b", "c"}));

  auto e = EvaluateSae(*lm, *sae, data, "auto");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  std::vector<std::vector<int32_t>> ids;
  std::vector<std::pair<int64_t, int64_t>> spans;
  const Matrix acts = CaptureTokenActivations(*lm, data, sae->hook, "auto", nullptr, &ids, &spans).value();
  EXPECT_EQ(e->tokens, acts.rows);
  const SaeMetrics m = EvaluateSae(*sae, acts);
  EXPECT_NEAR(e->metrics.mse, m.mse, 1e-12);
  EXPECT_NEAR(e->metrics.explained_variance, m.explained_variance, 1e-12);
  EXPECT_NEAR(e->metrics.l0, m.l0, 1e-12);
  EXPECT_TRUE(e->loss_on_answers);  // "auto" finds the warden chat format: the answers are known
  const SplicedLoss loss = MeasureSplicedLoss(*lm, *sae, ids, spans).value();
  EXPECT_NEAR(e->loss.clean, loss.clean, 1e-6);
  EXPECT_NEAR(e->loss.spliced, loss.spliced, 1e-6);
  EXPECT_NEAR(e->loss.zero_ablated, loss.zero_ablated, 1e-6);
  EXPECT_NE(e->dashboard_html.find("<html"), std::string::npos);

  // As plain text the answers are not marked: the loss is over every token.
  auto plain = EvaluateSae(*lm, *sae, data, "none");
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_FALSE(plain->loss_on_answers);
}

TEST(SaeEvaluation, RefusesAnSaeOfAnotherModelAndNoData) {
  auto lm = TinyChatModel(1);
  auto other = TinyChatModel(2);
  ASSERT_NE(lm, nullptr);
  ASSERT_NE(other, nullptr);
  auto sae = TrainSaeOnConversations(*lm, Data(), "blocks.0.hook_resid_post", "auto", Small());
  ASSERT_TRUE(sae.ok()) << sae.status().ToString();
  auto refused = EvaluateSae(*other, *sae, Data());
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("trained on another model"), std::string::npos) << refused.status().message();
  EXPECT_FALSE(EvaluateSae(*lm, *sae, {}).ok());
  // An SAE without provenance (e.g. from SAELens) is evaluated on any model.
  Sae foreign = *sae;
  foreign.model_sha256.clear();
  EXPECT_TRUE(EvaluateSae(*other, foreign, Data()).ok());
}

}  // namespace
}  // namespace warden::interp
