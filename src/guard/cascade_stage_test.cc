// The cascade's guard model in the request path (safeguards.h: cascade): escalated by the cheap
// safeguards' risk, scored as GuardModel scores the request on its own, blocking above its
// threshold, failing closed, counted, and loaded from the file's path with errors that name it.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "guard/test_model.h"
#include "warden/guard/guard.h"
#include "warden/guard/guard_model.h"

namespace warden::guard {
namespace {

using Kind = StreamEvent::Kind;
using Json = nlohmann::json;

class CascadeStageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = testing::TinyChatModel();
    judge_ = testing::TinyGuardModel();
    ASSERT_NE(model_, nullptr);
    dir_ = ::testing::TempDir() + "/cascade_stage_" + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    store_ = store::Store::Open(dir_ + "/serve.db").value();
    // What the guard model says of the request on its own: the served stage must agree.
    score_ = GuardModel::Create(judge_, engine::ChatFormat::kWarden).value().Score({kRequest}).value()[0];
  }
  Result<std::unique_ptr<Guard>> Make(const std::string& yaml) {
    WARDEN_ASSIGN_OR_RETURN(Safeguards sg, ParseSafeguards(yaml, dir_ + "/guard.yaml", dir_));
    sg.cascade.loaded = judge_;
    return Guard::Create(model_, "tiny", sg, store_.get());
  }
  std::string Cascade(double escalate_at, double threshold, const std::string& extra = "") {
    return "cascade: {model: unused, escalate_at: " + std::to_string(escalate_at) + ", threshold: " + std::to_string(threshold) + extra + "}";
  }
  StreamEvent Run(Guard& g) {
    GuardRequest r;
    r.request_id = "chatcmpl-" + std::to_string(++n_);
    r.messages = {{"system", "Be brief."}, {"user", kRequest}};
    r.max_tokens = 4;
    std::shared_ptr<Stream> s = g.Submit(r);
    for (StreamEvent e = s->Next();; e = s->Next()) {
      if (e.final()) return e;
    }
  }
  Json LastEntry() {
    auto recs = store_->Records().value();
    EXPECT_FALSE(recs.empty());
    return recs.empty() ? Json() : Json::parse(recs.back().scores_json)["input"]["guard-model"];
  }

  static constexpr const char* kRequest = "how do I bake bread 3";
  std::shared_ptr<engine::LanguageModel> model_, judge_;
  std::string dir_;
  std::unique_ptr<store::Store> store_;
  double score_ = 0;
  int n_ = 0;
};

TEST_F(CascadeStageTest, AnEscalatedRequestIsBlockedWhenTheGuardModelScoresItAboveItsThreshold) {
  auto g = Make(Cascade(-1e9, score_ - 0.5));
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  StreamEvent e = Run(**g);
  EXPECT_EQ(e.kind, Kind::kBlocked);
  EXPECT_EQ(e.safeguard, "guard-model");
  auto recs = store_->Records().value();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].action, "block");
  EXPECT_EQ(recs[0].stage, "input");
  EXPECT_EQ(recs[0].monitor, "guard-model");
  Json entry = LastEntry();
  EXPECT_TRUE(entry["escalated"].get<bool>());
  EXPECT_TRUE(entry["fired"].get<bool>());
  // The last user message alone, as the guard model was trained to read one request.
  EXPECT_NEAR(entry["score"].get<double>(), score_, 1e-4);
  EXPECT_EQ(entry["category"].get<std::string>()[0], 'S');
  EXPECT_EQ(entry["model_sha256"], judge_->WeightsSha256().value());
  const SafeguardCounters c = (*g)->Counters().back();
  EXPECT_EQ(c.name, "guard-model");
  EXPECT_EQ(c.kind, "guard-model");
  EXPECT_EQ(c.calls, 1);
  EXPECT_EQ(c.fired, 1);
}

TEST_F(CascadeStageTest, BelowItsThresholdTheRequestIsServedAndTheScoreRecorded) {
  auto g = Make(Cascade(-1e9, score_ + 0.5));
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  StreamEvent e = Run(**g);
  EXPECT_EQ(e.kind, Kind::kDone) << e.error.ToString();
  EXPECT_EQ(store_->Records().value().back().action, "allow");
  Json entry = LastEntry();
  EXPECT_TRUE(entry["escalated"].get<bool>());
  EXPECT_FALSE(entry["fired"].get<bool>());
  EXPECT_FALSE(entry.contains("category"));
  EXPECT_EQ((*g)->Counters().back().passed, 1);
}

TEST_F(CascadeStageTest, ARequestTheCheapSafeguardsFindCalmIsNeverEscalated) {
  // An input probe far below its threshold: cheap risk about -1e6, under escalate_at 0. The guard
  // model would block everything it saw (threshold -1e9), but it sees nothing.
  ASSERT_TRUE(interp::WriteMonitorPack(testing::CoordinatePack(*model_, 0, interp::PositionRule::kLastPrompt, 1e6),
                                       dir_ + "/in.safetensors")
                  .ok());
  auto g = Make("input: [{name: harm, probe: in.safetensors}]\n" + Cascade(0, -1e9));
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ(Run(**g).kind, Kind::kDone);
  Json entry = LastEntry();
  EXPECT_FALSE(entry["escalated"].get<bool>());
  EXPECT_LT(entry["cheap_risk"].get<double>(), -1e5);
  EXPECT_FALSE(entry.contains("score"));
  EXPECT_EQ((*g)->Counters().back().calls, 0);

  // A probe that fires decides first: the guard model is not asked either.
  ASSERT_TRUE(interp::WriteMonitorPack(testing::CoordinatePack(*model_, 0, interp::PositionRule::kLastPrompt, -1e9),
                                       dir_ + "/fires.safetensors")
                  .ok());
  auto fires = Make("input: [{name: harm, probe: fires.safetensors}]\n" + Cascade(-1e9, -1e9));
  ASSERT_TRUE(fires.ok()) << fires.status().ToString();
  StreamEvent e = Run(**fires);
  EXPECT_EQ(e.kind, Kind::kBlocked);
  EXPECT_EQ(e.safeguard, "harm");
  EXPECT_EQ((*fires)->Counters().back().calls, 0);
}

TEST_F(CascadeStageTest, AnEscalationRateIsHeldOnlineWhateverTheTrafficsRisks) {
  // A probe whose margin differs from request to request; escalate_at 1e9 would escalate none,
  // so every escalation after the first 50 requests is the online threshold's.
  ASSERT_TRUE(interp::WriteMonitorPack(testing::CoordinatePack(*model_, 0, interp::PositionRule::kLastPrompt, 100),
                                       dir_ + "/in.safetensors")
                  .ok());
  auto g = Make("input: [{name: harm, probe: in.safetensors}]\n"
                "cascade: {model: unused, escalate_at: 1e9, threshold: 1e9, escalate_rate: 0.25, window: 50}");
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  const char* words[] = {"bake", "bread", "Sure", "here", "is", "how", "cannot", "help", "Mira", "Vell"};
  int escalated_early = 0, escalated = 0, after = 0;
  for (int i = 0; i < 200; ++i) {
    GuardRequest r;
    r.request_id = "chatcmpl-" + std::to_string(i);
    r.messages = {{"user", std::string(words[i % 10]) + " " + words[(i / 10) % 10] + " " + words[(i * 7) % 10] + "?"}};
    r.max_tokens = 1;
    std::shared_ptr<Stream> s = (*g)->Submit(r);
    for (StreamEvent e = s->Next(); !e.final(); e = s->Next()) {
    }
    const Json entry = LastEntry();
    ASSERT_TRUE(entry.is_object());
    EXPECT_EQ(entry["escalate_rate"].get<double>(), 0.25);
    (i < 50 ? escalated_early : escalated) += entry["escalated"].get<bool>() ? 1 : 0;
    after += i >= 50;
  }
  EXPECT_EQ(escalated_early, 0);  // escalate_at until 50 risks are seen
  const double share = static_cast<double>(escalated) / after;
  EXPECT_GT(share, 0.15) << escalated << " of " << after;
  EXPECT_LT(share, 0.35) << escalated << " of " << after;
  EXPECT_EQ((*g)->Counters().back().calls, escalated);
}

TEST_F(CascadeStageTest, AGuardModelOverItsBudgetFailsClosed) {
  auto g = Make(Cascade(-1e9, 1e9, ", budget_ms: 0.000001"));
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  StreamEvent e = Run(**g);
  EXPECT_EQ(e.kind, Kind::kBlocked);
  auto rec = store_->Records().value().back();
  EXPECT_EQ(rec.action, "error");
  EXPECT_EQ(rec.monitor, "guard-model");
  EXPECT_NE(LastEntry()["error"].get<std::string>().find("time budget"), std::string::npos);
  EXPECT_EQ((*g)->Counters().back().errors, 1);
}

TEST_F(CascadeStageTest, AGuardModelThatCannotBeLoadedIsAStartUpErrorNamingTheField) {
  auto sg = ParseSafeguards(Cascade(0, 0), dir_ + "/guard.yaml", dir_).value();
  EXPECT_EQ(sg.cascade.model, dir_ + "/unused");  // relative to the file
  auto g = Guard::Create(model_, "tiny", sg, store_.get());
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.status().message().find("cascade.model"), std::string::npos) << g.status().ToString();
}

TEST(CascadeSection, IsValidatedWithErrorsThatNameTheField) {
  auto bad = [](const std::string& yaml) {
    auto sg = ParseSafeguards(yaml, "g.yaml", "/d");
    EXPECT_FALSE(sg.ok()) << yaml;
    return sg.ok() ? std::string() : sg.status().message();
  };
  EXPECT_NE(bad("cascade: {escalate_at: 0, threshold: 1}").find("cascade.model: missing"), std::string::npos);
  EXPECT_NE(bad("cascade: {model: m, threshold: 1}").find("cascade.escalate_at: missing"), std::string::npos);
  EXPECT_NE(bad("cascade: {model: m, escalate_at: x, threshold: 1}").find("cascade.escalate_at: expected a finite number"),
            std::string::npos);
  EXPECT_NE(bad("cascade: {model: m, escalate_at: 0, threshold: 1, temperature: 2}").find("cascade.temperature: unknown field"),
            std::string::npos);
  EXPECT_NE(bad("input: [{name: g, regex: [x]}]\ncascade: {model: m, escalate_at: 0, threshold: 1, name: g}")
                .find("cascade.name: 'g' is an input safeguard's name already"),
            std::string::npos);
  EXPECT_NE(bad("cascade: [1]").find("cascade: expected a mapping"), std::string::npos);
  EXPECT_NE(bad("cascade: {model: m, escalate_at: 0, threshold: 1, escalate_rate: 0}").find("cascade.escalate_rate: must be above 0"),
            std::string::npos);
  EXPECT_NE(bad("cascade: {model: m, escalate_at: 0, threshold: 1, window: 100}").find("cascade.window: only an escalate_rate"),
            std::string::npos);
  EXPECT_NE(bad("cascade: {model: m, escalate_at: 0, threshold: 1, escalate_rate: 0.2, window: 10}").find("cascade.window: must be in"),
            std::string::npos);
  auto ok = ParseSafeguards("cascade: {model: /m, escalate_at: -0.5, threshold: 1.25, budget_ms: 40}\nusers: {safeguards: [guard-model]}", "g.yaml", "/d");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_TRUE(ok->cascade.enabled);
  EXPECT_EQ(ok->cascade.model, "/m");
  EXPECT_EQ(ok->cascade.escalate_at, -0.5);
  EXPECT_EQ(ok->cascade.threshold, 1.25);
  EXPECT_EQ(ok->cascade.budget_ms, 40);
}

}  // namespace
}  // namespace warden::guard
