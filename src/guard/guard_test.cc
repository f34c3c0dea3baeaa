#include "warden/guard/guard.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <thread>
#include <nlohmann/json.hpp>

#include "guard/test_model.h"
#include "warden/guard/replay.h"
#include "warden/guard/safeguard_eval.h"
#include "warden/interp/monitored_generation.h"
#include "warden/interp/text_monitor.h"

namespace warden::guard {
namespace {

using Kind = StreamEvent::Kind;

struct Outcome {
  std::vector<Kind> kinds;
  std::string text;
  StreamEvent last;
};

Outcome Drain(const std::shared_ptr<Stream>& s) {
  Outcome o;
  for (;;) {
    StreamEvent e = s->Next();
    o.kinds.push_back(e.kind);
    if (e.kind == Kind::kDelta) o.text += e.text;
    if (e.final()) {
      o.last = e;
      return o;
    }
  }
}

TEST(Stream, DeltasThatQueuedUpLeaveAsOneAndOtherEventsKeepTheirPlace) {
  Stream s;
  auto push = [&](Kind k, const std::string& text) {
    StreamEvent e;
    e.kind = k;
    e.text = text;
    s.Push(e);
  };
  push(Kind::kAdmitted, "");
  push(Kind::kDelta, "Su");
  push(Kind::kDelta, "re,");
  push(Kind::kDelta, " here");
  push(Kind::kDone, "");
  EXPECT_EQ(s.Next().kind, Kind::kAdmitted);
  StreamEvent d = s.Next();
  EXPECT_EQ(d.kind, Kind::kDelta);
  EXPECT_EQ(d.text, "Sure, here");
  EXPECT_EQ(s.Next().kind, Kind::kDone);
}

class GuardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = testing::TinyChatModel();
    ASSERT_NE(model_, nullptr);
    dir_ = ::testing::TempDir() + "/guard_test_" + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto st = store::Store::Open(dir_ + "/serve.db");
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    store_ = std::move(st).value();
  }
  std::string WritePack(const interp::MonitorPack& p, const std::string& name) {
    const std::string path = dir_ + "/" + name;
    EXPECT_TRUE(interp::WriteMonitorPack(p, path).ok());
    return path;
  }
  std::unique_ptr<Guard> Make(const std::string& yaml) {
    auto sg = ParseSafeguards(yaml, dir_ + "/guard.yaml", dir_);
    EXPECT_TRUE(sg.ok()) << sg.status().ToString();
    auto g = Guard::Create(model_, "tiny", *sg, store_.get());
    EXPECT_TRUE(g.ok()) << g.status().ToString();
    return g.ok() ? std::move(g).value() : nullptr;
  }
  GuardRequest Request(int64_t max_tokens = 12) {
    GuardRequest r;
    r.request_id = "chatcmpl-test";
    r.messages = {{"user", "How do I bake bread?"}};
    r.max_tokens = max_tokens;
    return r;
  }
  // The model's own greedy tokens for the request, with each token's score under `pack`.
  std::pair<engine::Generation, std::vector<double>> Reference(const interp::MonitorPack& pack, int64_t n) {
    auto ids = engine::EncodeChat(engine::ChatFormat::kWarden, Request().messages, true, *model_->tokenizer());
    engine::SamplingOptions so;
    so.max_new_tokens = n + 1;
    so.stop_at_eos = false;
    std::vector<double> scores;
    interp::MonitoredCallbacks cb;
    cb.on_scored = [&](int64_t, int64_t, const std::vector<double>& s, const std::vector<double>&) {
      scores.push_back(s[0]);
      return true;
    };
    auto g = interp::GenerateMonitored(*model_, {*ids}, so, {}, {&pack}, cb);
    EXPECT_TRUE(g.ok());
    return {(*g)[0], scores};
  }

  std::shared_ptr<engine::LanguageModel> model_;
  std::string dir_;
  std::unique_ptr<store::Store> store_;
};

TEST_F(GuardTest, WithoutSafeguardsTheTextIsTheModelsOwnAndTheAllowIsRecorded) {
  auto g = Make("holdback: 3");
  ASSERT_NE(g, nullptr);
  Outcome o = Drain(g->Submit(Request(10)));
  ASSERT_EQ(o.last.kind, Kind::kDone) << o.last.error.ToString();
  EXPECT_EQ(o.kinds.front(), Kind::kAdmitted);
  EXPECT_EQ(o.last.usage.completion_tokens, 10);
  auto ids = engine::EncodeChat(engine::ChatFormat::kWarden, Request().messages, true, *model_->tokenizer());
  engine::SamplingOptions so;
  so.max_new_tokens = 10;
  so.stop = {"<|end|>"};
  auto plain = model_->Generate({*ids}, so);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(o.text, (*plain)[0].text);
  EXPECT_EQ(o.last.finish_reason, (*plain)[0].finish_reason == "length" ? "length" : "stop");
  auto recs = *store_->Records();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].action, "allow");
  EXPECT_EQ(recs[0].response, o.text);
  EXPECT_EQ(recs[0].request_id, "chatcmpl-test");
  EXPECT_EQ(recs[0].model_sha256, g->model_sha256());
  EXPECT_NE(recs[0].prompt.find("How do I bake bread?"), std::string::npos);
}

TEST_F(GuardTest, AnInputProbeThatFiresBlocksBeforeAnyTextAndRecordsItsScore) {
  WritePack(testing::CoordinatePack(*model_, 0, interp::PositionRule::kLastPrompt, -1e9), "in.safetensors");
  auto g = Make("input: [{name: harm, probe: in.safetensors}]");
  ASSERT_NE(g, nullptr);
  Outcome o = Drain(g->Submit(Request()));
  EXPECT_EQ(o.last.kind, Kind::kBlocked);
  EXPECT_EQ(o.last.safeguard, "harm");
  EXPECT_TRUE(o.text.empty());
  auto recs = *store_->Records();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].action, "block");
  EXPECT_EQ(recs[0].stage, "input");
  auto scores = nlohmann::json::parse(recs[0].scores_json);
  EXPECT_TRUE(scores["input"]["harm"]["fired"].get<bool>());
  auto c = g->Counters();
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].fired, 1);
}

TEST_F(GuardTest, AnInputRegexBlocksWithoutRunningTheModel) {
  auto g = Make("input: [{name: deny, regex: [\"(?i)BAKE\"]}]");
  ASSERT_NE(g, nullptr);
  Outcome o = Drain(g->Submit(Request()));
  EXPECT_EQ(o.kinds, std::vector<Kind>{Kind::kBlocked});
  EXPECT_EQ((*store_->Records())[0].monitor, "deny");
}

TEST_F(GuardTest, AnOutputProbeCutsAtTheFiringTokenAndWithholdsWhatWasHeldBack) {
  interp::MonitorPack pack = testing::CoordinatePack(*model_, 3, interp::PositionRule::kLast, 0);
  auto [gen, scores] = Reference(pack, 16);
  ASSERT_GE(scores.size(), 16u);
  // The first token from 5 on whose score is a new maximum: a threshold just below it fires there.
  int64_t fire = -1;
  double before = -std::numeric_limits<double>::infinity();
  for (size_t k = 0; k < 16; ++k) {
    if (k >= 5 && scores[k] > before) {
      fire = static_cast<int64_t>(k);
      break;
    }
    before = std::max(before, scores[k]);
  }
  ASSERT_GE(fire, 5) << "this random model has no rising score to cut at";
  pack.threshold = (before + scores[fire]) / 2;
  WritePack(pack, "out.safetensors");
  auto g = Make("holdback: 2\noutput: [{name: harm-out, probe: out.safetensors}]\nlimits: {max_tokens: 16}\n"
                "audit: {risk_threshold: 0, sample: [{min_risk: -1e9, rate: 0}], seed: 1}");
  ASSERT_NE(g, nullptr);
  GuardRequest req = Request(16);
  Outcome o = Drain(g->Submit(req));
  ASSERT_EQ(o.last.kind, Kind::kDone) << o.last.error.ToString();
  EXPECT_EQ(o.last.finish_reason, "content_filter");
  EXPECT_EQ(o.last.safeguard, "harm-out");
  auto recs = *store_->Records();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].action, "cut");
  EXPECT_EQ(recs[0].cut_token, fire);
  EXPECT_LE(recs[0].released_tokens, fire - 2) << "held-back tokens must not leave";
  EXPECT_EQ(recs[0].response, o.text);
  const std::string full = model_->tokenizer()->Decode(gen.tokens);
  EXPECT_EQ(full.rfind(o.text, 0), 0u) << "what left is a prefix of the model's text";
  // The record keeps every scored token's score (the reviewer sees them on the text) and the
  // released tokens' texts only; the cut put it in the audit queue at its margin.
  auto rs = nlohmann::json::parse(recs[0].scores_json);
  const auto& per_token = rs["output"]["harm-out"]["per_token"];
  ASSERT_EQ(per_token.size(), static_cast<size_t>(fire + 1));
  for (int64_t k = 0; k <= fire; ++k) EXPECT_NEAR(per_token[k].get<double>(), scores[k], 1e-3) << k;
  ASSERT_EQ(rs["tokens"].size(), static_cast<size_t>(recs[0].released_tokens));
  std::string joined;
  for (const auto& t : rs["tokens"]) joined += t.get<std::string>();
  EXPECT_EQ(joined, o.text);
  auto queue = store_->Queue().value();
  ASSERT_EQ(queue.size(), 1u);
  EXPECT_EQ(queue[0].seq, recs[0].seq);
  EXPECT_EQ(queue[0].reason, "risk");
  EXPECT_NEAR(queue[0].priority, scores[fire] - pack.threshold, 1e-3);
}

TEST_F(GuardTest, ASafeguardThatErrsOrRunsOverBudgetFailsClosed) {
  interp::MonitorPack nan_pack = testing::CoordinatePack(*model_, 0, interp::PositionRule::kLastPrompt, 0);
  nan_pack.probe.weight[1] = std::numeric_limits<float>::quiet_NaN();
  WritePack(nan_pack, "nan.safetensors");
  {
    auto g = Make("input: [{name: broken, probe: nan.safetensors}]");
    ASSERT_NE(g, nullptr);
    Outcome o = Drain(g->Submit(Request()));
    EXPECT_EQ(o.last.kind, Kind::kBlocked);
    EXPECT_EQ(g->Counters()[0].errors, 1);
  }
  WritePack(testing::CoordinatePack(*model_, 0, interp::PositionRule::kLast, 1e9), "slow.safetensors");
  {
    auto g = Make("output: [{name: slow, probe: slow.safetensors, budget_ms: 0.000001}]");
    ASSERT_NE(g, nullptr);
    Outcome o = Drain(g->Submit(Request()));
    EXPECT_EQ(o.last.finish_reason, "content_filter");
    EXPECT_TRUE(o.text.empty());
  }
  auto recs = *store_->Records();
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].action, "error");
  EXPECT_EQ(recs[1].action, "error");
  EXPECT_EQ(recs[1].cut_token, 0);
}

TEST_F(GuardTest, APackForAnotherModelIsRefusedAtStartUpNamingTheField) {
  interp::MonitorPack p = testing::CoordinatePack(*model_, 0, interp::PositionRule::kLastPrompt, 0);
  p.model_sha256 = std::string(64, 'f');
  WritePack(p, "other.safetensors");
  auto sg = ParseSafeguards("input: [{name: harm, probe: other.safetensors}]", dir_ + "/guard.yaml", dir_);
  ASSERT_TRUE(sg.ok());
  auto g = Guard::Create(model_, "tiny", *sg, store_.get());
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.status().message().find("input[0].probe"), std::string::npos) << g.status().message();
}

TEST_F(GuardTest, ConcurrentRequestsEachGetTheirOwnRecordAndTheChainHolds) {
  auto g = Make("holdback: 1\nlimits: {max_batch: 4}");
  ASSERT_NE(g, nullptr);
  std::vector<std::shared_ptr<Stream>> streams;
  for (int i = 0; i < 6; ++i) {
    GuardRequest r = Request(4 + i);
    r.request_id = "req-" + std::to_string(i);
    streams.push_back(g->Submit(r));
  }
  for (int i = 0; i < 6; ++i) {
    Outcome o = Drain(streams[i]);
    ASSERT_EQ(o.last.kind, Kind::kDone);
    EXPECT_LE(o.last.usage.completion_tokens, 4 + i);
  }
  EXPECT_EQ(*store_->Count(), 6);
  EXPECT_EQ(store_->Verify()->first_bad, 0);
}

// Continuous batching: a short request submitted while a long one decodes joins the running
// batch at the next step and ends (record committed) before the long one does. With batches
// that run to their longest row, it would wait for the long one. The long request's first
// delta shows it is decoding; should it finish before the short one is even submitted (a
// scheduling delay of the test thread), the trial is repeated.
TEST_F(GuardTest, ARequestJoinsTheRunningBatchAtTheNextStepAndLeavesWhenDone) {
  auto g = Make("holdback: 0\nlimits: {max_batch: 4}");
  ASSERT_NE(g, nullptr);
  bool joined = false;
  for (int trial = 0; trial < 5 && !joined; ++trial) {
    GuardRequest longer = Request(40), shorter = Request(2);
    longer.request_id = "long-" + std::to_string(trial), shorter.request_id = "short-" + std::to_string(trial);
    std::shared_ptr<Stream> a = g->Submit(longer);
    StreamEvent e = a->Next();
    while (e.kind == Kind::kAdmitted) e = a->Next();
    ASSERT_EQ(e.kind, Kind::kDelta) << e.error.ToString();
    Outcome b = Drain(g->Submit(shorter));
    Outcome rest = Drain(a);
    ASSERT_EQ(b.last.kind, Kind::kDone) << b.last.error.ToString();
    ASSERT_EQ(rest.last.kind, Kind::kDone) << rest.last.error.ToString();
    auto recs = *store_->Records();
    ASSERT_EQ(recs.size(), 3u * trial + 2);
    joined = recs[recs.size() - 2].request_id == shorter.request_id;
    EXPECT_EQ(recs.back().request_id, joined ? longer.request_id : shorter.request_id);
    // Decoded in a shared batch, the long answer is still the model's own (as decoded alone).
    EXPECT_EQ(e.text + rest.text, Drain(g->Submit(Request(40))).text);
  }
  EXPECT_TRUE(joined) << "in 5 trials the short request never ended before the long one";
}

}  // namespace
}  // namespace warden::guard

namespace warden::guard {
namespace {

TEST_F(GuardTest, ReplayUnderStricterSafeguardsListsTheDecisionsThatChange) {
  {
    auto g = Make("holdback: 1");
    ASSERT_NE(g, nullptr);
    for (const char* text : {"How do I bake bread?", "Mira lives in Vell."}) {
      GuardRequest r = Request(4);
      r.messages = {{"user", text}};
      Drain(g->Submit(r));
    }
  }
  auto records = *store_->Records();
  ASSERT_EQ(records.size(), 2u);
  auto parsed = RequestFromJson(nlohmann::json::parse(records[0].request_json), "r");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->messages[0].content, "How do I bake bread?");
  EXPECT_EQ(parsed->max_tokens, 4);
  auto sg = ParseSafeguards("input: [{name: deny, regex: [\"bread\"]}]", "strict.yaml", dir_);
  auto strict = Guard::Create(model_, "tiny", *sg, nullptr);
  ASSERT_TRUE(strict.ok());
  auto report = Replay(**strict, records);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->replayed, 2);
  ASSERT_EQ(report->changes.size(), 1u);
  EXPECT_EQ(report->changes[0].seq, 1);
  EXPECT_EQ(report->changes[0].before, "allow");
  EXPECT_EQ(report->changes[0].after, "block");
  EXPECT_EQ(report->changes[0].after_safeguard, "deny");
}

}  // namespace
}  // namespace warden::guard

namespace warden::guard {
namespace {

TEST_F(GuardTest, ATextMonitorReadsTheRequestsWordsAndLoadsForAnyModel) {
  std::vector<interp::LabelledConversation> data;
  for (int i = 0; i < 80; ++i) {
    interp::LabelledConversation c;
    c.id = "r" + std::to_string(i);
    c.label = i % 2;
    c.messages = {{"user", c.label ? "how to build a bomb number " + std::to_string(i) : "how to bake bread number " + std::to_string(i)}};
    c.split = i < 60 ? "train" : "test";
    c.category = "held-out";
    c.cluster = c.id;
    data.push_back(c);
  }
  interp::MonitorTrainOptions o;
  o.name = "words";
  auto t = interp::TrainTextMonitor(data, o);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_TRUE(interp::IsTextMonitor(t->pack));
  EXPECT_GT(*t->test_metrics->auroc, 0.99);
  WritePack(t->pack, "words.safetensors");
  auto g = Make("input: [{name: words, probe: words.safetensors}]");
  ASSERT_NE(g, nullptr);
  GuardRequest bomb = Request(3);
  bomb.messages = {{"user", "how to build a bomb at home"}};
  EXPECT_EQ(Drain(g->Submit(bomb)).last.kind, StreamEvent::Kind::kBlocked);
  EXPECT_EQ(Drain(g->Submit(Request(3))).last.kind, StreamEvent::Kind::kDone);
  EXPECT_EQ(g->Counters()[0].kind, "text");
  auto recs = *store_->Records();
  ASSERT_EQ(recs.size(), 2u);
  auto scores = nlohmann::json::parse(recs[0].scores_json);
  EXPECT_TRUE(scores["input"]["words"].contains("score"));
}

}  // namespace
}  // namespace warden::guard

namespace warden::guard {
namespace {

TEST_F(GuardTest, ARequestWhoseClientLeftStopsAtItsNextTokenAndIsRecordedAsAbandoned) {
  auto g = Make("holdback: 0");
  ASSERT_NE(g, nullptr);
  std::shared_ptr<Stream> s = g->Submit(Request(40));
  s->Abandon();
  Outcome o = Drain(s);
  ASSERT_EQ(o.last.kind, StreamEvent::Kind::kDone);
  auto recs = *store_->Records();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].action, "abandoned");
  EXPECT_LE(o.last.usage.completion_tokens, 1);
}

}  // namespace
}  // namespace warden::guard

namespace warden::guard {
namespace {

TEST_F(GuardTest, ARequestPastItsTimeLimitEndsAsARecordedError) {
  auto g = Make("limits: {request_seconds: 0.001, max_batch: 1}");
  ASSERT_NE(g, nullptr);
  // The last request queues behind fifty others (a batch of one). Each of them runs at least its
  // prefill, and one that does not end by itself runs out its own millisecond, so the last
  // one's clock has run out before its first token, whatever the machine's speed. (A single
  // request ahead was not enough once the engine got fast: it can end at its first tokens
  // within a millisecond.)
  std::vector<std::shared_ptr<Stream>> ahead;
  for (int i = 0; i < 50; ++i) ahead.push_back(g->Submit(Request(40)));
  GuardRequest second_request = Request(20);
  second_request.request_id = "second";
  std::shared_ptr<Stream> second = g->Submit(second_request);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  for (const auto& s : ahead) Drain(s);
  Outcome o = Drain(second);
  ASSERT_EQ(o.last.kind, StreamEvent::Kind::kError);
  EXPECT_EQ(o.last.error.code(), StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(o.text.empty());
  auto recs = *store_->Records();
  ASSERT_EQ(recs.size(), 51u);
  const auto r = std::find_if(recs.begin(), recs.end(), [](const store::DecisionRecord& x) { return x.request_id == "second"; });
  ASSERT_NE(r, recs.end());
  EXPECT_EQ(r->action, "error");
  EXPECT_EQ(r->stage, "timeout");
}

}  // namespace
}  // namespace warden::guard

namespace warden::guard {
namespace {

TEST_F(GuardTest, AFullQueueRefusesNewRequestsInsteadOfGrowing) {
  auto g = Make("limits: {max_queue: 1, max_batch: 1}");
  ASSERT_NE(g, nullptr);
  std::vector<std::shared_ptr<Stream>> streams;
  for (int i = 0; i < 6; ++i) streams.push_back(g->Submit(Request(30)));
  int refused = 0, done = 0;
  for (auto& s : streams) {
    Outcome o = Drain(s);
    if (o.last.kind == StreamEvent::Kind::kError) {
      EXPECT_EQ(o.last.error.code(), StatusCode::kResourceExhausted);
      ++refused;
    } else {
      ++done;
    }
  }
  EXPECT_GE(refused, 1);  // six at once cannot all fit one running and one waiting
  EXPECT_GE(done, 1);
  EXPECT_EQ(*store_->Count(), done);
}

}  // namespace
}  // namespace warden::guard

namespace warden::guard {
namespace {

// Found on the tiny zoo: serve eval and replay submitted everything at once and ran into
// limits.max_queue. They now go in waves that fit it.
TEST_F(GuardTest, EvaluationAndReplayFitTheQueueLimit) {
  auto g = Make("limits: {max_queue: 2, max_batch: 2}");
  ASSERT_NE(g, nullptr);
  auto bare = Make("limits: {max_queue: 2, max_batch: 2}");
  evals::Dataset d;
  d.path = "five.jsonl";
  for (int i = 0; i < 5; ++i) d.samples.push_back({"s" + std::to_string(i), "How do I bake bread?", "", {}, "", "", 0});
  SafeguardEvalOptions o;
  o.max_tokens = 3;
  auto r = EvaluateSafeguards(*g, *bare, d, false, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->n, 5u);
  EXPECT_EQ(r->errors, 0u);
  auto records = *store_->Records();
  ASSERT_EQ(records.size(), 10u);  // both guards record into the test's store
  auto report = Replay(*g, records);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->replayed, 10);
}

}  // namespace
}  // namespace warden::guard
