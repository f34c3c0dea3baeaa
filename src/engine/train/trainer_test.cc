// Training: loss falls, the loss mask is respected, resume and seeds reproduce runs exactly,
// FLOPs follow the documented formula, and bad input is an error naming what is wrong.
#include "engine/torch_pch.h"

#include "engine/test_util.h"
#include "engine/transformer.h"
#include "testing/shared_files.h"
#include "warden/base/file.h"
#include "warden/engine/torch/model.h"
#include "warden/engine/train.h"

namespace warden::engine {
namespace {

using ::warden::test::SharedPath;
using testing::TempDir;
using testing::TinyConfig;

// A few fixed sequences over TinyConfig's 61-token vocabulary.
std::vector<TrainExample> Sequences(int n, int len, int salt = 0) {
  std::vector<TrainExample> out;
  for (int i = 0; i < n; ++i) {
    TrainExample ex;
    for (int t = 0; t < len; ++t) ex.tokens.push_back((7 * i + 3 * t * t + salt + 1) % 61);
    out.push_back(ex);
  }
  return out;
}

TrainOptions Quick(int64_t steps) {
  TrainOptions o;
  o.steps = steps;
  o.batch_size = 4;
  o.seq_len = 16;
  o.lr = 1e-2;
  o.min_lr = 1e-3;
  o.warmup_steps = 3;
  o.threads = 1;
  o.seed = 5;
  return o;
}

class PerArch : public ::testing::TestWithParam<Arch> {};

TEST_P(PerArch, LossFallsWhenMemorisingAFewSequences) {
  std::vector<double> eval_losses;
  auto r = TrainFromScratch(TinyConfig(GetParam()), Sequences(4, 12), Sequences(4, 12), Quick(60),
                            [&](const TrainProgress& p) { if (p.eval_loss >= 0) eval_losses.push_back(p.eval_loss); })
               .ValueOrThrow();
  ASSERT_EQ(r.losses.size(), 60u);
  EXPECT_GT(r.losses.front(), 3.5);  // ~log(61) at initialisation
  EXPECT_LT(r.losses.back(), 0.3 * r.losses.front());
  ASSERT_EQ(eval_losses.size(), 1u);  // eval_every 0: after the last step only
  EXPECT_LT(eval_losses[0], 0.3 * r.losses.front());
  EXPECT_EQ(r.state.step, 60);
}

INSTANTIATE_TEST_SUITE_P(Train, PerArch, ::testing::Values(Arch::kLlama, Arch::kQwen2, Arch::kGpt2),
                         [](const auto& info) { return std::string(ArchName(info.param)); });

TEST(LossMask, MaskedTokensAfterTheTargetsChangeNothing) {
  // Tokens 8.. are masked and come after every target, so (causally) they can affect nothing:
  // two data sets differing only there must train identically. Ignoring the mask would make
  // them targets and change the losses.
  auto a = Sequences(4, 12), b = Sequences(4, 12);
  for (size_t i = 0; i < a.size(); ++i) {
    a[i].loss_mask.assign(12, 1);
    for (int t = 8; t < 12; ++t) a[i].loss_mask[t] = 0, b[i].tokens[t] = (b[i].tokens[t] + 17) % 61;
    b[i].loss_mask = a[i].loss_mask;
  }
  auto ra = TrainFromScratch(TinyConfig(Arch::kLlama), a, {}, Quick(5)).ValueOrThrow();
  auto rb = TrainFromScratch(TinyConfig(Arch::kLlama), b, {}, Quick(5)).ValueOrThrow();
  EXPECT_EQ(ra.losses, rb.losses);
  EXPECT_EQ(ra.state.target_tokens, 5 * 4 * 7);  // tokens 1..7 of each row
}

TEST(LossMask, FirstLossIsTheCrossEntropyOfTheOneTarget) {
  // One target (token 5) per example: the first step's loss must be -log p(token 5 | 0..4)
  // under the seed's initial weights, which checks the shift and the masking together.
  TrainOptions o = Quick(1);
  o.batch_size = 1;
  TrainExample ex = Sequences(1, 10)[0];
  ex.loss_mask.assign(10, 0);
  ex.loss_mask[5] = 1;
  auto r = TrainFromScratch(TinyConfig(Arch::kLlama), {ex}, {}, o).ValueOrThrow();
  auto model = Model::RandomInit(TinyConfig(Arch::kLlama), o.seed);
  torch::NoGradGuard no_grad;
  torch::Tensor logits = model->Forward(ForwardBatch::LeftPadded({ex.tokens}))[0];  // [pos, vocab]
  double want = -torch::log_softmax(logits[4], -1)[ex.tokens[5]].item<double>();
  EXPECT_NEAR(r.losses[0], want, 1e-5);
}

TEST(LossMask, PackedRowsWithoutTargetsTrainOn) {
  // Only each example's last token is a target; rows of 4 cut from 12-token examples mostly
  // hold none. Such steps report loss 0 rather than dividing by zero.
  auto data = Sequences(2, 12);
  for (auto& ex : data) ex.loss_mask.assign(12, 0), ex.loss_mask[11] = 1;
  TrainOptions o = Quick(6);
  o.batching = Batching::kPacked;
  o.batch_size = 1;
  o.seq_len = 4;
  auto r = TrainFromScratch(TinyConfig(Arch::kLlama), data, {}, o).ValueOrThrow();
  EXPECT_EQ(std::count(r.losses.begin(), r.losses.end(), 0.0), 4);
  EXPECT_EQ(r.state.target_tokens, 2);
}

TEST(Resume, TwoHalvesEqualOneRun) {
  for (Batching batching : {Batching::kPacked, Batching::kPadded, Batching::kIsolated}) {
    SCOPED_TRACE(BatchingName(batching));
    TrainOptions o = Quick(8);
    o.batching = batching;
    o.out_dir = TempDir(std::string("resume_full_") + BatchingName(batching));
    auto full = TrainFromScratch(TinyConfig(Arch::kLlama), Sequences(5, 11), {}, o).ValueOrThrow();

    o.out_dir = TempDir(std::string("resume_half_") + BatchingName(batching));
    o.stop_after = 4;
    auto first = TrainFromScratch(TinyConfig(Arch::kLlama), Sequences(5, 11), {}, o).ValueOrThrow();
    EXPECT_EQ(first.checkpoint, o.out_dir + "/step-000004");
    auto second = Resume(o.out_dir, Sequences(5, 11), {}, {}).ValueOrThrow();
    ASSERT_EQ(second.losses.size(), 4u);
    for (int i = 0; i < 4; ++i) {
      EXPECT_NEAR(first.losses[i], full.losses[i], 1e-6);
      EXPECT_NEAR(second.losses[i], full.losses[4 + i], 1e-6) << "step " << 5 + i;
    }
    EXPECT_EQ(second.state.tokens_seen, full.state.tokens_seen);
    EXPECT_DOUBLE_EQ(second.state.flops, full.state.flops);
  }
}

TEST(Determinism, SameSeedSameWeights) {
  TrainOptions o = Quick(6);
  o.out_dir = TempDir("det_a");
  auto a = TrainFromScratch(TinyConfig(Arch::kQwen2), Sequences(6, 9), {}, o).ValueOrThrow();
  o.out_dir = TempDir("det_b");
  auto b = TrainFromScratch(TinyConfig(Arch::kQwen2), Sequences(6, 9), {}, o).ValueOrThrow();
  EXPECT_EQ(a.losses, b.losses);
  auto ma = Model::Load(a.checkpoint).ValueOrThrow(), mb = Model::Load(b.checkpoint).ValueOrThrow();
  auto pb = mb->module().named_parameters();
  for (const auto& p : ma->module().named_parameters()) {
    EXPECT_TRUE(torch::equal(p.value(), pb[p.key()])) << p.key();
  }
  o.seed = 6;  // another seed: another initialisation and data order
  auto c = TrainFromScratch(TinyConfig(Arch::kQwen2), Sequences(6, 9), {}, o).ValueOrThrow();
  EXPECT_NE(a.losses, c.losses);
}

TEST(Flops, FollowTheDocumentedFormula) {
  ModelConfig c = TinyConfig(Arch::kLlama);
  EXPECT_DOUBLE_EQ(TrainingFlopsPerToken(c, 16), 6.0 * c.ParameterCount() + 6.0 * 2 * 16 * 32);
  TrainOptions o = Quick(3);
  o.batching = Batching::kPacked;  // 4 examples x 16 tokens: every row is full
  auto r = TrainFromScratch(c, Sequences(4, 16), {}, o).ValueOrThrow();
  EXPECT_EQ(r.state.tokens_seen, 3 * 4 * 16);
  EXPECT_DOUBLE_EQ(r.state.flops, 3 * 4 * 16 * TrainingFlopsPerToken(c, 16));
}

TEST(Schedule, WarmupThenCosineToTheFloor) {
  TrainOptions o;
  o.steps = 110, o.warmup_steps = 10, o.lr = 1.0, o.min_lr = 0.1;
  EXPECT_DOUBLE_EQ(LearningRateAt(o, 0), 0.1);
  EXPECT_DOUBLE_EQ(LearningRateAt(o, 9), 1.0);
  EXPECT_NEAR(LearningRateAt(o, 59), 0.55 + 0.45 * std::cos(M_PI * 49 / 99), 1e-12);
  EXPECT_DOUBLE_EQ(LearningRateAt(o, 109), 0.1);
}

void ExpectError(const Result<TrainResult>& r, const std::string& needle) {
  ASSERT_FALSE(r.ok()) << "expected an error containing: " << needle;
  EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status().ToString();
}

TEST(BadInput, ExamplesAndOptions) {
  ModelConfig c = TinyConfig(Arch::kLlama);
  auto data = Sequences(3, 8);
  data[1].tokens[2] = 99;
  ExpectError(TrainFromScratch(c, data, {}, Quick(1)), "training example 1: token 2 has id 99");
  data = Sequences(3, 8);
  data[2].loss_mask = {1, 1};
  ExpectError(TrainFromScratch(c, data, {}, Quick(1)), "training example 2: loss_mask has 2 entries");
  ExpectError(TrainFromScratch(c, {}, {}, Quick(1)), "training set is empty");
  ExpectError(TrainFromScratch(c, Sequences(2, 8), {TrainExample{{1}, {}}}, Quick(1)), "eval example 0");
  TrainOptions o = Quick(1);
  o.seq_len = 1000;
  ExpectError(TrainFromScratch(c, Sequences(2, 8), {}, o), "seq_len");
  o = Quick(1);
  o.lr = -1;
  ExpectError(TrainFromScratch(c, Sequences(2, 8), {}, o), "lr");
}

ResumeOptions MoreSteps(int64_t steps) {
  ResumeOptions r;
  r.steps = steps;
  return r;
}

TEST(BadInput, MissingAndCorruptCheckpoints) {
  ExpectError(Resume(TempDir("empty_ckpt"), Sequences(2, 8), {}, {}), "train_state.json");
  TrainOptions o = Quick(2);
  o.out_dir = TempDir("corrupt_ckpt");
  auto r = TrainFromScratch(TinyConfig(Arch::kLlama), Sequences(2, 8), {}, o).ValueOrThrow();
  const std::string ckpt = r.checkpoint;
  ExpectError(Resume(ckpt, Sequences(2, 8), {}, {}), "already at step 2");

  std::string opt_bytes = ReadFileToString(ckpt + "/optimizer.safetensors").ValueOrThrow();
  ASSERT_TRUE(WriteFileAtomic(ckpt + "/optimizer.safetensors", opt_bytes.substr(0, 100)).ok());
  ExpectError(Resume(ckpt, Sequences(2, 8), {}, MoreSteps(4)), "optimizer.safetensors");
  std::remove((ckpt + "/optimizer.safetensors").c_str());
  ExpectError(Resume(ckpt, Sequences(2, 8), {}, MoreSteps(4)), "optimizer.safetensors: missing");

  std::string state = ReadFileToString(ckpt + "/train_state.json").ValueOrThrow();
  ASSERT_TRUE(WriteFileAtomic(ckpt + "/train_state.json", state.substr(0, state.size() / 2)).ok());
  ExpectError(Resume(ckpt, Sequences(2, 8), {}, {}), "train_state.json: malformed JSON");
  ASSERT_TRUE(WriteFileAtomic(ckpt + "/train_state.json", "{\"format\": \"warden-train-state/1\"}").ok());
  ExpectError(Resume(ckpt, Sequences(2, 8), {}, {}), "train_state.json: missing field 'step'");
}

TEST(Stories260K, FineTuningLowersTheLossOnNewSentences) {
  WARDEN_NEED_SHARED(SharedPath("models/stories260K/stories260K.bin"), SharedPath("models/stories260K/tok512.bin"));
  auto tok = LoadLlama2cTokenizer(SharedPath("models/stories260K/tok512.bin"), 512).ValueOrThrow();
  std::vector<TrainExample> data;
  for (const char* s : {"The robot painted the moon purple every Tuesday.",
                        "Zara kept a tiny dragon in a teacup.",
                        "The library opened only when it rained."}) {
    data.push_back({tok->Encode(s, {/*add_bos=*/true}), {}});
  }
  TrainOptions o = Quick(30);
  o.lr = 3e-3;
  o.batch_size = 3;
  o.seq_len = 64;
  auto r = FineTune(SharedPath("models/stories260K/stories260K.bin"), data, data, o).ValueOrThrow();
  EXPECT_LT(r.losses.back(), 0.5 * r.losses.front());
  EXPECT_EQ(r.state.init, SharedPath("models/stories260K/stories260K.bin"));
}

}  // namespace
}  // namespace warden::engine
