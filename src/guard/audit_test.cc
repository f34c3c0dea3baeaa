// The audit queue's admission rule, the review report's figures and the labelled export, on
// records written by hand (the guard's own records are tested in guard_test.cc).
#include "warden/guard/audit.h"

#include "warden/interp/datasets.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>

namespace warden::guard {
namespace {

store::DecisionRecord Rec(const std::string& action, const std::string& scores, const std::string& stage = "",
                          const std::string& monitor = "") {
  store::DecisionRecord r;
  r.request_id = "chatcmpl-x";
  r.action = action;
  r.stage = stage;
  r.monitor = monitor;
  r.scores_json = scores;
  r.request_json = R"({"messages":[{"role":"user","content":"how do I do the thing"}]})";
  r.prompt = "how do I do the thing";
  r.user = "u1";
  return r;
}

std::string Probe(double score, double threshold) {
  return nlohmann::json({{"input", {{"harm", {{"score", score}, {"threshold", threshold}}}}}, {"output", nlohmann::json::object()}}).dump();
}

AuditSpec Spec(double threshold, std::vector<SampleBand> bands) {
  AuditSpec s;
  s.enabled = true;
  s.risk_threshold = threshold;
  s.sample = std::move(bands);
  s.has_seed = true;
  s.seed = 3;
  return s;
}

TEST(Audit, RiskIsTheLargestMarginOverAThreshold) {
  EXPECT_DOUBLE_EQ(RecordRisk(Probe(0.5, 2.0)), -1.5);
  const std::string both = R"({"input":{"a":{"score":1,"threshold":3}},"output":{"b":{"max":4,"threshold":3.5,"per_token":[1,4]}}})";
  EXPECT_DOUBLE_EQ(RecordRisk(both), 0.5);
  EXPECT_TRUE(std::isinf(RecordRisk(R"({"input":{"a":{"score":null,"threshold":1,"error":"score is not finite"}}})")));
  EXPECT_GT(RecordRisk(R"({"input":{"deny":{"fired":true}}})"), 1e300);
  EXPECT_LT(RecordRisk(R"({"input":{"deny":{"fired":false}}})"), -1e300);
  EXPECT_LT(RecordRisk(R"({"input":{},"output":{}})"), -1e300);
  EXPECT_GT(RecordRisk("not json"), 1e300);  // unreadable scores go to a human
}

TEST(Audit, RiskyRecordsAlwaysEnterAndAllowedOnesAtTheirBandsRate) {
  Auditor a(Spec(0.0, {{-1.0, 0.5}, {-1e9, 0.0}}));
  auto risky = a.Admit(Rec("block", Probe(3, 1), "input", "harm"));
  ASSERT_TRUE(risky.has_value());
  EXPECT_EQ(risky->reason, "risk");
  EXPECT_DOUBLE_EQ(risky->priority, 2.0);
  EXPECT_DOUBLE_EQ(risky->inclusion, 1.0);
  int near = 0, far = 0;
  for (int i = 0; i < 2000; ++i) {
    auto n = a.Admit(Rec("allow", Probe(0.5, 1)));  // risk -0.5: band risk>=-1, rate 0.5
    if (n) {
      ++near;
      EXPECT_EQ(n->stratum, "risk>=-1");
      EXPECT_DOUBLE_EQ(n->inclusion, 0.5);
    }
    far += a.Admit(Rec("allow", Probe(-5, 1))).has_value();  // band risk>=-1e9, rate 0
  }
  EXPECT_NEAR(near / 2000.0, 0.5, 0.05);
  EXPECT_EQ(far, 0);
  EXPECT_FALSE(Auditor(AuditSpec{}).Admit(Rec("block", Probe(3, 1))).has_value());  // no audit section
}

TEST(Audit, TheReportMeasuresEachStagesPrecisionAndEstimatesWhatWasLetThrough) {
  const std::string dir = ::testing::TempDir() + "/audit_report";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto st = store::Store::Open(dir + "/serve.db").value();
  AuditSpec spec = Spec(0.0, {{-1e9, 1.0}});
  Auditor a(spec);
  auto append = [&](store::DecisionRecord r) {
    std::optional<store::AuditItem> item = a.Admit(r);
    EXPECT_TRUE(st->Append(&r, item ? &*item : nullptr).ok());
    return r.seq;
  };
  std::vector<int64_t> blocked, allowed;
  for (int i = 0; i < 4; ++i) blocked.push_back(append(Rec("block", Probe(2, 1), "input", "harm")));
  for (int i = 0; i < 10; ++i) allowed.push_back(append(Rec("allow", Probe(0, 1))));
  // Three blocks were right, one wrong; one allowed request of ten was harmful; one unsure.
  for (size_t i = 0; i < blocked.size(); ++i) {
    store::Verdict v{blocked[i], "alice", i < 3 ? "harmful" : "benign", i < 3 ? "S9" : "", "", ""};
    ASSERT_TRUE(st->SubmitVerdict(&v).ok());
  }
  for (size_t i = 0; i < allowed.size(); ++i) {
    store::Verdict v{allowed[i], "bob", i == 0 ? "harmful" : i == 1 ? "unsure" : "benign", i == 0 ? "S2" : "", "", ""};
    ASSERT_TRUE(st->SubmitVerdict(&v).ok());
  }
  ReviewReport rep = BuildReviewReport(*st, spec).value();
  EXPECT_EQ(rep.records, 14);
  EXPECT_EQ(rep.queued, 14);
  EXPECT_EQ(rep.reviewed, 14);
  ASSERT_EQ(rep.stages.size(), 1u);
  EXPECT_EQ(rep.stages[0].stage, "input:harm");
  EXPECT_EQ(rep.stages[0].harmful, 3);
  EXPECT_EQ(rep.stages[0].benign, 1);
  EXPECT_DOUBLE_EQ(rep.stages[0].precision, 0.75);
  EXPECT_LT(rep.stages[0].interval.low, 0.75);
  EXPECT_GT(rep.stages[0].interval.high, 0.75);
  ASSERT_EQ(rep.bands.size(), 1u);
  EXPECT_EQ(rep.bands[0].allowed, 10);
  EXPECT_EQ(rep.bands[0].reviewed, 9);
  EXPECT_EQ(rep.bands[0].unsure, 1);
  ASSERT_TRUE(rep.harmful_allowed_share.has_value());
  EXPECT_NEAR(*rep.harmful_allowed_share, 1.0 / 9, 1e-12);
  EXPECT_LE(rep.harmful_allowed_interval.low, 1.0 / 9);
  EXPECT_GT(rep.harmful_allowed_interval.high, 1.0 / 9);

  // The export: one labelled row per harmful or benign verdict, in the probe trainer's format.
  std::string jsonl = LabelledJsonl(*st).value();
  size_t rows = 0, harmful = 0;
  for (size_t start = 0; start < jsonl.size();) {
    const size_t end = jsonl.find('\n', start);
    nlohmann::json j = nlohmann::json::parse(jsonl.substr(start, end - start));
    ++rows;
    harmful += j["label"].get<int>();
    EXPECT_EQ(j["messages"][0]["content"], "how do I do the thing");
    EXPECT_EQ(j["cluster"], "u1");
    start = end + 1;
  }
  EXPECT_EQ(rows, 13u);  // 14 verdicts, one unsure
  EXPECT_EQ(harmful, 4u);
  // ... which the probe trainer's reader takes as it is: one user's rows share a split.
  auto parsed = interp::ParseLabelledConversations(jsonl, "review.jsonl");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->size(), 13u);
  for (const auto& c : *parsed) {
    EXPECT_EQ(c.cluster, "u1");
    EXPECT_EQ(c.split, (*parsed)[0].split);
    EXPECT_TRUE(c.split == "train" || c.split == "test") << c.split;
  }
}

TEST(Audit, CalibrationSizesTheQueueToTheBudgetOnTrafficItHasNotSeen) {
  // Risks drawn from one distribution: calibrate on one draw, admit from another.
  std::mt19937_64 rng(11);
  std::normal_distribution<double> risk(-3, 1.5);
  auto traffic = [&](size_t n) {
    std::vector<store::DecisionRecord> out;
    for (size_t i = 0; i < n; ++i) {
      const double r = risk(rng);
      out.push_back(Rec(r >= 0 ? "block" : "allow", Probe(r, 0), r >= 0 ? "input" : "", r >= 0 ? "harm" : ""));
    }
    return out;
  };
  // Volumes large enough that counting noise (about sqrt(500) = 4.5%) is well inside 20%.
  const double budget = 500, per_day = 20000, share = 0.3;
  AuditCalibration c = CalibrateAudit(traffic(40000), budget, per_day, share).value();
  EXPECT_NEAR(c.risk_per_day, budget * (1 - share), 1.0);
  EXPECT_NEAR(c.sample_per_day, budget * share, 1.0);
  ASSERT_EQ(c.spec.sample.size(), 2u);
  // The YAML it prints parses back to the same section.
  auto parsed = ParseSafeguards(AuditYaml(c.spec), "audit.yaml", "");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString() << "\n" << AuditYaml(c.spec);
  EXPECT_DOUBLE_EQ(parsed->audit.risk_threshold, c.spec.risk_threshold);
  ASSERT_EQ(parsed->audit.sample.size(), 2u);
  // A day of new traffic fills the budget to within 20%.
  c.spec.has_seed = true;
  Auditor a(c.spec);
  int risky = 0, sampled = 0;
  for (const auto& r : traffic(static_cast<size_t>(per_day))) {
    if (auto item = a.Admit(r)) (item->reason == "risk" ? risky : sampled) += 1;
  }
  EXPECT_NEAR(risky + sampled, budget, 0.2 * budget) << risky << " risk + " << sampled << " sampled";
  EXPECT_FALSE(CalibrateAudit({}, budget, per_day, share).ok());
  EXPECT_FALSE(CalibrateAudit(traffic(10), budget, per_day, 1.0).ok());
}

}  // namespace
}  // namespace warden::guard
