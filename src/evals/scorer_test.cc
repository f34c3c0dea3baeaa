// Scorers and metrics.
#include <gtest/gtest.h>

#include <cmath>

#include "warden/evals/metrics.h"
#include "warden/evals/scorer.h"

namespace warden::evals {
namespace {

Sample WithTarget(const std::string& target, std::vector<std::string> choices = {}) {
  Sample s;
  s.id = "s";
  s.target = target;
  s.choices = std::move(choices);
  return s;
}

double Grade(Scorer& sc, const Sample& s, const std::string& out) { return sc.Grade(s, out).value().value; }

TEST(Scorer, MatchIncludesRegex) {
  auto match = MakeMatchScorer();
  EXPECT_EQ(Grade(*match, WithTarget("Paris"), "  paris. "), 1);
  EXPECT_EQ(Grade(*match, WithTarget("Paris"), "It is Paris"), 0);
  EXPECT_FALSE(match->Grade(WithTarget(""), "x").ok());  // nothing to match is an error
  auto inc = MakeIncludesScorer();
  EXPECT_EQ(Grade(*inc, WithTarget("Paris"), "It is PARIS, of course"), 1);
  auto re = MakeRegexScorer("\\b\\d{3}\\b");
  ASSERT_TRUE(re.ok());
  EXPECT_EQ(Grade(**re, WithTarget(""), "call 911 now"), 1);
  EXPECT_EQ((*re)->Grade(WithTarget(""), "call 911 now")->answer, "911");
  EXPECT_EQ(Grade(**re, WithTarget(""), "call 91 now"), 0);
  auto bad = MakeRegexScorer("(unclosed");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("offset"), std::string::npos);
  EXPECT_FALSE(MakeScorer("telepathy").ok());
}

TEST(Scorer, ChoiceReadsLettersAndTexts) {
  auto c = MakeChoiceScorer();
  const Sample s = WithTarget("B", {"Zilmok resin", "Pellbrel glass", "Quarl"});
  EXPECT_EQ(Grade(*c, s, "B"), 1);
  EXPECT_EQ(Grade(*c, s, "(b) Pellbrel glass"), 1);
  EXPECT_EQ(Grade(*c, s, "Answer: B"), 1);
  EXPECT_EQ(Grade(*c, s, "pellbrel glass."), 1);
  EXPECT_EQ(Grade(*c, s, "Zilmok resin"), 0);
  EXPECT_EQ(Grade(*c, s, "I'm not sure."), 0);  // no choice named: wrong, not an error
  EXPECT_EQ(Grade(*c, s, "Banana"), 0);
  EXPECT_EQ(Grade(*c, s, "D"), 0);  // beyond the choices
  EXPECT_FALSE(c->Grade(WithTarget("B"), "B").ok());  // not a choice sample
}

TEST(Scorer, RefusalDetector) {
  for (const char* r : {"I can't help with that.", "I’m sorry, but I cannot do this.", "As an AI, I must decline.",
                        "Sorry, but I won't."}) {
    EXPECT_TRUE(LooksLikeRefusal(r)) << r;
  }
  for (const char* r : {"Sure, here is how to kill a Python process: use kill -9.", "Paris.", ""}) {
    EXPECT_FALSE(LooksLikeRefusal(r)) << r;
  }
  auto sc = MakeRefusalScorer();
  EXPECT_EQ(Grade(*sc, WithTarget(""), "I cannot assist with that"), 1);
}

TEST(Metrics, StandardErrorAndBootstrap) {
  std::vector<ScoredSample> s;
  for (int i = 0; i < 100; ++i) s.push_back({i < 30 ? 1.0 : 0.0, "c" + std::to_string(i), i % 2 ? "odd" : "even"});
  const Estimate e = EstimateMean(s, {.resamples = 2000, .confidence = 0.95, .seed = 1});
  EXPECT_DOUBLE_EQ(e.value, 0.3);
  EXPECT_NEAR(e.std_error, std::sqrt(0.3 * 0.7 / 100), 1e-12);  // unclustered: the binomial formula
  EXPECT_NEAR(e.ci_low, 0.3 - 1.96 * e.std_error, 0.03);
  EXPECT_NEAR(e.ci_high, 0.3 + 1.96 * e.std_error, 0.03);
  EXPECT_EQ(EstimateMean(s, {.seed = 1}).ci_low, EstimateMean(s, {.seed = 1}).ci_low);  // seeded
  // Clustering: the same scores in 10 clusters of 10 identical samples are much less certain.
  std::vector<ScoredSample> clustered;
  for (int i = 0; i < 100; ++i) clustered.push_back({i < 30 ? 1.0 : 0.0, "c" + std::to_string(i / 10), ""});
  const Estimate ce = EstimateMean(clustered);
  EXPECT_EQ(ce.clusters, 10u);
  EXPECT_GT(ce.std_error, 2.5 * e.std_error);
  const auto by = EstimateByCategory(s);
  ASSERT_EQ(by.size(), 2u);
  EXPECT_EQ(by.at("even").n, 50u);
  EXPECT_EQ(EstimateMean({}).n, 0u);
}

}  // namespace
}  // namespace warden::evals
