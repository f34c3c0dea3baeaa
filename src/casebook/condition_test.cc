#include <gtest/gtest.h>

#include "warden/casebook/condition.h"

namespace warden::casebook {
namespace {

using Json = nlohmann::json;

bool Met(const std::string& cond, const Json& v) {
  auto c = ParseCondition(cond);
  EXPECT_TRUE(c.ok()) << cond << ": " << c.status().ToString();
  return c.ok() && EvaluateCondition(*c, &v).met;
}

TEST(Condition, Comparisons) {
  EXPECT_TRUE(Met(">= 0.95", 0.95));
  EXPECT_TRUE(Met(">=0.95", 0.97));
  EXPECT_FALSE(Met(">= 0.95", 0.9499));
  EXPECT_TRUE(Met("<= 0.01", 0.01));
  EXPECT_FALSE(Met("<= 0.01", 0.0100001));
  EXPECT_TRUE(Met("> 3", 4));
  EXPECT_FALSE(Met("> 3", 3));
  EXPECT_TRUE(Met("< -1e-3", -0.5));
  EXPECT_TRUE(Met("== 1", 1.0));  // numbers compare as numbers
  EXPECT_TRUE(Met("== true", true));
  EXPECT_FALSE(Met("== true", false));
  EXPECT_FALSE(Met("== true", 1));  // a number is not a boolean
  EXPECT_TRUE(Met("== 'pass'", "pass"));
  EXPECT_TRUE(Met("== \"pass\"", "pass"));
  EXPECT_FALSE(Met("== 'pass'", "fail"));
  EXPECT_FALSE(Met("== '1'", 1));
  EXPECT_TRUE(Met("!= 'fail'", "pass"));
  EXPECT_TRUE(Met("== null", nullptr));
  EXPECT_TRUE(Met("exists", nullptr));
  EXPECT_TRUE(Met("  exists ", Json::object()));
}

TEST(Condition, OrderingNeedsNumbers) {
  auto c = ParseCondition(">= 0.5");
  ASSERT_TRUE(c.ok());
  const Json s = "0.9", b = true;
  const ConditionOutcome o = EvaluateCondition(*c, &s);
  EXPECT_FALSE(o.met);
  EXPECT_NE(o.explanation.find("needs a number"), std::string::npos) << o.explanation;
  EXPECT_FALSE(EvaluateCondition(*c, &b).met);
  EXPECT_FALSE(EvaluateCondition(*c, nullptr).met);
  auto e = ParseCondition("exists");
  ASSERT_TRUE(e.ok());
  EXPECT_FALSE(EvaluateCondition(*e, nullptr).met);
}

TEST(Condition, RejectsNonsense) {
  for (const char* bad : {"", ">=", ">= abc", "== 'open", "=~ 3", "> true", "< 'a'", "== 0x10", ">= nan", "== 'a'b'"}) {
    EXPECT_FALSE(ParseCondition(bad).ok()) << bad;
  }
}

TEST(Condition, CanonicalSpelling) {
  EXPECT_EQ(ParseCondition(">=0.5")->ToString(), ">= 0.5");
  EXPECT_EQ(ParseCondition("== \"pass\"")->ToString(), "== 'pass'");
  EXPECT_EQ(ParseCondition("==true")->ToString(), "== true");
  EXPECT_EQ(ParseCondition("exists")->ToString(), "exists");
}

}  // namespace
}  // namespace warden::casebook
