// Every malformed safetensors file must produce a non-OK Status naming the file and the
// problem, never a crash. Each case asserts on the message, so a missing check fails.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>

#include "warden/engine/safetensors.h"

namespace warden::engine {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

const char kSource[] = "bad.safetensors";

// header length + header + data.
std::string File(const std::string& header, const std::string& data = std::string(16, '\x01')) {
  const uint64_t n = header.size();
  return std::string(reinterpret_cast<const char*>(&n), 8) + header + data;
}

Status ParseStatus(const std::string& bytes) {
  return SafetensorsFile::Parse(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(),
                                kSource)
      .status();
}

void ExpectError(const std::string& bytes, const std::string& needle,
                 StatusCode code = StatusCode::kCorrupt) {
  Status st = ParseStatus(bytes);
  ASSERT_FALSE(st.ok()) << "accepted a file that should fail with: " << needle;
  EXPECT_EQ(st.code(), code) << st.ToString();
  EXPECT_THAT(st.message(), AllOf(HasSubstr(kSource), HasSubstr(needle)));
}

// A one-tensor header with the given field values spliced in.
std::string One(const std::string& dtype, const std::string& shape, const std::string& offsets) {
  return File(R"({"t":{"dtype":)" + dtype + R"(,"shape":)" + shape + R"(,"data_offsets":)" +
              offsets + "}}");
}

const char kValidHeader[] =
    R"({"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
    R"("b":{"dtype":"F16","shape":[2,2],"data_offsets":[8,16]}})";

TEST(SafetensorsCorruptTest, ValidBaselineParses) {
  Status st = ParseStatus(File(kValidHeader));
  EXPECT_TRUE(st.ok()) << st.ToString();
}

TEST(SafetensorsCorruptTest, EveryTruncationFails) {
  const std::string full = File(kValidHeader);
  for (size_t n = 0; n < full.size(); ++n) {
    Status st = ParseStatus(full.substr(0, n));
    ASSERT_FALSE(st.ok()) << "prefix of " << n << " bytes accepted";
    ASSERT_THAT(st.message(), HasSubstr(kSource)) << n;
  }
}

TEST(SafetensorsCorruptTest, FlippedBytesNeverCrash) {
  const std::string full = File(kValidHeader);
  for (size_t i = 0; i < full.size(); ++i) {
    for (uint8_t x : {uint8_t{0x01}, uint8_t{0x20}, uint8_t{0x80}, uint8_t{0xff}}) {
      std::string bad = full;
      bad[i] = static_cast<char>(bad[i] ^ x);
      Status st = ParseStatus(bad);
      if (!st.ok()) EXPECT_THAT(st.message(), HasSubstr(kSource)) << i;
    }
  }
}

TEST(SafetensorsCorruptTest, HeaderLength) {
  ExpectError("", "header length at byte 0");
  ExpectError("\x02\x00\x00", "header length");
  std::string bad = File(kValidHeader);
  const uint64_t huge = ~uint64_t{0};
  std::memcpy(&bad[0], &huge, 8);
  ExpectError(bad, "is larger than the");
  ExpectError(File("   {}"), "does not start with '{'");
  ExpectError(File("x"), "does not start with '{'");
}

TEST(SafetensorsCorruptTest, MalformedJson) {
  ExpectError(File(R"({"a":})"), "malformed JSON at byte 13");  // 8 + offset of '}'
  ExpectError(File(R"({"a":{"dtype":"F32"})"), "malformed JSON");
  ExpectError(File("{\"\xff\":{}}"), "malformed JSON");  // not UTF-8
  ExpectError(File(std::string(100, '{')), "nested deeper");
  ExpectError(File(R"({} trailing)"), "malformed JSON");
  ExpectError(File(R"({"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                   R"("t":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})"),
              "duplicate key 't'");
}

TEST(SafetensorsCorruptTest, WrongJsonTypes) {
  ExpectError(File(R"({"t":3})"), "tensor 't' is a JSON integer, expected an object");
  ExpectError(File(R"({"t":{"shape":[1],"data_offsets":[0,4]}})"), "missing field 'dtype'");
  ExpectError(File(R"({"t":{"dtype":"F32","data_offsets":[0,4]}})"), "missing field 'shape'");
  ExpectError(File(R"({"t":{"dtype":"F32","shape":[1]}})"), "missing field 'data_offsets'");
  ExpectError(One("7", "[1]", "[0,4]"), "'dtype' is a JSON integer");
  ExpectError(One(R"("F32")", R"("1")", "[0,4]"), "'shape' is a JSON string");
  ExpectError(One(R"("F32")", "[2.0]", "[0,8]"), "'shape'[0] is a JSON number");
  ExpectError(One(R"("F32")", "[-1]", "[0,4]"), "'shape'[0] is negative");
  ExpectError(One(R"("F32")", "[1,1,1,1,1,1,1,1,1]", "[0,4]"), "9 dimensions");
  ExpectError(One(R"("F32")", "[1]", "4"), "'data_offsets' must be an array [begin, end]");
  ExpectError(One(R"("F32")", "[1]", "[0,4,8]"), "'data_offsets' must be an array");
  ExpectError(One(R"("F32")", "[1]", "[-4,0]"), "'data_offsets[0]' is negative");
  ExpectError(One(R"("F32")", "[1]", "[0,\"4\"]"), "'data_offsets[1]' is a JSON string");
  ExpectError(File(R"({"__metadata__":[1]})"), "'__metadata__' is a JSON array");
  ExpectError(File(R"({"__metadata__":{"k":1}})"), "'__metadata__.k' is a JSON integer");
}

TEST(SafetensorsCorruptTest, UnsupportedDtypes) {
  ExpectError(One(R"("F8_E4M3")", "[1]", "[0,1]"), "tensor 't': dtype 'F8_E4M3' is not supported",
              StatusCode::kUnsupported);
  ExpectError(One(R"("Q8_0")", "[32]", "[0,34]"), "dtype 'Q8_0'", StatusCode::kUnsupported);
  ExpectError(One(R"("f32")", "[1]", "[0,4]"), "dtype 'f32'", StatusCode::kUnsupported);
}

TEST(SafetensorsCorruptTest, OffsetsAndSizes) {
  ExpectError(One(R"("F32")", "[1]", "[8,4]"), "out of bounds");
  ExpectError(One(R"("F32")", "[5]", "[0,20]"),
              "data_offsets [0, 20) are out of bounds of the 16-byte");
  ExpectError(One(R"("F32")", "[1]", "[0,18446744073709551615]"), "out of bounds");
  ExpectError(One(R"("F32")", "[2]", "[0,4]"), "span 4 bytes but F32 x shape needs 8");
  ExpectError(One(R"("F32")", "[1099511627776,1099511627776]", "[0,4]"), "bad shape");
  ExpectError(One(R"("F64")", "[2305843009213693952]", "[0,4]"), "overflow");
  ExpectError(File(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                   R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})"),
              "tensor 'b' data [4, 12) overlaps tensor 'a' [0, 8)");
  // Empty tensors anywhere, and gaps between tensors, are accepted.
  EXPECT_TRUE(ParseStatus(File(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[4,4]},)"
                               R"("b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                               R"("c":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}})"))
                  .ok());
}

}  // namespace
}  // namespace warden::engine
