#include "warden/engine/safetensors.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

namespace warden::engine {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

class SafetensorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("st_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  std::string Slurp(const std::string& name) const { return *ReadFileToString(Path(name)); }

  std::filesystem::path dir_;
};

template <class T>
TensorToWrite Tensor(const std::string& name, DType dtype, std::vector<int64_t> shape,
                     const std::vector<T>& data) {
  return {name, dtype, std::move(shape), data.data(), data.size() * sizeof(T)};
}

TEST_F(SafetensorsTest, GoldenBytesOfASmallFile) {
  const std::vector<float> one = {1.0f};
  ASSERT_TRUE(WriteSafetensors(Path("a.safetensors"), {Tensor("a", DType::kF32, {1}, one)}).ok());
  const std::string header = R"({"a":{"data_offsets":[0,4],"dtype":"F32","shape":[1]}})";
  std::string want(8, '\0');
  const uint64_t padded = (header.size() + 7) / 8 * 8;
  std::memcpy(&want[0], &padded, 8);
  want += header + std::string(padded - header.size(), ' ');
  want += std::string("\x00\x00\x80\x3f", 4);
  EXPECT_EQ(Slurp("a.safetensors"), want);
}

TEST_F(SafetensorsTest, RoundTripIsByteIdenticalForEveryWritableType) {
  const std::vector<float> f32 = {1.5f, -2.0f, 3.25f, 1e-30f, -0.0f, 65504.f};
  const std::vector<uint16_t> f16 = {F32ToF16(1.0f), F32ToF16(-0.5f), 0x7c00, 0x0001};
  const std::vector<uint16_t> bf16 = {F32ToBF16(3.0f), F32ToBF16(-1e20f), 0x7fc0};
  const std::vector<double> f64 = {1e300, -2.5};
  const std::vector<int64_t> i64 = {-(int64_t{1} << 50), 7};
  const std::vector<uint8_t> u8 = {0, 255, 9};
  const std::vector<uint8_t> b = {1, 0};
  const std::vector<TensorToWrite> in = {
      Tensor("w.f32", DType::kF32, {2, 3}, f32),    Tensor("w.f16", DType::kF16, {4}, f16),
      Tensor("w.bf16", DType::kBF16, {3, 1}, bf16), Tensor("w.f64", DType::kF64, {2}, f64),
      Tensor("w.i64", DType::kI64, {1, 2}, i64),    Tensor("w.u8", DType::kU8, {3}, u8),
      Tensor("w.bool", DType::kBool, {2}, b),       Tensor("w.empty", DType::kF32, {0, 5}, f32)};
  std::vector<TensorToWrite> tensors = in;
  tensors.back().nbytes = 0;  // shape {0, 5}
  const std::map<std::string, std::string> meta = {{"format", "pt"}, {"note", "é ünïcode"}};
  ASSERT_TRUE(WriteSafetensors(Path("m.safetensors"), tensors, meta).ok());

  auto f = SafetensorsFile::Open(Path("m.safetensors"));
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ((*f)->metadata(), meta);
  EXPECT_EQ((*f)->format(), "safetensors");
  ASSERT_EQ((*f)->tensors().size(), tensors.size());
  for (const TensorToWrite& w : tensors) {
    const TensorRef* r = (*f)->Find(w.name);
    ASSERT_NE(r, nullptr) << w.name;
    EXPECT_EQ(r->dtype, w.dtype) << w.name;
    EXPECT_EQ(r->shape, w.shape) << w.name;
    ASSERT_EQ(r->nbytes, w.nbytes) << w.name;
    if (w.nbytes > 0) EXPECT_EQ(std::memcmp(r->data, w.data, w.nbytes), 0) << w.name;
  }
  std::vector<float> out(4);
  ASSERT_TRUE(DequantizeToF32(*(*f)->Find("w.f16"), out.data()).ok());
  EXPECT_EQ(out[1], -0.5f);
  EXPECT_EQ(out[3], std::ldexp(1.0f, -24));
}

TEST_F(SafetensorsTest, OutputIsDeterministicAndAligned) {
  const std::vector<float> a = {1, 2, 3}, b = {4};
  const std::vector<uint16_t> c = {1, 2, 3};
  ASSERT_TRUE(WriteSafetensors(Path("1"),
                               {Tensor("b", DType::kF32, {1}, b), Tensor("a", DType::kF32, {3}, a),
                                Tensor("c", DType::kF16, {3}, c)})
                  .ok());
  ASSERT_TRUE(WriteSafetensors(Path("2"),
                               {Tensor("c", DType::kF16, {3}, c), Tensor("a", DType::kF32, {3}, a),
                                Tensor("b", DType::kF32, {1}, b)})
                  .ok());
  const std::string one = Slurp("1");
  EXPECT_EQ(one, Slurp("2"));
  uint64_t n;
  std::memcpy(&n, one.data(), 8);
  EXPECT_EQ(n % 8, 0u);
  auto f = SafetensorsFile::Open(Path("1"));
  ASSERT_TRUE(f.ok());
  EXPECT_LT((*f)->Find("a")->data, (*f)->Find("b")->data) << "laid out in name order";
  EXPECT_FALSE(FileExists(Path("1.tmp")));
}

TEST_F(SafetensorsTest, WriterRejectsBadInput) {
  const std::vector<float> v = {1, 2};
  auto write = [&](std::vector<TensorToWrite> t) { return WriteSafetensors(Path("w"), t); };
  EXPECT_THAT(write({Tensor("x", DType::kF32, {3}, v)}).message(),
              AllOf(HasSubstr("'x'"), HasSubstr("nbytes is 8"), HasSubstr("needs 12")));
  EXPECT_THAT(write({Tensor("x", DType::kF32, {2}, v), Tensor("x", DType::kF32, {2}, v)}).message(),
              HasSubstr("duplicate tensor name 'x'"));
  EXPECT_THAT(write({Tensor("q", DType::kQ8_0, {2}, v)}).message(), HasSubstr("Q8_0"));
  EXPECT_THAT(write({Tensor("__metadata__", DType::kF32, {2}, v)}).message(),
              HasSubstr("reserved"));
  EXPECT_THAT(write({Tensor("", DType::kF32, {2}, v)}).message(), HasSubstr("empty name"));
  EXPECT_THAT(write({Tensor("x", DType::kF32, {-2}, v)}).message(), HasSubstr("negative"));
  EXPECT_THAT(write({Tensor("\xff", DType::kF32, {2}, v)}).message(), HasSubstr("encode"));
  TensorToWrite null{"n", DType::kF32, {2}, nullptr, 8};
  EXPECT_THAT(write({null}).message(), HasSubstr("null"));
  EXPECT_FALSE(FileExists(Path("w")));
}

TEST_F(SafetensorsTest, DirWithSingleFile) {
  const std::vector<float> v = {1, 2};
  ASSERT_TRUE(WriteSafetensors(Path("model.safetensors"), {Tensor("x", DType::kF32, {2}, v)}).ok());
  auto d = SafetensorsDir::Open(dir_.string());
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ((*d)->tensors().size(), 1u);
  EXPECT_EQ((*d)->path(), dir_.string());
  EXPECT_NE((*d)->Find("x"), nullptr);
}

TEST_F(SafetensorsTest, DirMissingEverything) {
  auto d = SafetensorsDir::Open(dir_.string());
  EXPECT_EQ(d.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(d.status().message(), HasSubstr("model.safetensors"));
  EXPECT_THAT(SafetensorsDir::Open(Path("nope")).status().message(), HasSubstr("not a directory"));
}

class ShardedDirTest : public SafetensorsTest {
 protected:
  void WriteShards() {
    ASSERT_TRUE(WriteSafetensors(Path("s1.safetensors"), {Tensor("a", DType::kF32, {2}, v_),
                                                          Tensor("b", DType::kF32, {1}, w_)})
                    .ok());
    ASSERT_TRUE(WriteSafetensors(Path("s2.safetensors"), {Tensor("c", DType::kF32, {2}, v_)}).ok());
  }
  void WriteIndex(const std::string& json) {
    ASSERT_TRUE(WriteFileAtomic(Path("model.safetensors.index.json"), json).ok());
  }
  Status OpenStatus() { return SafetensorsDir::Open(dir_.string()).status(); }
  std::vector<float> v_ = {1, 2};
  std::vector<float> w_ = {3};
};

TEST_F(ShardedDirTest, ReadsAllShards) {
  WriteShards();
  WriteIndex(R"({"metadata": {"total_size": 20},
    "weight_map": {"a": "s1.safetensors", "b": "s1.safetensors", "c": "s2.safetensors"}})");
  auto d = SafetensorsDir::Open(dir_.string());
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ASSERT_EQ((*d)->tensors().size(), 3u);
  EXPECT_EQ((*d)->Find("c")->shape, (std::vector<int64_t>{2}));
  EXPECT_EQ(std::memcmp((*d)->Find("c")->data, v_.data(), 8), 0);
}

TEST_F(ShardedDirTest, MissingShard) {
  WriteShards();
  WriteIndex(
      R"({"weight_map": {"a": "s1.safetensors", "b": "s1.safetensors", "c": "s3.safetensors"}})");
  EXPECT_THAT(OpenStatus().message(), AllOf(HasSubstr("index.json"), HasSubstr("'s3.safetensors'"),
                                            HasSubstr("does not exist")));
}

TEST_F(ShardedDirTest, TensorNotInItsShard) {
  WriteShards();
  WriteIndex(
      R"({"weight_map": {"a": "s1.safetensors", "b": "s1.safetensors", "c": "s1.safetensors"}})");
  EXPECT_THAT(OpenStatus().message(), HasSubstr("tensor 'c' is listed in shard 's1.safetensors'"));
}

TEST_F(ShardedDirTest, ShardTensorMissingFromIndex) {
  WriteShards();
  WriteIndex(R"({"weight_map": {"a": "s1.safetensors", "c": "s2.safetensors"}})");
  EXPECT_THAT(OpenStatus().message(), HasSubstr("holds tensor 'b', which the index does not list"));
}

TEST_F(ShardedDirTest, MalformedIndexes) {
  WriteShards();
  WriteIndex(R"({"weight_map": {"a": "s1.safetensors",}})");
  EXPECT_THAT(OpenStatus().message(),
              AllOf(HasSubstr("index.json"), HasSubstr("malformed JSON at byte")));
  WriteIndex(R"({"weight_map": ["a"]})");
  EXPECT_THAT(OpenStatus().message(), HasSubstr("'weight_map' is a JSON array"));
  WriteIndex(R"({"metadata": {}})");
  EXPECT_THAT(OpenStatus().message(), HasSubstr("no 'weight_map'"));
  WriteIndex(R"({"weight_map": {}})");
  EXPECT_THAT(OpenStatus().message(), HasSubstr("empty"));
  WriteIndex(R"({"weight_map": {"a": 3}})");
  EXPECT_THAT(OpenStatus().message(), HasSubstr("weight_map['a'] is a JSON integer"));
  WriteIndex(R"({"weight_map": {"a": "../s1.safetensors"}})");
  EXPECT_THAT(OpenStatus().message(), HasSubstr("not a file name in the directory"));
  WriteIndex(R"({"weight_map": {"a": "s1.safetensors", "a": "s2.safetensors"}})");
  EXPECT_THAT(OpenStatus().message(), HasSubstr("duplicate key 'a'"));
}

}  // namespace
}  // namespace warden::engine
