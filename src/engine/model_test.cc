// Loading, numerics against references, and round trips through safetensors.
#include "warden/engine/torch/model.h"

#include <fstream>
#include <sstream>

#include "engine/test_util.h"
#include "engine/torch_pch.h"
#include "engine/transformer.h"
#include "testing/shared_files.h"
#include "warden/engine/torch/generate.h"

namespace warden::engine {
namespace {

using ::warden::test::SharedPath;
using testing::TinyConfig;

const char* kStories = "models/stories260K/stories260K.bin";
const char* kStoriesTok = "models/stories260K/tok512.bin";
const char* kTinyGguf = "models/tiny-random-gguf/llama-2-tiny-random.gguf";

std::unique_ptr<Model> LoadStories() {
  LoadOptions opts;
  opts.tokenizer_path = SharedPath(kStoriesTok);
  return Model::Load(SharedPath(kStories), opts).ValueOrThrow();
}

// The text between the first pair of ``` fences of REFERENCE.md.
std::string ReferenceText() {
  std::string md = ReadFileToString(SharedPath("models/stories260K/REFERENCE.md")).ValueOrThrow();
  size_t open = md.find("```\n");
  size_t close = md.find("\n```", open + 4);
  return md.substr(open + 4, close - open - 4);
}

TEST(Stories260K, GreedyDecodingReproducesTheReferenceExactly) {
  WARDEN_NEED_SHARED(SharedPath(kStories));
  auto model = LoadStories();
  ASSERT_NE(model->tokenizer(), nullptr);
  const std::string prompt = "Once upon a time";
  std::vector<int32_t> ids = model->tokenizer()->Encode(prompt, {/*add_bos=*/true});
  ASSERT_EQ(ids[0], 1);
  SamplingOptions greedy;
  // llama2.c's run.c runs 200 positions; the token sampled at the last one is printed too, so
  // it generates 200 - (prompt length - 1) tokens.
  greedy.max_new_tokens = 200 - static_cast<int64_t>(ids.size()) + 1;
  greedy.stop_at_eos = false;
  auto gen = Generate(*model, {ids}, greedy).value();
  std::string text = prompt + gen[0].text;
  std::string want = ReferenceText();
  while (!text.empty() && text.back() == '\n') text.pop_back();
  EXPECT_EQ(text, want);
}

TEST(Stories260K, ModelInfo) {
  WARDEN_NEED_SHARED(SharedPath(kStories));
  auto model = LoadStories();
  const ModelConfig& c = model->config();
  EXPECT_EQ(c.arch, Arch::kLlama);
  EXPECT_EQ(c.d_model, 64);
  EXPECT_EQ(c.n_layers, 5);
  EXPECT_EQ(c.n_heads, 8);
  EXPECT_EQ(c.n_kv_heads, 4);
  EXPECT_EQ(c.vocab_size, 512);
  EXPECT_TRUE(c.tied_embeddings);
  EXPECT_EQ(model->WeightsSha256().value().size(), 64u);
}

TEST(Stories260K, SavedAsHuggingFaceGivesTheSameLogits) {
  WARDEN_NEED_SHARED(SharedPath(kStories));
  auto original = LoadStories();
  std::string dir = testing::TempDir("stories_hf");
  ASSERT_TRUE(original->SaveHf(dir).ok());
  auto reloaded = Model::Load(dir).ValueOrThrow();
  EXPECT_EQ(reloaded->source_format(), "safetensors");
  EXPECT_EQ(reloaded->config().n_kv_heads, 4);
  ForwardBatch batch = ForwardBatch::LeftPadded({{1, 400, 30, 200, 7}, {1, 50}});
  torch::Tensor a = original->Forward(batch), b = reloaded->Forward(batch);
  EXPECT_TRUE(torch::equal(a, b)) << (a - b).abs().max().item<float>();
}

class RoundTrip : public ::testing::TestWithParam<Arch> {};

TEST_P(RoundTrip, RandomInitSurvivesSafetensorsWithIdenticalLogits) {
  auto model = Model::RandomInit(TinyConfig(GetParam()), 11);
  std::string dir = testing::TempDir(std::string("rt_") + ArchName(GetParam()));
  ASSERT_TRUE(model->SaveHf(dir).ok());
  auto back = Model::Load(dir).ValueOrThrow();
  EXPECT_EQ(back->config().arch, GetParam());
  ForwardBatch batch = ForwardBatch::LeftPadded({{1, 2, 3, 4, 5}, {6, 7}});
  EXPECT_TRUE(torch::equal(model->Forward(batch), back->Forward(batch)));
  // Parameters come back bit-identical, under the Hugging Face names.
  auto p = back->module().named_parameters();
  for (const auto& q : model->module().named_parameters()) {
    ASSERT_NE(p.find(q.key()), nullptr) << q.key();
    EXPECT_TRUE(torch::equal(*p.find(q.key()), q.value())) << q.key();
  }
}

TEST_P(RoundTrip, Bf16SafetensorsLoad) {
  auto model = Model::RandomInit(TinyConfig(GetParam()), 12);
  std::string dir = testing::TempDir(std::string("bf16_") + ArchName(GetParam()));
  ASSERT_TRUE(model->SaveHf(dir, torch::kBFloat16).ok());
  auto back = Model::Load(dir).ValueOrThrow();
  EXPECT_EQ(back->stored_dtypes().count("BF16"), 1u);
  ForwardBatch batch = ForwardBatch::LeftPadded({{1, 2, 3}});
  EXPECT_TRUE(torch::allclose(model->Forward(batch), back->Forward(batch), 0.05, 0.05));
}

INSTANTIATE_TEST_SUITE_P(AllArchitectures, RoundTrip,
                         ::testing::Values(Arch::kLlama, Arch::kQwen2, Arch::kGpt2),
                         [](const auto& info) { return std::string(ArchName(info.param)); });

TEST(TinyRandomGguf, LoadsF16With32kVocabAndGeneratesDeterministically) {
  WARDEN_NEED_SHARED(SharedPath(kTinyGguf));
  auto model = Model::Load(SharedPath(kTinyGguf)).ValueOrThrow();
  EXPECT_EQ(model->source_format(), "gguf");
  EXPECT_EQ(model->config().vocab_size, 32000);
  EXPECT_GT(model->stored_dtypes().count("F16"), 0u);
  ASSERT_NE(model->tokenizer(), nullptr);
  std::vector<int32_t> ids = model->tokenizer()->Encode("Hello world", {});
  SamplingOptions opts;
  opts.max_new_tokens = 12;
  opts.temperature = 0.8;
  opts.seed = 42;
  auto a = Generate(*model, {ids}, opts).value();
  auto b = Generate(*model, {ids}, opts).value();
  EXPECT_EQ(a[0].tokens, b[0].tokens);
  EXPECT_EQ(a[0].tokens.size(), 12u);
}

TEST(Load, MissingFilesAndMismatchedConfigsAreClearErrors) {
  auto missing = Model::Load("/nonexistent/model.gguf");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/model.gguf"), std::string::npos);

  // A checkpoint whose config.json disagrees with its tensors names the tensor and both shapes.
  auto model = Model::RandomInit(TinyConfig(Arch::kLlama), 13);
  std::string dir = testing::TempDir("mismatch");
  ASSERT_TRUE(model->SaveHf(dir).ok());
  std::string cfg = ReadFileToString(dir + "/config.json").value();
  const std::string from = "\"intermediate_size\": 40";
  size_t at = cfg.find(from);
  ASSERT_NE(at, std::string::npos) << cfg;
  cfg.replace(at, from.size(), "\"intermediate_size\": 48");
  ASSERT_TRUE(WriteFileAtomic(dir + "/config.json", cfg).ok());
  auto bad = Model::Load(dir);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("gate_proj"), std::string::npos) << bad.status().message();
  EXPECT_NE(bad.status().message().find("[48, 32]"), std::string::npos) << bad.status().message();
}

TEST(Load, TruncatedLlama2cFileIsAnErrorNotACrash) {
  WARDEN_NEED_SHARED(SharedPath(kStories));
  std::string bytes = ReadFileToString(SharedPath(kStories)).value();
  std::string path = testing::TempDir("trunc") + "/cut.bin";
  ASSERT_TRUE(WriteFileAtomic(path, bytes.substr(0, bytes.size() / 2)).ok());
  auto r = Model::Load(path);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("cut.bin"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace warden::engine
