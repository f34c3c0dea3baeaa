#include "warden/engine/dtype.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace warden::engine {
namespace {

// Sizes read from files are capped here, well below uint64 overflow, so that any sum or
// product of two of them that a parser forms still fits.
constexpr uint64_t kMaxCount = uint64_t{1} << 62;

uint32_t FloatBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof(u));
  return u;
}

float BitsFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof(f));
  return f;
}

}  // namespace

const char* DTypeName(DType t) {
  switch (t) {
    case DType::kF32: return "F32";
    case DType::kF16: return "F16";
    case DType::kBF16: return "BF16";
    case DType::kF64: return "F64";
    case DType::kI8: return "I8";
    case DType::kI16: return "I16";
    case DType::kI32: return "I32";
    case DType::kI64: return "I64";
    case DType::kU8: return "U8";
    case DType::kBool: return "BOOL";
    case DType::kQ8_0: return "Q8_0";
    case DType::kQ4_0: return "Q4_0";
  }
  return "?";
}

std::optional<DType> DTypeFromSafetensorsName(const std::string& name) {
  // Block-quantised types are GGUF-only and deliberately absent.
  static constexpr DType kSafetensorsTypes[] = {DType::kF32, DType::kF16, DType::kBF16, DType::kF64,
                                                DType::kI8,  DType::kI16, DType::kI32,  DType::kI64,
                                                DType::kU8,  DType::kBool};
  for (DType t : kSafetensorsTypes) {
    if (name == DTypeName(t)) return t;
  }
  return std::nullopt;
}

int64_t DTypeBlockSize(DType t) { return (t == DType::kQ8_0 || t == DType::kQ4_0) ? 32 : 1; }

int64_t DTypeBlockBytes(DType t) {
  switch (t) {
    case DType::kF32: return 4;
    case DType::kF16: return 2;
    case DType::kBF16: return 2;
    case DType::kF64: return 8;
    case DType::kI8: return 1;
    case DType::kI16: return 2;
    case DType::kI32: return 4;
    case DType::kI64: return 8;
    case DType::kU8: return 1;
    case DType::kBool: return 1;
    case DType::kQ8_0: return 2 + 32;      // f16 scale, 32 x int8
    case DType::kQ4_0: return 2 + 32 / 2;  // f16 scale, 32 x 4 bits
  }
  return 0;
}

Result<uint64_t> DTypeBytesFor(DType t, uint64_t numel) {
  const uint64_t block = static_cast<uint64_t>(DTypeBlockSize(t));
  const uint64_t block_bytes = static_cast<uint64_t>(DTypeBlockBytes(t));
  if (numel % block != 0) {
    return Status::InvalidArgument(std::to_string(numel) + " elements is not a whole number of " +
                                   DTypeName(t) + " blocks of " + std::to_string(block));
  }
  const uint64_t blocks = numel / block;
  if (blocks > kMaxCount / block_bytes) {
    return Status::InvalidArgument(std::to_string(numel) + " elements of " + DTypeName(t) +
                                   " overflow the 2^62-byte size limit");
  }
  return blocks * block_bytes;
}

Result<uint64_t> CheckedNumel(const std::vector<int64_t>& shape) {
  uint64_t numel = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] < 0) {
      return Status::InvalidArgument("dimension " + std::to_string(i) + " is negative (" +
                                     std::to_string(shape[i]) + ")");
    }
    const uint64_t d = static_cast<uint64_t>(shape[i]);
    if (d > kMaxCount) {
      return Status::InvalidArgument("dimension " + std::to_string(i) + " (" + std::to_string(d) +
                                     ") exceeds 2^62");
    }
    // The check is per step, so a zero dim does not hide an overflow in the dims before it.
    if (d != 0 && numel > kMaxCount / d) {
      return Status::InvalidArgument("element count overflows 2^62 at dimension " +
                                     std::to_string(i));
    }
    numel *= d;
  }
  return numel;
}

float F16ToF32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  const uint32_t mant = h & 0x3ffu;
  if (exp == 0x1f) return BitsFloat(sign | 0x7f800000u | (mant << 13));  // inf, NaN
  if (exp != 0) return BitsFloat(sign | ((exp + (127 - 15)) << 23) | (mant << 13));
  // Zero or subnormal: mant * 2^-24 is exactly representable as a normal f32.
  const float magnitude = std::ldexp(static_cast<float>(mant), -24);
  return sign ? -magnitude : magnitude;
}

uint16_t F32ToF16(float f) {
  const uint32_t x = FloatBits(f);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  const uint32_t abs = x & 0x7fffffffu;
  if (abs >= 0x7f800000u) {  // inf or NaN; a NaN stays a quiet NaN with the top payload bits
    const uint32_t nan_bits = abs > 0x7f800000u ? (0x200u | ((abs >> 13) & 0x3ffu)) : 0u;
    return static_cast<uint16_t>(sign | 0x7c00u | nan_bits);
  }
  if (abs >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // >= 65520: inf
  if (abs >= 0x38800000u) {                                              // >= 2^-14: a normal half
    const uint32_t mant = abs & 0x7fffffu;
    uint32_t h = (((abs >> 23) - (127 - 15)) << 10) | (mant >> 13);
    const uint32_t rest = mant & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;  // a carry moves the exponent up
    return static_cast<uint16_t>(sign | h);
  }
  // Subnormal half: count units of 2^-24. The scaling is exact, nearbyint rounds half to even,
  // and a result of 0x400 is the correct encoding of the smallest normal.
  const float units = std::nearbyint(BitsFloat(abs) * 16777216.0f);
  return static_cast<uint16_t>(sign | static_cast<uint16_t>(units));
}

float BF16ToF32(uint16_t b) { return BitsFloat(static_cast<uint32_t>(b) << 16); }

uint16_t F32ToBF16(float f) {
  const uint32_t x = FloatBits(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 0x40u);  // NaN
  const uint32_t rounding = 0x7fffu + ((x >> 16) & 1u);
  return static_cast<uint16_t>((x + rounding) >> 16);
}

}  // namespace warden::engine
