// Probes, metrics and monitor packs on synthetic data with a known answer; activation
// capture on a real model (stories260K) against a plain forward.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "engine/torch_pch.h"
#include "testing/shared_files.h"
#include "warden/base/file.h"
#include "warden/base/rng.h"
#include "warden/engine/torch/hooks.h"
#include "warden/engine/torch/model.h"
#include "warden/interp/monitor_pack.h"
#include "warden/interp/monitor_training.h"
#include "warden/interp/probe.h"
#include "warden/interp/shards.h"

namespace warden::interp {
namespace {

// Two Gaussian classes in `d` dimensions, separated by `gap` along the first axis.
void Blobs(int n, int d, double gap, uint64_t seed, Matrix* x, std::vector<int>* y) {
  Rng rng(seed);
  x->rows = n;
  x->cols = d;
  x->data.clear();
  y->clear();
  for (int i = 0; i < n; ++i) {
    const int label = i % 2;
    for (int j = 0; j < d; ++j) {
      // Box-Muller from two uniforms.
      const double u1 = (static_cast<double>(rng.Next() >> 11) + 1) / 9007199254740993.0;
      const double u2 = static_cast<double>(rng.Next() >> 11) / 9007199254740992.0;
      double v = std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * u2);
      if (j == 0) v += label ? gap / 2 : -gap / 2;
      x->data.push_back(static_cast<float>(v));
    }
    y->push_back(label);
  }
}

TEST(Metrics, AurocThresholdAndRates) {
  EXPECT_DOUBLE_EQ(Auroc({0.1, 0.4, 0.35, 0.8}, {0, 0, 1, 1}).value(), 0.75);  // the classic example
  EXPECT_DOUBLE_EQ(Auroc({1, 1, 1, 1}, {0, 1, 0, 1}).value(), 0.5);             // ties count half
  EXPECT_FALSE(Auroc({1, 2}, {1, 1}).ok());                                    // one class
  const std::vector<double> s = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  const std::vector<int> y = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1};
  Threshold t = ThresholdAtFpr(s, y, 0.1).value();  // one of ten negatives may fire
  EXPECT_DOUBLE_EQ(t.value, 8);
  EXPECT_DOUBLE_EQ(t.fpr, 0.1);
  EXPECT_DOUBLE_EQ(RecallAbove(s, y, t.value), 1.0);
  EXPECT_DOUBLE_EQ(ThresholdAtFpr(s, y, 0).value().fpr, 0.0);
  EXPECT_FALSE(ThresholdAtFpr({1, 2}, {1, 1}, 0.1).ok());
  EXPECT_NEAR(CalibrationError({10, -10}, {1, 0}), 0, 1e-4);
}

TEST(Probe, SeparatesBlobsAndRefusesDegenerateData) {
  Matrix train, test;
  std::vector<int> ytr, yte;
  Blobs(400, 16, 3.0, 1, &train, &ytr);
  Blobs(400, 16, 3.0, 2, &test, &yte);
  for (ProbeKind kind : {ProbeKind::kLogistic, ProbeKind::kDiffMeans}) {
    ProbeOptions o;
    o.kind = kind;
    Probe p = TrainProbe(train, ytr, o).value();
    const double auc = Auroc(p.Score(test), yte).value();
    EXPECT_GT(auc, 0.95) << ProbeKindName(kind);  // the Bayes-optimal AUROC here is about 0.98
    // Its direction is the first axis.
    double first = std::abs(p.weight[0]), rest = 0;
    for (size_t j = 1; j < p.weight.size(); ++j) rest = std::max(rest, static_cast<double>(std::abs(p.weight[j])));
    EXPECT_GT(first, 3 * rest) << ProbeKindName(kind);
  }
  std::vector<int> one_class(ytr.size(), 1);
  auto bad = TrainProbe(train, one_class);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("only one class"), std::string::npos);
  EXPECT_FALSE(TrainProbe(train, std::vector<int>(3, 0)).ok());  // shape mismatch
  std::vector<int> weird = ytr;
  weird[0] = 2;
  EXPECT_FALSE(TrainProbe(train, weird).ok());
}

TEST(MonitorTraining, PicksTheInformativeHookAndCalibratesOnValidationOnly) {
  Matrix noise, signal;
  std::vector<int> y, y2;
  Blobs(600, 4, 0.0, 1, &noise, &y);
  Blobs(600, 4, 4.0, 2, &signal, &y2);  // same labels (i % 2)
  ActivationSet set;
  set.model_sha256 = std::string(64, 'b');
  set.rule = PositionRule::kLastPrompt;
  set.hooks = {{"blocks.0.hook_resid_post", noise}, {"blocks.1.hook_resid_post", signal}};
  for (int i = 0; i < 600; ++i) {
    set.items.push_back({"r" + std::to_string(i), {}, y[static_cast<size_t>(i)], i < 400 ? "train" : "test",
                         i % 3 ? "a" : "b", "c" + std::to_string(i / 2)});
  }
  MonitorTrainOptions o;
  o.name = "synthetic";
  MonitorTraining t = TrainMonitor(set, o).value();
  EXPECT_EQ(t.pack.hook, "blocks.1.hook_resid_post");
  EXPECT_EQ(t.fit.size() + t.validation.size(), 400u);
  EXPECT_EQ(t.test.size(), 200u);
  EXPECT_LE(t.pack.calibration_fpr, 0.01);
  EXPECT_EQ(t.pack.trained_on.size(), 400u);  // fit and validation ids, never the test rows
  for (const std::string& id : t.pack.trained_on) EXPECT_LT(std::stoi(id.substr(1)), 400);
  ASSERT_TRUE(t.test_metrics.has_value());
  ASSERT_TRUE(t.test_metrics->auroc.has_value());
  EXPECT_GT(*t.test_metrics->auroc, 0.95);
  EXPECT_GT(t.test_metrics->recall, 0.5);
  EXPECT_EQ(t.test_by_category.size(), 2u);
  for (auto& item : set.items) item.split = "test";
  EXPECT_FALSE(TrainMonitor(set, o).ok());  // nothing to fit on
}

// The baseline reads the words of the same rows: where one word separates the classes it scores
// perfectly, in every category; where the words are shared by both classes it is at chance.
TEST(MonitorTraining, BagOfWordsBaselineReadsTheSameRowsWords) {
  Matrix signal;
  std::vector<int> y;
  Blobs(400, 4, 4.0, 3, &signal, &y);
  ActivationSet set;
  set.rule = PositionRule::kLastPrompt;
  set.hooks = {{"blocks.0.hook_resid_post", signal}};
  std::vector<LabelledConversation> telling, shared;
  for (int i = 0; i < 400; ++i) {
    const int label = y[static_cast<size_t>(i)];
    LabelledConversation c{"r" + std::to_string(i), {}, label, i < 300 ? "train" : "test", i % 3 ? "a" : "b",
                           "c" + std::to_string(i)};
    set.items.push_back(c);
    c.messages = {{"system", "ignored"}, {"user", std::string(label ? "explain bombs " : "explain gardens ") + std::to_string(i)}};
    telling.push_back(c);
    c.messages = {{"user", "explain things " + std::to_string(i % 7)}};
    shared.push_back(c);
  }
  const MonitorTraining t = TrainMonitor(set, {}).value();
  const BaselineMetrics words = BagOfWordsBaseline(set, telling, t, 0.01).value();
  ASSERT_TRUE(words.test.has_value() && words.test->auroc.has_value());
  EXPECT_GT(*words.test->auroc, 0.99);
  ASSERT_EQ(words.test_by_category.size(), 2u);
  for (const auto& [category, m] : words.test_by_category) EXPECT_GT(m.recall, 0.9) << category;
  const BaselineMetrics none = BagOfWordsBaseline(set, shared, t, 0.01).value();
  EXPECT_LT(*none.test->auroc, 0.75);
  auto mismatch = BagOfWordsBaseline(set, std::vector<LabelledConversation>(telling.begin(), telling.begin() + 10), t, 0.01);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_NE(mismatch.status().message().find("10 conversations for 400 activation rows"), std::string::npos);
  EXPECT_EQ(RequestText(telling[1]), telling[1].messages[1].content);
}

TEST(MonitorPack, RoundTripsAndRefusesAnotherModel) {
  Matrix x;
  std::vector<int> y;
  Blobs(100, 4, 3.0, 4, &x, &y);
  MonitorPack pack;
  pack.name = "test";
  pack.probe = TrainProbe(x, y).value();
  pack.hook = "blocks.1.hook_resid_post";
  pack.threshold = 0.25;
  pack.target_fpr = 0.01;
  pack.model_sha256 = std::string(64, 'a');
  pack.trained_on = {"s1", "s2"};
  const std::string path = (std::filesystem::temp_directory_path() / "warden-pack-test.safetensors").string();
  ASSERT_TRUE(WriteMonitorPack(pack, path).ok());
  MonitorPack back = ReadMonitorPack(path, std::string(64, 'a')).value();
  EXPECT_EQ(back.hook, pack.hook);
  EXPECT_EQ(back.probe.Score(x), pack.probe.Score(x));
  EXPECT_EQ(OverlapWithPack(back, {"s2", "s3"}), std::vector<std::string>{"s2"});
  auto other = ReadMonitorPack(path, std::string(64, 'b'));
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.status().message().find("not on this one"), std::string::npos);
  // A safetensors file that is not a pack, and a truncated one.
  ASSERT_TRUE(WriteFileAtomic(path, ReadFileToString(path).value().substr(0, 40)).ok());
  EXPECT_FALSE(ReadMonitorPack(path, "").ok());
  std::filesystem::remove(path);
}

TEST(Activations, CaptureMatchesAPlainForward) {
  const std::string shared = WARDEN_SHARED_DIR;
  WARDEN_NEED_SHARED(shared + "/models/stories260K/stories260K.bin", shared + "/models/stories260K/tok512.bin");
  auto lm = engine::LanguageModel::Load({shared + "/models/stories260K/stories260K.bin",
                                         shared + "/models/stories260K/tok512.bin"})
                .value();
  std::vector<LabelledConversation> data = {
      {"a", {{"user", "Once upon a time"}, {"assistant", "there was a cat."}}, 1, "train", "", "a"},
      {"b", {{"user", "The dog"}, {"assistant", "ran home fast to eat."}}, 0, "train", "", "b"}};
  CaptureOptions o;
  o.chat_format = "none";
  for (PositionRule rule : {PositionRule::kResponseMean, PositionRule::kLast, PositionRule::kLastPrompt}) {
    ActivationSet set = CaptureActivations(*lm, data, "blocks.1.hook_resid_post,blocks.3.hook_resid_post", rule, o).value();
    ASSERT_EQ(set.hooks.size(), 2u);
    EXPECT_EQ(set.hooks[0].values.rows, 2);
    EXPECT_EQ(set.hooks[0].values.cols, 64);
    // Row "b" alone, unbatched, by hand.
    const engine::Tokenizer& tok = *lm->tokenizer();
    std::vector<int32_t> head = tok.Encode("The dog\n", {});
    engine::EncodeOptions nb;
    nb.add_bos = false;
    std::vector<int32_t> ans = tok.Encode("ran home fast to eat.", nb), ids = head;
    ids.insert(ids.end(), ans.begin(), ans.end());
    engine::Hooks hooks(lm->model().hook_points());
    engine::ActivationCache cache;
    ASSERT_TRUE(hooks.Capture("blocks.3.hook_resid_post", &cache).ok());
    {
      c10::InferenceMode guard;
      lm->model().Forward(engine::ForwardBatch::LeftPadded({ids}), nullptr, &hooks);
    }
    torch::Tensor act = cache.Stacked("blocks.3.hook_resid_post").value()[0];
    torch::Tensor want = rule == PositionRule::kResponseMean
                             ? act.narrow(0, static_cast<int64_t>(head.size()), static_cast<int64_t>(ans.size())).mean(0)
                         : rule == PositionRule::kLast ? act[static_cast<int64_t>(ids.size()) - 1]
                                                       : act[static_cast<int64_t>(head.size()) - 1];
    const float* got = set.hooks[1].values.Row(1);
    for (int64_t j = 0; j < 64; ++j) EXPECT_NEAR(got[j], want[j].item<float>(), 1e-4) << PositionRuleName(rule) << " " << j;
  }
  // Shards round-trip.
  ActivationSet set = CaptureActivations(*lm, data, "blocks.0.hook_resid_post", PositionRule::kLast, o).value();
  const std::string dir = (std::filesystem::temp_directory_path() / "warden-acts-test").string();
  ASSERT_TRUE(WriteActivationShards(set, dir, 1).ok());
  ActivationSet back = ReadActivationShards(dir).value();
  EXPECT_EQ(back.items.size(), 2u);
  EXPECT_EQ(back.items[1].id, "b");
  EXPECT_EQ(back.hooks[0].values.data, set.hooks[0].values.data);
  std::filesystem::remove_all(dir);
  // Unknown hooks and hooks of the wrong shape are errors.
  EXPECT_FALSE(CaptureActivations(*lm, data, "blocks.0.hook_nope", PositionRule::kLast, o).ok());
  EXPECT_FALSE(CaptureActivations(*lm, data, "blocks.0.attn.hook_pattern", PositionRule::kLast, o).ok());
}

}  // namespace
}  // namespace warden::interp

#include "warden/interp/sae.h"
#include "warden/interp/steering.h"

namespace warden::interp {
namespace {

TEST(Steering, ControlVectorRoundTripsAsGguf) {
  SteeringVector v;
  v.model_hint = "zoo/honest";
  v.directions[1] = {1.5f, -2.0f, 0.25f};
  v.directions[3] = {0.0f, 1.0f, 2.0f};
  v.trained_on = {"x1", "x2"};
  const std::string path = (std::filesystem::temp_directory_path() / "warden-cvec-test.gguf").string();
  ASSERT_TRUE(WriteControlVector(v, path).ok());
  SteeringVector back = ReadControlVector(path).value();
  EXPECT_EQ(back.model_hint, "zoo/honest");
  EXPECT_EQ(back.directions, v.directions);
  EXPECT_EQ(back.trained_on, v.trained_on);
  // A truncated file is an error naming it, not a crash.
  ASSERT_TRUE(WriteFileAtomic(path, ReadFileToString(path).value().substr(0, 60)).ok());
  auto bad = ReadControlVector(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("warden-cvec-test.gguf"), std::string::npos) << bad.status().message();
  std::filesystem::remove(path);
  // Difference of means needs both classes.
  ActivationSet set;
  set.hooks.push_back({"blocks.0.hook_resid_post", Matrix{2, 2, {1, 2, 3, 4}}});
  set.items = {{"a", {}, 1, "", "", "a"}, {"b", {}, 0, "", "", "b"}};
  SteeringVector d = DiffOfMeansVector(set, {0, 1}).value();
  EXPECT_EQ(d.directions.at(0), (std::vector<float>{-2, -2}));
  EXPECT_FALSE(DiffOfMeansVector(set, {0}).ok());
}

TEST(Sae, LearnsSparseDataAndRoundTripsInSaeLensLayout) {
  // Data made of 3 active atoms out of 32 in 16 dimensions: a k=4 SAE should explain it.
  Rng rng(5);
  std::vector<std::vector<float>> atoms(32, std::vector<float>(16));
  for (auto& a : atoms)
    for (auto& x : a) x = static_cast<float>(static_cast<double>(rng.Next() % 2000) / 1000 - 1);
  Matrix data{2000, 16, {}};
  for (int i = 0; i < 2000; ++i) {
    std::vector<float> row(16, 0);
    for (int k = 0; k < 3; ++k) {
      const auto& a = atoms[rng.Next() % 32];
      const float c = 1 + static_cast<float>(rng.Next() % 100) / 100;
      for (int j = 0; j < 16; ++j) row[static_cast<size_t>(j)] += c * a[static_cast<size_t>(j)];
    }
    data.data.insert(data.data.end(), row.begin(), row.end());
  }
  SaeTrainOptions o;
  o.d_sae = 64;
  o.k = 4;
  o.steps = 1500;
  o.batch = 256;
  o.lr = 3e-3;
  Sae sae = TrainSae(data, "blocks.0.hook_resid_post", o).value();
  sae.trained_on = {"row-1"};
  const SaeMetrics m = EvaluateSae(sae, data);
  EXPECT_GT(m.explained_variance, 0.8);
  EXPECT_LE(m.l0, 4.0 + 1e-9);
  const std::string dir = (std::filesystem::temp_directory_path() / "warden-sae-test").string();
  ASSERT_TRUE(SaveSaeLens(sae, dir).ok());
  Sae back = LoadSaeLens(dir).value();
  EXPECT_EQ(back.k, 4);
  EXPECT_EQ(back.hook, sae.hook);
  EXPECT_EQ(back.trained_on, sae.trained_on);
  EXPECT_EQ(back.Reconstruct(data).data, sae.Reconstruct(data).data);
  ASSERT_TRUE(WriteFileAtomic(dir + "/cfg.json", "{\"d_in\": 16, \"d_sae\": 64, \"hook_name\": \"h\", \"activation_fn_str\": \"relu\"}").ok());
  EXPECT_EQ(LoadSaeLens(dir).status().code(), StatusCode::kUnsupported);
  std::filesystem::remove_all(dir);
  EXPECT_FALSE(TrainSae(Matrix{1, 4, {1, 2, 3, 4}}, "h", o).ok());
}

}  // namespace
}  // namespace warden::interp
