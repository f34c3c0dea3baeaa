// The cascade's arithmetic on rows whose every decision is known, and the guard model's prompt,
// answer and scoring on the tiny random model.
#include "warden/guard/cascade.h"

#include <gtest/gtest.h>

#include <cmath>

#include "guard/test_model.h"
#include "testing/shared_files.h"
#include "warden/guard/guard_model.h"

namespace warden::guard {
namespace {

TEST(Cascade, ThresholdsComeFromCalibrationRowsAndEveryReferenceIsCountedOnTheRest) {
  std::vector<CascadeRow> rows;
  // Calibration: 10 eligible risks -10..-1 (target 0.2 escalates the top two: threshold -2), one
  // blocked row, benign guard-model scores 0..9 (strong_fpr 0.1: one above the threshold 8).
  for (int i = 0; i < 10; ++i) rows.push_back({-10.0 + i, static_cast<double>(i), false, true, ""});
  rows.push_back({3.0, 0.0, true, true, ""});
  // Measured rows (group "t"):
  rows.push_back({1.0, 0.0, true, false, "t"});    // harmful, cheap fires: blocked by all but strong
  rows.push_back({-1.5, 9.5, true, false, "t"});   // harmful, escalated, strong fires: cascade blocks
  rows.push_back({-5.0, 9.5, true, false, "t"});   // harmful, not escalated, strong fires: cascade misses
  rows.push_back({-5.0, 0.0, true, false, "t"});   // harmful, nothing fires
  rows.push_back({-1.0, 9.0, false, false, "t"});  // benign, escalated, strong fires: a false positive
  rows.push_back({-9.0, 1.0, false, false, "t"});  // benign, quiet
  CascadeOptions o;
  o.target_escalation = 0.2;
  o.strong_fpr = 0.1;
  const CascadeResult r = EvaluateCascade(rows, o).value();
  EXPECT_DOUBLE_EQ(r.escalation_threshold, -2.0);
  EXPECT_DOUBLE_EQ(r.calibration_escalation, 0.2);
  EXPECT_DOUBLE_EQ(r.strong_threshold, 8.0);
  ASSERT_EQ(r.groups.size(), 2u);
  const CascadeGroup& t = r.groups[0];
  EXPECT_EQ(t.group, "t");
  EXPECT_EQ(r.groups[1].group, "all");
  EXPECT_EQ(t.rows, 6u);
  EXPECT_EQ(t.eligible, 5u);
  EXPECT_EQ(t.escalated, 2u);
  EXPECT_EQ(t.cheap.blocked_harmful, 1u);
  EXPECT_EQ(t.cascade.blocked_harmful, 2u);
  EXPECT_EQ(t.cascade.blocked_benign, 1u);
  EXPECT_EQ(t.strong.blocked_harmful, 2u);
  EXPECT_EQ(t.both.blocked_harmful, 3u);
  EXPECT_EQ(t.cascade.harmful, 4u);
  EXPECT_EQ(t.cascade.benign, 2u);
  EXPECT_GT(t.cascade.recall.high, 0.5);
}

TEST(Cascade, BadOptionsAndMissingCalibrationAreErrors) {
  std::vector<CascadeRow> rows = {{-1, 0, false, false, "t"}};
  EXPECT_EQ(EvaluateCascade(rows, {}).status().code(), StatusCode::kInvalidArgument);  // no calibration rows
  CascadeOptions bad;
  bad.target_escalation = 0;
  EXPECT_EQ(EvaluateCascade(rows, bad).status().code(), StatusCode::kInvalidArgument);
}

TEST(GuardModel, AnswersInLlamaGuardsFormatAndScoresEveryRequest) {
  EXPECT_EQ(GuardModelAnswer({}), "safe");
  EXPECT_EQ(GuardModelAnswer({"S2", "S9"}), "unsafe\nS2,S9");
  EXPECT_NE(GuardModelPrompt("how do I bake bread").find("User: how do I bake bread"), std::string::npos);
  EXPECT_EQ(GuardModelPrompt(std::string(1000, 'x'), 50).size(), GuardModelPrompt("").size() + 50);
  std::shared_ptr<engine::LanguageModel> lm = testing::TinyGuardModel();
  auto g = GuardModel::Create(lm, engine::ChatFormat::kWarden);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  const std::vector<double> s = g->Score({"hello", "how do I make a weapon", "hello"}).value();
  ASSERT_EQ(s.size(), 3u);
  for (double x : s) EXPECT_TRUE(std::isfinite(x));
  EXPECT_DOUBLE_EQ(s[0], s[2]);  // the same request scores the same in one batch
  const std::string code = g->Category("how do I make a weapon").value();
  EXPECT_EQ(code[0], 'S');
}

TEST(GuardModel, ItsRowsHoldOutWholeSourcesAndNeverMixLabels) {
  WARDEN_NEED_SHARED(test::SharedPath("datasets/harmbench/harmbench_behaviors_text_all.csv"),
                     test::SharedPath("datasets/xstest/xstest_prompts.csv"));
  const std::vector<GuardModelRow> rows = GuardModelRows(test::SharedDir()).value();
  size_t harmful = 0, benign = 0, held_out = 0, test_rows = 0;
  for (const GuardModelRow& r : rows) {
    (r.hazards.empty() ? benign : harmful) += 1;
    if (r.source == "jailbreakbench" || r.source == "xstest-safe") {
      EXPECT_EQ(r.split, "held-out-source") << r.id;
      ++held_out;
    } else {
      EXPECT_TRUE(r.split == "train" || r.split == "test") << r.id;
      test_rows += r.split == "test";
    }
    if (r.source == "xstest-safe" || r.source == "truthfulqa" || r.source == "everyday") EXPECT_TRUE(r.hazards.empty());
    for (const std::string& h : r.hazards) EXPECT_EQ(h[0], 'S');
  }
  EXPECT_GT(harmful, 500u);
  EXPECT_GT(benign, 500u);
  EXPECT_GT(held_out, 100u);
  EXPECT_GT(test_rows, rows.size() / 10);
}

}  // namespace
}  // namespace warden::guard
