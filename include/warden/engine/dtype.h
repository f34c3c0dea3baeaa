// Element types of stored tensors, and their sizes. Torch-free: used by the file parsers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "warden/base/status.h"

namespace warden::engine {

enum class DType {
  kF32,
  kF16,
  kBF16,
  kF64,
  kI8,
  kI16,
  kI32,
  kI64,
  kU8,
  kBool,
  kQ8_0,  // GGUF block format: 32 int8 values + one f16 scale per block (34 bytes)
  kQ4_0,  // GGUF block format: 32 4-bit values + one f16 scale per block (18 bytes)
};

const char* DTypeName(DType t);  // "F32", "F16", "BF16", "Q8_0", ... (safetensors/GGUF spelling)
std::optional<DType> DTypeFromSafetensorsName(const std::string& name);  // "F32", "BF16" ...

// Elements per block (1 for plain types, 32 for Q8_0/Q4_0) and bytes per block.
int64_t DTypeBlockSize(DType t);
int64_t DTypeBlockBytes(DType t);

// Bytes needed for `numel` elements; errors if numel is not a whole number of blocks or the
// product overflows. Every parser uses this before trusting a size read from a file.
Result<uint64_t> DTypeBytesFor(DType t, uint64_t numel);

// Product of dims; errors on negative dims or overflow past 2^62.
Result<uint64_t> CheckedNumel(const std::vector<int64_t>& shape);

// IEEE binary16 and bfloat16 <-> binary32, bit patterns in and out. The widening conversions
// are exact (subnormals, infinities and NaN payloads included); the narrowing ones round to
// nearest, ties to even, overflow to infinity, and keep NaN a (quiet) NaN.
float F16ToF32(uint16_t h);
uint16_t F32ToF16(float f);
float BF16ToF32(uint16_t b);
uint16_t F32ToBF16(float f);

}  // namespace warden::engine
