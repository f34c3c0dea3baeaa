// The data-driven policy cases (testdata/cases/*/, written by testdata/make_cases.py): each a
// directory with evidence.json, its artifacts, optionally policy.yaml (else the built-in
// default policy), and expected.json: {"now", "decision", "required_level",
// "required_training_level", "reasons": [substrings], "problems": [[key, kind]]} or
// {"error": substring} when loading the policy or the evidence must fail.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "warden/base/clock.h"
#include "warden/base/file.h"
#include "warden/policy/decision.h"

namespace warden::policy {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

const std::string kCases = std::string(WARDEN_SOURCE_DIR) + "/src/policy/testdata/cases";

std::vector<std::string> CaseNames() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(kCases)) {
    if (e.is_directory()) names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

class PolicyCase : public ::testing::TestWithParam<std::string> {};

TEST_P(PolicyCase, DecidesAsExpected) {
  const std::string dir = kCases + "/" + GetParam();
  const Json expected = Json::parse(ReadFileToString(dir + "/expected.json").value());
  Result<Policy> policy = FileExists(dir + "/policy.yaml") ? LoadPolicy(dir + "/policy.yaml")
                                                           : ParsePolicy(DefaultPolicyYaml(), "default");
  Result<EvidenceBundle> evidence = LoadEvidence(dir + "/evidence.json");
  if (expected.contains("error")) {
    const Status s = !policy.ok() ? policy.status() : evidence.status();
    ASSERT_FALSE(s.ok()) << "expected an error containing: " << expected["error"];
    EXPECT_NE(s.message().find(expected["error"].get<std::string>()), std::string::npos) << s.message();
    return;
  }
  ASSERT_TRUE(policy.ok()) << policy.status().ToString();
  ASSERT_TRUE(evidence.ok()) << evidence.status().ToString();
  CheckOptions opt;
  opt.now_unix = ParseUtcIso(expected["now"].get<std::string>(), "now").value();
  opt.max_age_days = policy.value().freshness.max_age_days;
  opt.same_model = policy.value().freshness.same_model;
  const DecisionRecord rec = Decide(policy.value(), evidence.value(), opt);
  const std::string all = DecisionToJson(rec).dump(1);
  EXPECT_EQ(DecisionName(rec.decision), expected["decision"].get<std::string>()) << all;
  if (expected.contains("required_level")) EXPECT_EQ(rec.required_level, expected["required_level"].get<int>()) << all;
  if (expected.contains("required_training_level")) {
    EXPECT_EQ(rec.required_training_level, expected["required_training_level"].get<int>()) << all;
  }
  for (const Json& want : expected.value("reasons", Json::array())) {
    const std::string s = want.get<std::string>();
    const bool found = std::any_of(rec.reasons.begin(), rec.reasons.end(),
                                   [&](const Reason& r) { return r.text.find(s) != std::string::npos; });
    EXPECT_TRUE(found) << "no reason mentions '" << s << "':\n" << all;
  }
  for (const Json& want : expected.value("problems", Json::array())) {
    const bool found = std::any_of(rec.problems.begin(), rec.problems.end(), [&](const EvidenceProblem& p) {
      return p.key == want[0].get<std::string>() && ProblemKindName(p.kind) == want[1].get<std::string>();
    });
    EXPECT_TRUE(found) << "no problem " << want.dump() << ":\n" << all;
  }
  // The record is a pure function of its inputs.
  EXPECT_EQ(DecisionToJson(Decide(policy.value(), evidence.value(), opt)).dump(), DecisionToJson(rec).dump());
}

INSTANTIATE_TEST_SUITE_P(Cases, PolicyCase, ::testing::ValuesIn(CaseNames()),
                         [](const ::testing::TestParamInfo<std::string>& i) {
                           std::string n = i.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

TEST(PolicyCases, ThereAreCasesOfEveryKind) {
  // Guards against an empty or half-generated testdata directory passing vacuously.
  const std::vector<std::string> names = CaseNames();
  EXPECT_GE(names.size(), 25u);
  for (const char* must : {"missing-capability", "stale-by-date", "tampered-log", "contradictory",
                           "malformed-policy-yaml", "sandbagging-flagged"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), must), names.end()) << must;
  }
}

}  // namespace
}  // namespace warden::policy
