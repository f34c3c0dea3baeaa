// Every malformed GGUF must produce a non-OK Status naming the file and the problem, never a
// crash or a huge allocation. Each case asserts on the message, so a missing check fails.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>

#include "engine/formats/gguf_test_writer.h"
#include "warden/engine/gguf.h"

namespace warden::engine {
namespace {

using ::testing::AllOf;
using testing::GgufBuilder;
using ::testing::HasSubstr;

const char kSource[] = "bad.gguf";

Status ParseStatus(const std::string& bytes) {
  return GgufFile::Parse(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), kSource)
      .status();
}

std::string F32s(int n) { return std::string(static_cast<size_t>(n) * 4, '\x01'); }

GgufBuilder Valid() {
  GgufBuilder b;
  b.String("general.architecture", "llama").StringArray("tokenizer.ggml.tokens", {"a", "bc"});
  b.NumberArray<float>("tokenizer.ggml.scores", GgufBuilder::kF32, {1.f, 2.f});
  b.Tensor("w", 0, {4, 2}, F32s(8)).Tensor("v", 1, {2}, std::string(4, '\0'));
  return b;
}

// Expects failure with code `code` and a message containing the file name and `needle`.
void ExpectError(const std::string& bytes, StatusCode code, const std::string& needle) {
  Status st = ParseStatus(bytes);
  ASSERT_FALSE(st.ok()) << "accepted a file that should fail with: " << needle;
  EXPECT_EQ(st.code(), code) << st.ToString();
  EXPECT_THAT(st.message(), AllOf(HasSubstr(kSource), HasSubstr(needle)));
}

TEST(GgufCorruptTest, ValidBaselineParses) { EXPECT_TRUE(ParseStatus(Valid().Build()).ok()); }

TEST(GgufCorruptTest, EveryTruncationFails) {
  const std::string full = Valid().Build();
  for (size_t n = 0; n < full.size(); ++n) {
    Status st = ParseStatus(full.substr(0, n));
    ASSERT_FALSE(st.ok()) << "prefix of " << n << " bytes accepted";
    ASSERT_THAT(st.message(), HasSubstr(kSource)) << n;
  }
}

TEST(GgufCorruptTest, TruncationMessagesSayWhatWasCut) {
  const std::string full = Valid().Build();
  ExpectError(full.substr(0, 2), StatusCode::kCorrupt, "magic");
  ExpectError(full.substr(0, 6), StatusCode::kCorrupt, "version");
  ExpectError(full.substr(0, 120), StatusCode::kCorrupt,
              "metadata 'tokenizer.ggml.tokens' count at byte 114");
  ExpectError(full.substr(0, full.size() - 1), StatusCode::kCorrupt, "runs past the end");
}

TEST(GgufCorruptTest, FlippedBytesNeverCrash) {
  const std::string full = Valid().Build();
  for (size_t i = 0; i < full.size(); ++i) {
    for (uint8_t x : {uint8_t{0x01}, uint8_t{0x80}, uint8_t{0xff}}) {
      std::string bad = full;
      bad[i] = static_cast<char>(bad[i] ^ x);
      Status st = ParseStatus(bad);  // may be OK (e.g. a changed name); must not crash
      if (!st.ok()) EXPECT_THAT(st.message(), HasSubstr(kSource)) << i;
    }
  }
}

TEST(GgufCorruptTest, HeaderFields) {
  std::string bad = Valid().Build();
  bad[0] = 'X';
  ExpectError(bad, StatusCode::kCorrupt, "not a GGUF file");
  ExpectError(GgufBuilder(1).Build(), StatusCode::kUnsupported, "version 1");
  ExpectError(GgufBuilder(4).Build(), StatusCode::kUnsupported, "version 4");
  ExpectError(GgufBuilder(0x03000000).Build(), StatusCode::kUnsupported, "big-endian");
}

TEST(GgufCorruptTest, HugeCountsAreRejectedBeforeAllocating) {
  ExpectError(Valid().KvCount(~uint64_t{0} - 1).Build(), StatusCode::kCorrupt,
              "metadata key/value count");
  ExpectError(Valid().TensorCount(uint64_t{1} << 60).Build(), StatusCode::kCorrupt, "tensor count");
  // An array claiming 2^61 strings, and one claiming 2^62 u32s.
  std::string arr =
      GgufBuilder::Pod<uint32_t>(GgufBuilder::kString) + GgufBuilder::Pod(uint64_t{1} << 61);
  ExpectError(GgufBuilder().Raw("k", GgufBuilder::kArray, arr).Build(), StatusCode::kCorrupt,
              "cannot fit");
  arr = GgufBuilder::Pod<uint32_t>(GgufBuilder::kU32) + GgufBuilder::Pod(uint64_t{1} << 62);
  ExpectError(GgufBuilder().Raw("k", GgufBuilder::kArray, arr).Build(), StatusCode::kCorrupt,
              "'k' count");
}

TEST(GgufCorruptTest, HugeStringLengths) {
  // Key length.
  std::string bad = "GGUF" + GgufBuilder::Pod<uint32_t>(3) + GgufBuilder::Pod<uint64_t>(0) +
                    GgufBuilder::Pod<uint64_t>(1) + GgufBuilder::Pod(~uint64_t{0}) +
                    "xxxxxxxxxxxxx";
  ExpectError(bad, StatusCode::kCorrupt, "metadata key #0");
  // String value length.
  ExpectError(
      GgufBuilder().Raw("k", GgufBuilder::kString, GgufBuilder::Pod(uint64_t{1} << 40)).Build(),
      StatusCode::kCorrupt, "string length");
  // Tensor name length.
  bad = GgufBuilder().Tensor("name", 0, {1}, F32s(1)).Build();
  std::memset(&bad[24], 0xff, 8);  // the name length follows the 24-byte header
  ExpectError(bad, StatusCode::kCorrupt, "tensor #0 name");
}

TEST(GgufCorruptTest, BadValues) {
  ExpectError(GgufBuilder().Raw("k", 13, "").Build(), StatusCode::kCorrupt,
              "unknown value type id 13");
  ExpectError(GgufBuilder().Raw("k", GgufBuilder::kBool, "\x02").Build(), StatusCode::kCorrupt,
              "bool byte is 2");
  std::string nested =
      GgufBuilder::Pod<uint32_t>(GgufBuilder::kArray) + GgufBuilder::Pod<uint64_t>(0);
  ExpectError(GgufBuilder().Raw("k", GgufBuilder::kArray, nested).Build(), StatusCode::kUnsupported,
              "nested arrays");
  std::string bad_elem = GgufBuilder::Pod<uint32_t>(99) + GgufBuilder::Pod<uint64_t>(0);
  ExpectError(GgufBuilder().Raw("k", GgufBuilder::kArray, bad_elem).Build(), StatusCode::kCorrupt,
              "element type");
  ExpectError(GgufBuilder().U32("k", 1).U32("j", 2).U32("k", 3).Build(), StatusCode::kCorrupt,
              "duplicate metadata key");
}

TEST(GgufCorruptTest, BadAlignment) {
  ExpectError(Valid().U32("general.alignment", 48).Build(), StatusCode::kCorrupt,
              "not a power of two");
  ExpectError(Valid().U32("general.alignment", 0).Build(), StatusCode::kCorrupt,
              "general.alignment");
  ExpectError(Valid().String("general.alignment", "32").Build(), StatusCode::kCorrupt,
              "not an integer");
  ExpectError(Valid().U64("general.alignment", uint64_t{1} << 40).Build(), StatusCode::kCorrupt,
              "outside");
  // A file laid out with 32 but declaring 64: the data section start moves and offsets break.
  GgufBuilder b;
  b.U32("general.alignment", 64).Tensor("a", 0, {8}, F32s(8)).Tensor("b", 0, {1}, F32s(1));
  ExpectError(b.Build(), StatusCode::kCorrupt, "not a multiple of the alignment 64");
}

TEST(GgufCorruptTest, BadTensorInfos) {
  ExpectError(GgufBuilder().Tensor("t", 0, {1, 1, 1, 1, 1}, F32s(1)).Build(), StatusCode::kCorrupt,
              "5 dimensions");
  Status st = ParseStatus(GgufBuilder().Tensor("blk.0.attn_q.weight", 12, {256}, "").Build());
  EXPECT_EQ(st.code(), StatusCode::kUnsupported);
  EXPECT_THAT(st.message(), AllOf(HasSubstr("blk.0.attn_q.weight"), HasSubstr("ggml type 12"),
                                  HasSubstr("Q4_K")));
  ExpectError(GgufBuilder().Tensor("t", 1000, {1}, "").Build(), StatusCode::kUnsupported,
              "ggml type 1000");
  ExpectError(GgufBuilder().Tensor("q", 8, {16, 2}, std::string(34, '\0')).Build(),
              StatusCode::kCorrupt, "not a multiple of the Q8_0 block size");
  ExpectError(GgufBuilder().Tensor("t", 0, {~uint64_t{0}}, "").Build(), StatusCode::kCorrupt,
              "dimension is negative");
  ExpectError(GgufBuilder().Tensor("t", 0, {uint64_t{1} << 40, uint64_t{1} << 40}, "").Build(),
              StatusCode::kCorrupt, "overflow");
  ExpectError(GgufBuilder().Tensor("t", 0, {1}, F32s(1)).Tensor("t", 0, {1}, F32s(1)).Build(),
              StatusCode::kCorrupt, "duplicate tensor name");
}

TEST(GgufCorruptTest, BadTensorOffsets) {
  ExpectError(GgufBuilder().Tensor("t", 0, {1}, F32s(1), 4).Build(), StatusCode::kCorrupt,
              "not a multiple of the alignment 32");
  std::string cut = GgufBuilder().Tensor("t", 0, {16}, F32s(16)).Build();
  cut.resize(cut.size() - 4);
  ExpectError(cut, StatusCode::kCorrupt, "runs past the end");
  std::string far = GgufBuilder().Tensor("t", 0, {1}, F32s(1)).Build();
  const uint64_t huge = uint64_t{1} << 62;
  std::memcpy(&far[24 + 9 + 4 + 8 + 4], &huge, 8);  // header, name, n_dims, ne[0], type
  ExpectError(far, StatusCode::kCorrupt, "tensor 't' (info at byte 24): data [4611686018427387904");
  GgufBuilder overlap;
  overlap.Tensor("a", 0, {16}, F32s(16), 0).Tensor("b", 0, {16}, F32s(16), 32);
  ExpectError(overlap.Build(), StatusCode::kCorrupt, "overlaps tensor 'a'");
  // Two empty tensors at the same offset, and an empty one inside another, are fine.
  GgufBuilder empty;
  empty.Tensor("a", 0, {0}, "", 0).Tensor("b", 0, {16}, F32s(16), 0).Tensor("c", 0, {0, 3}, "", 0);
  EXPECT_TRUE(ParseStatus(empty.Build()).ok());
}

TEST(GgufCorruptTest, DataSectionPastEnd) {
  // A tensor info list that ends 1 byte short of the padding: the data section cannot start.
  std::string bytes = GgufBuilder().Tensor("e", 0, {0}, "").Build();
  bytes.resize(bytes.size() - 1);  // only padding follows the infos; the data is empty
  ExpectError(bytes, StatusCode::kCorrupt, "data section would start at byte");
}

}  // namespace
}  // namespace warden::engine
