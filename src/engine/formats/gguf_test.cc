#include "warden/engine/gguf.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "engine/formats/gguf_test_writer.h"
#include "testing/shared_files.h"

namespace warden::engine {
namespace {

using ::testing::AllOf;
using testing::GgufBuilder;
using ::testing::HasSubstr;

const std::string kShared = WARDEN_SHARED_DIR;
const char kSource[] = "test.gguf";

Result<std::unique_ptr<GgufFile>> ParseString(const std::string& bytes) {
  return GgufFile::Parse(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), kSource);
}

std::string F32Bytes(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

// A small valid file with every kind of metadata value and a tensor of each supported type.
GgufBuilder SmallFile() {
  GgufBuilder b;
  b.String("general.architecture", "llama")
      .U32("llama.block_count", 2)
      .I32("some.i32", -7)
      .U64("some.u64", uint64_t{1} << 40)
      .F32("some.f32", 0.5f)
      .Bool("some.bool", true)
      .Raw("some.u8", GgufBuilder::kU8, GgufBuilder::Pod<uint8_t>(200))
      .Raw("some.i16", GgufBuilder::kI16, GgufBuilder::Pod<int16_t>(-300))
      .Raw("some.f64", GgufBuilder::kF64, GgufBuilder::Pod<double>(1e-6))
      .StringArray("tokenizer.ggml.tokens", {"<unk>", "a", "", "\xe2\x96\x81hi"})
      .NumberArray<float>("tokenizer.ggml.scores", GgufBuilder::kF32, {0.f, -1.f, -2.5f, 3.f})
      .NumberArray<int32_t>("tokenizer.ggml.token_type", GgufBuilder::kI32, {2, 1, 1, 1});
  b.Tensor("f32", 0, {3, 2}, F32Bytes({1, 2, 3, 4, 5, 6}));
  b.Tensor("f16", 1, {2}, GgufBuilder::Pod<uint16_t>(0x3c00) + GgufBuilder::Pod<uint16_t>(0xc000));
  std::string q8 = GgufBuilder::Pod<uint16_t>(0x3800);  // d = 0.5
  for (int i = 0; i < 32; ++i) q8 += static_cast<char>(i - 16);
  b.Tensor("q8", 8, {32}, q8);
  std::string q4 = GgufBuilder::Pod<uint16_t>(0x4000);  // d = 2
  for (int i = 0; i < 16; ++i) q4 += static_cast<char>((15 - i) << 4 | i);
  b.Tensor("q4", 2, {32}, q4);
  b.Tensor("bf16", 30, {1}, GgufBuilder::Pod<uint16_t>(0x4049));  // 3.140625
  b.Tensor("i32", 26, {2, 1, 1}, GgufBuilder::Pod<int32_t>(-5) + GgufBuilder::Pod<int32_t>(9));
  return b;
}

TEST(GgufTest, ParsesEveryMetadataTypeAndTensorType) {
  const std::string bytes = SmallFile().Build();
  auto f = ParseString(bytes);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  const GgufFile& g = **f;
  EXPECT_EQ(g.version(), 3u);
  EXPECT_EQ(*g.GetString("general.architecture"), "llama");
  EXPECT_EQ(*g.GetInt("llama.block_count"), 2);
  EXPECT_EQ(*g.GetInt("some.i32"), -7);
  EXPECT_EQ(*g.GetInt("some.u64"), int64_t{1} << 40);
  EXPECT_EQ(*g.GetInt("some.u8"), 200);
  EXPECT_EQ(*g.GetInt("some.i16"), -300);
  EXPECT_DOUBLE_EQ(*g.GetFloat("some.f32"), 0.5);
  EXPECT_DOUBLE_EQ(*g.GetFloat("some.f64"), 1e-6);
  EXPECT_DOUBLE_EQ(*g.GetFloat("some.i32"), -7.0);  // integers are numbers too
  EXPECT_TRUE(*g.GetBool("some.bool"));
  const auto* tokens = *g.GetStringArray("tokenizer.ggml.tokens");
  EXPECT_EQ(*tokens, (std::vector<std::string>{"<unk>", "a", "", "\xe2\x96\x81hi"}));
  EXPECT_EQ(**g.GetNumberArray("tokenizer.ggml.scores"), (std::vector<double>{0, -1, -2.5, 3}));
  EXPECT_EQ(**g.GetNumberArray("tokenizer.ggml.token_type"), (std::vector<double>{2, 1, 1, 1}));

  ASSERT_EQ(g.tensors().size(), 6u);
  const TensorRef* t = g.FindTensor("f32");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->shape, (std::vector<int64_t>{2, 3}));  // ne {3, 2} reversed
  EXPECT_EQ(t->nbytes, 24u);
  EXPECT_EQ((t->data - reinterpret_cast<const uint8_t*>(bytes.data())) % 32, 0)
      << "data aligned in the file";
  EXPECT_EQ((*g.Get("i32"))->shape, (std::vector<int64_t>{1, 1, 2}));
  EXPECT_EQ((*g.Get("q8"))->nbytes, 34u);
  EXPECT_EQ((*g.Get("q4"))->nbytes, 18u);
  EXPECT_EQ((*g.Get("q4"))->dtype, DType::kQ4_0);
}

TEST(GgufTest, DequantizesEveryTensorType) {
  const std::string bytes = SmallFile().Build();  // must outlive f
  auto f = ParseString(bytes);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  auto dq = [&](const char* name) {
    const TensorRef* t = *(*f)->Get(name);
    std::vector<float> out(static_cast<size_t>(*CheckedNumel(t->shape)));
    Status st = DequantizeToF32(*t, out.data());
    EXPECT_TRUE(st.ok()) << st.ToString();
    return out;
  };
  EXPECT_EQ(dq("f32"), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(dq("f16"), (std::vector<float>{1, -2}));
  EXPECT_EQ(dq("bf16"), (std::vector<float>{3.140625f}));
  EXPECT_EQ(dq("i32"), (std::vector<float>{-5, 9}));
  std::vector<float> q8 = dq("q8");
  for (int i = 0; i < 32; ++i) EXPECT_EQ(q8[i], 0.5f * (i - 16)) << i;
  std::vector<float> q4 = dq("q4");
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(q4[j], 2.0f * (j - 8)) << "low nibble of byte " << j;
    EXPECT_EQ(q4[j + 16], 2.0f * ((15 - j) - 8)) << "high nibble of byte " << j;
  }
}

TEST(GgufTest, GettersNameMissingAndMistypedKeys) {
  const std::string bytes = SmallFile().Build();  // must outlive f
  auto f = ParseString(bytes);
  ASSERT_TRUE(f.ok());
  const GgufFile& g = **f;
  EXPECT_EQ(g.GetInt("nope").status().code(), StatusCode::kNotFound);
  EXPECT_THAT(g.GetInt("nope").status().message(), AllOf(HasSubstr(kSource), HasSubstr("'nope'")));
  Status st = g.GetInt("general.architecture").status();
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(st.message(), AllOf(HasSubstr("general.architecture"), HasSubstr("string")));
  EXPECT_FALSE(g.GetString("some.u8").ok());
  EXPECT_FALSE(g.GetBool("some.u8").ok());
  EXPECT_FALSE(g.GetFloat("tokenizer.ggml.tokens").ok());
  EXPECT_THAT(g.GetStringArray("tokenizer.ggml.scores").status().message(),
              HasSubstr("array of f32"));
  EXPECT_FALSE(g.GetNumberArray("tokenizer.ggml.tokens").ok());
  EXPECT_EQ(g.Get("missing").status().code(), StatusCode::kNotFound);
  EXPECT_THAT(g.Get("missing").status().message(), HasSubstr("missing"));
}

TEST(GgufTest, GetIntRejectsU64BeyondInt64) {
  const std::string bytes = GgufBuilder().U64("big", ~uint64_t{0}).Build();
  auto f = ParseString(bytes);
  ASSERT_TRUE(f.ok());
  EXPECT_THAT((*f)->GetInt("big").status().message(), HasSubstr("does not fit"));
}

TEST(GgufTest, ReadsVersion2AndCustomAlignment) {
  GgufBuilder b(2);
  b.U32("general.alignment", 64).Alignment(64);
  b.Tensor("a", 0, {1}, F32Bytes({1})).Tensor("b", 0, {1}, F32Bytes({2}));
  const std::string bytes = b.Build();
  auto f = ParseString(bytes);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ((*f)->version(), 2u);
  EXPECT_EQ((*f)->tensors()[1].data - (*f)->tensors()[0].data, 64);
}

TEST(GgufTest, OpensFromDiskAndReportsMissingFiles) {
  auto dir = std::filesystem::temp_directory_path() / ("gguf_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "small.gguf").string();
  ASSERT_TRUE(WriteFileAtomic(path, SmallFile().Build()).ok());
  auto f = GgufFile::Open(path);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ((*f)->path(), path);
  EXPECT_EQ((*f)->format(), "gguf");
  EXPECT_EQ(*(*f)->GetString("general.architecture"), "llama");
  auto missing = GgufFile::Open((dir / "absent.gguf").string());
  EXPECT_THAT(missing.status().message(), HasSubstr("absent.gguf"));
  std::filesystem::remove_all(dir);
}

// --- the shared files ---

TEST(GgufRealFileTest, TinyRandomLlama) {
  WARDEN_NEED_SHARED(kShared + "/models/tiny-random-gguf/llama-2-tiny-random.gguf");
  auto f = GgufFile::Open(kShared + "/models/tiny-random-gguf/llama-2-tiny-random.gguf");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  const GgufFile& g = **f;
  EXPECT_EQ(g.version(), 3u);
  EXPECT_EQ(*g.GetString("general.architecture"), "llama");
  EXPECT_EQ((*g.GetStringArray("tokenizer.ggml.tokens"))->size(), 32000u);
  ASSERT_FALSE(g.tensors().empty());
  const TensorRef* embd = *g.Get("token_embd.weight");
  ASSERT_EQ(embd->shape.size(), 2u);
  EXPECT_EQ(embd->shape[0], 32000);  // outermost: one row per token
  EXPECT_EQ(embd->shape[1], *g.GetInt("llama.embedding_length"));
  for (const TensorRef& t : g.tensors()) {
    std::vector<float> out(static_cast<size_t>(*CheckedNumel(t.shape)));
    ASSERT_TRUE(DequantizeToF32(t, out.data()).ok()) << t.name;
    for (float x : out) ASSERT_TRUE(std::isfinite(x)) << t.name;
  }
}

TEST(GgufRealFileTest, VocabOnlyFiles) {
  for (const char* name :
       {"deepseek-coder", "falcon", "gpt-2", "llama-spm", "phi-3", "starcoder"}) {
    const std::string path = kShared + "/tokenizer-vectors/ggml-vocab-" + name + ".gguf";
    WARDEN_NEED_SHARED(path);
    auto f = GgufFile::Open(path);
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    EXPECT_TRUE((*f)->tensors().empty()) << name;
    EXPECT_TRUE((*f)->GetString("tokenizer.ggml.model").ok()) << name;
    auto tokens = (*f)->GetStringArray("tokenizer.ggml.tokens");
    ASSERT_TRUE(tokens.ok()) << tokens.status().ToString();
    EXPECT_GT((*tokens)->size(), 1000u) << name;
  }
}

}  // namespace
}  // namespace warden::engine
