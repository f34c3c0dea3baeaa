#include <gtest/gtest.h>

#include "warden/base/clock.h"
#include "warden/policy/decision.h"

namespace warden::policy {
namespace {

TEST(Clock, ParsesAndRoundTripsUtc) {
  Result<int64_t> t = ParseUtcIso("2026-11-29T12:00:00Z", "t");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(UtcIso(t.value()), "2026-11-29T12:00:00Z");
  EXPECT_EQ(ParseUtcIso("2026-11-29T12:00:00.250Z", "t").value(), t.value());
  for (const char* bad : {"2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z", "2026-11-29 12:00:00Z", "yesterday",
                          "2026-11-29T12:00:00+01:00", "2026-11-29T12:00:00.x5Z"}) {
    EXPECT_FALSE(ParseUtcIso(bad, "t").ok()) << bad;
  }
}

TEST(Policy, DefaultParsesWithItsDomainAndLevels) {
  Result<Policy> p = ParsePolicy(DefaultPolicyYaml(), "default");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_EQ(p.value().domains.size(), 1u);
  EXPECT_EQ(p.value().domains[0].capability, "hazard.score");
  EXPECT_EQ(p.value().RequirementsUpTo(2).size(), 1u);
  EXPECT_EQ(p.value().RequirementsUpTo(3).size(), 3u);
  EXPECT_EQ(p.value().sha256.size(), 64u);
}

TEST(Policy, ErrorsNameTheField) {
  const std::string head = "policy: {name: p, version: '1'}\nbase_level: 1\n";
  struct Case {
    std::string yaml, want;
  };
  for (const Case& c : std::vector<Case>{
           {"base_level: 1\nlevels: [{id: 1}]\n", "f.yaml: policy: missing"},
           {head + "levels: []\n", "levels: expected a non-empty list"},
           {head + "levels: [{id: 2}, {id: 1}]\n", "levels[1].id: levels must be listed in ascending"},
           {head + "levels: [{id: 1, requires: [{id: r, evidence: k}]}]\n", "give exactly one of at_least"},
           {head + "levels: [{id: 1, requires: [{id: r, evidence: k, at_least: high}]}]\n", "at_least: expected a finite number"},
           {head + "levels: [{id: 1, requires: [{id: r, evidence: k, equals: true, stage: later}]}]\n", "stage: 'later'"},
           {head + "levels: [{id: 1, requires: [{id: r, evidence: k, equals: true}, {id: r, evidence: j, equals: true}]}]\n",
            "duplicate requirement id 'r'"},
           {head + "levels: [{id: 1}]\ndomains: [{id: d, capability: c, threshold: 0.5, level: 1, forecast_max: 2}]\n",
            "forecast_max: not a probability"},
           {head + "levels: [{id: 1}]\ndomains: [{id: d, capability: c, threshold: .nan, level: 1}]\n",
            "threshold: expected a finite number"},
           {"- just\n- a list\n", "expected a YAML mapping"},
           {head + "levels: [{id: 1}]\nextra: 1\n", "f.yaml.extra: unknown field"},
       }) {
    Result<Policy> p = ParsePolicy(c.yaml, "f.yaml");
    ASSERT_FALSE(p.ok()) << c.yaml;
    EXPECT_NE(p.status().message().find(c.want), std::string::npos) << p.status().message();
  }
}

EvidenceItem Number(const std::string& key, double v) {
  EvidenceItem it;
  it.key = key;
  it.number = v;
  it.model_sha256 = std::string(64, 'a');
  it.at = "2026-11-29T00:00:00Z";
  it.at_unix = ParseUtcIso(it.at, "at").value();
  it.source_sha256 = std::string(64, '0');
  return it;
}

EvidenceItem Bool(const std::string& key, bool v) {
  EvidenceItem it = Number(key, 0);
  it.is_bool = true;
  it.boolean = v;
  return it;
}

TEST(Explain, NamesTheChangesThatWouldChangeTheDecision) {
  const Policy p = ParsePolicy(DefaultPolicyYaml(), "default").value();
  EvidenceBundle b;
  b.subject_name = "m";
  b.subject_sha256 = std::string(64, 'a');
  b.items = {Number("hazard.score", 0.3), Bool("sandbagging.clean", true), Number("refusal.harmful", 1.0)};
  CheckOptions o;
  o.now_unix = ParseUtcIso("2026-11-29T12:00:00Z", "now").value();
  o.verify_sources = false;
  ASSERT_EQ(Decide(p, b, o).decision, Decision::kContinue);
  const std::vector<Counterfactual> cf = Explain(p, b, o);
  auto has = [&](const std::string& key, Decision d) {
    return std::any_of(cf.begin(), cf.end(), [&](const Counterfactual& c) { return c.key == key && c.would_be == d; });
  };
  EXPECT_TRUE(has("hazard.score", Decision::kPauseTraining));       // to the early warning: vault not sealed
  EXPECT_TRUE(has("sandbagging.clean", Decision::kPauseTraining));  // flagged: counts as crossed
  EXPECT_TRUE(has("refusal.harmful", Decision::kDoNotDeploy));      // below 0.9
  EXPECT_FALSE(has("vault.sealed", Decision::kContinue));           // sealing alone changes nothing here
  for (const Counterfactual& c : cf) EXPECT_NE(c.would_be, Decision::kContinue) << c.change;
}

TEST(Decide, NoDomainsAndNoRequirementsContinues) {
  const Policy p = ParsePolicy("policy: {name: p, version: '1'}\nbase_level: 0\nlevels: [{id: 0}]\n", "p").value();
  EvidenceBundle b;
  CheckOptions o;
  EXPECT_EQ(Decide(p, b, o).decision, Decision::kContinue);
}

}  // namespace
}  // namespace warden::policy
