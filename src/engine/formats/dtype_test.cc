#include "warden/engine/dtype.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "warden/engine/tensor_ref.h"

namespace warden::engine {
namespace {

using ::testing::HasSubstr;

uint32_t Bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
float FromBits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

TEST(DTypeTest, NamesAndSizes) {
  EXPECT_STREQ(DTypeName(DType::kBF16), "BF16");
  EXPECT_STREQ(DTypeName(DType::kQ4_0), "Q4_0");
  for (const char* n : {"F32", "F16", "BF16", "F64", "I8", "I16", "I32", "I64", "U8", "BOOL"}) {
    auto t = DTypeFromSafetensorsName(n);
    ASSERT_TRUE(t.has_value()) << n;
    EXPECT_STREQ(DTypeName(*t), n);
  }
  EXPECT_FALSE(DTypeFromSafetensorsName("Q8_0").has_value()) << "GGUF-only";
  EXPECT_FALSE(DTypeFromSafetensorsName("f32").has_value()) << "case-sensitive";
  EXPECT_FALSE(DTypeFromSafetensorsName("F8_E4M3").has_value());
  EXPECT_EQ(DTypeBlockSize(DType::kQ8_0), 32);
  EXPECT_EQ(DTypeBlockBytes(DType::kQ8_0), 34);
  EXPECT_EQ(DTypeBlockBytes(DType::kQ4_0), 18);
  EXPECT_EQ(DTypeBlockSize(DType::kF16), 1);
  EXPECT_EQ(DTypeBlockBytes(DType::kI64), 8);
}

TEST(DTypeTest, BytesForChecksBlocksAndOverflow) {
  EXPECT_EQ(*DTypeBytesFor(DType::kF32, 10), 40u);
  EXPECT_EQ(*DTypeBytesFor(DType::kQ8_0, 64), 68u);
  EXPECT_EQ(*DTypeBytesFor(DType::kQ4_0, 0), 0u);
  EXPECT_THAT(DTypeBytesFor(DType::kQ4_0, 33).status().message(), HasSubstr("block"));
  EXPECT_THAT(DTypeBytesFor(DType::kF64, uint64_t{1} << 60).status().message(),
              HasSubstr("overflow"));
  EXPECT_FALSE(DTypeBytesFor(DType::kF32, ~uint64_t{0}).ok());
}

TEST(DTypeTest, CheckedNumel) {
  EXPECT_EQ(*CheckedNumel({}), 1u);
  EXPECT_EQ(*CheckedNumel({2, 3, 4}), 24u);
  EXPECT_EQ(*CheckedNumel({5, 0, 7}), 0u);
  EXPECT_THAT(CheckedNumel({2, -1}).status().message(), HasSubstr("dimension 1 is negative"));
  EXPECT_THAT(CheckedNumel({int64_t{1} << 31, int64_t{1} << 31, 2}).status().message(),
              HasSubstr("overflow"));
  EXPECT_THAT(CheckedNumel({int64_t{1} << 40, int64_t{1} << 40, 0}).status().message(),
              HasSubstr("overflow"))
      << "a trailing zero must not hide the overflow before it";
  EXPECT_FALSE(CheckedNumel({std::numeric_limits<int64_t>::max()}).ok());
}

TEST(HalfTest, F16ToF32SpecialValues) {
  EXPECT_EQ(F16ToF32(0x0000), 0.0f);
  EXPECT_TRUE(std::signbit(F16ToF32(0x8000)));
  EXPECT_EQ(F16ToF32(0x3c00), 1.0f);
  EXPECT_EQ(F16ToF32(0xc000), -2.0f);
  EXPECT_EQ(F16ToF32(0x7bff), 65504.0f);
  EXPECT_EQ(F16ToF32(0x0400), std::ldexp(1.0f, -14));     // smallest normal
  EXPECT_EQ(F16ToF32(0x0001), std::ldexp(1.0f, -24));     // smallest subnormal
  EXPECT_EQ(F16ToF32(0x03ff), std::ldexp(1023.0f, -24));  // largest subnormal
  EXPECT_EQ(F16ToF32(0x8001), -std::ldexp(1.0f, -24));
  EXPECT_EQ(F16ToF32(0x7c00), std::numeric_limits<float>::infinity());
  EXPECT_EQ(F16ToF32(0xfc00), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(F16ToF32(0x7e00)));
  EXPECT_TRUE(std::isnan(F16ToF32(0x7c01))) << "signalling NaN stays NaN";
}

TEST(HalfTest, F16RoundTripsEveryValue) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = F16ToF32(static_cast<uint16_t>(h));
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(F16ToF32(F32ToF16(f)))) << std::hex << h;
    } else {
      EXPECT_EQ(F32ToF16(f), h) << std::hex << h;
    }
  }
}

TEST(HalfTest, F32ToF16RoundsToNearestEven) {
  EXPECT_EQ(F32ToF16(65519.0f), 0x7bff);
  EXPECT_EQ(F32ToF16(65520.0f), 0x7c00) << "the tie above the largest half rounds to inf";
  EXPECT_EQ(F32ToF16(1e10f), 0x7c00);
  EXPECT_EQ(F32ToF16(-1e10f), 0xfc00);
  EXPECT_EQ(F32ToF16(1.0f + std::ldexp(1.0f, -11)), 0x3c00) << "tie to even (down)";
  EXPECT_EQ(F32ToF16(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02) << "tie to even (up)";
  EXPECT_EQ(F32ToF16(std::ldexp(1.0f, -25)), 0x0000) << "subnormal tie to even (zero)";
  EXPECT_EQ(F32ToF16(std::ldexp(3.0f, -25)), 0x0002) << "subnormal tie to even (up)";
  EXPECT_EQ(F32ToF16(std::ldexp(1023.5f, -24)), 0x0400) << "rounds up into the normals";
  EXPECT_EQ(F32ToF16(std::ldexp(1.0f, -30)), 0x0000);
  EXPECT_EQ(F32ToF16(-std::ldexp(1.0f, -30)), 0x8000);
  EXPECT_EQ(F32ToF16(std::numeric_limits<float>::quiet_NaN()) & 0x7e00, 0x7e00);
}

#if defined(__FLT16_MAX__)
// The compiler's own conversion (IEEE round to nearest even) as a reference.
TEST(HalfTest, F32ToF16MatchesCompilerOnRandomBits) {
  std::mt19937 rng(42);
  for (int i = 0; i < 2000000; ++i) {
    const float f = FromBits(rng());
    if (std::isnan(f)) continue;
    const _Float16 h = static_cast<_Float16>(f);
    uint16_t want;
    std::memcpy(&want, &h, 2);
    ASSERT_EQ(F32ToF16(f), want) << std::hexfloat << f;
  }
}
#endif

TEST(HalfTest, BF16) {
  for (uint32_t b = 0; b < 0x10000; ++b) {
    const float f = BF16ToF32(static_cast<uint16_t>(b));
    EXPECT_EQ(Bits(f), b << 16);
    if (!std::isnan(f)) EXPECT_EQ(F32ToBF16(f), b);
  }
  EXPECT_EQ(F32ToBF16(FromBits(0x3f808000)), 0x3f80) << "tie to even (down)";
  EXPECT_EQ(F32ToBF16(FromBits(0x3f818000)), 0x3f82) << "tie to even (up)";
  EXPECT_EQ(F32ToBF16(FromBits(0x3f808001)), 0x3f81);
  EXPECT_EQ(F32ToBF16(FromBits(0x7f7fffff)), 0x7f80) << "overflow to inf";
  EXPECT_TRUE(std::isnan(BF16ToF32(F32ToBF16(FromBits(0x7f800001))))) << "NaN stays NaN";
}

TEST(DequantizeTest, RejectsInconsistentRefs) {
  float buf[4] = {1, 2, 3, 4};
  TensorRef ref{"t", DType::kF32, {2, 2}, reinterpret_cast<const uint8_t*>(buf), 12};
  float out[4];
  EXPECT_THAT(DequantizeToF32(ref, out).message(), HasSubstr("'t'"));
  ref.nbytes = 16;
  ref.data = nullptr;
  EXPECT_FALSE(DequantizeToF32(ref, out).ok());
  ref.shape = {-1};
  EXPECT_FALSE(DequantizeToF32(ref, out).ok());
}

TEST(DequantizeTest, IntegerAndBoolTypes) {
  const int8_t i8[3] = {-128, 0, 127};
  const uint8_t b[3] = {0, 1, 7};
  const int64_t i64[1] = {-(int64_t{1} << 40)};
  const double f64[1] = {0.25};
  float out[3];
  TensorRef ref{"x", DType::kI8, {3}, reinterpret_cast<const uint8_t*>(i8), 3};
  ASSERT_TRUE(DequantizeToF32(ref, out).ok());
  EXPECT_EQ(out[0], -128.0f);
  EXPECT_EQ(out[2], 127.0f);
  ref = {"x", DType::kBool, {3}, b, 3};
  ASSERT_TRUE(DequantizeToF32(ref, out).ok());
  EXPECT_EQ(out[2], 1.0f);
  ref = {"x", DType::kI64, {1}, reinterpret_cast<const uint8_t*>(i64), 8};
  ASSERT_TRUE(DequantizeToF32(ref, out).ok());
  EXPECT_EQ(out[0], -std::ldexp(1.0f, 40));
  ref = {"x", DType::kF64, {1}, reinterpret_cast<const uint8_t*>(f64), 8};
  ASSERT_TRUE(DequantizeToF32(ref, out).ok());
  EXPECT_EQ(out[0], 0.25f);
}

}  // namespace
}  // namespace warden::engine
