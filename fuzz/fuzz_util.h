// Shared by the fuzz targets: checks that a parser's output keeps its promises.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <vector>

#include "warden/engine/tensor_ref.h"

namespace warden::fuzz {

// Aborts (a finding) unless `cond`: for invariants the parsers promise, not for bad input.
inline void Require(bool cond) {
  if (!cond) std::abort();
}

// Every tensor must lie inside the input [begin, begin + size) and match its dtype x shape;
// reading every byte lets AddressSanitizer see any lie. Small tensors are also dequantized.
inline uint64_t TouchTensors(const engine::WeightFile& file, const uint8_t* begin, size_t size) {
  uint64_t sum = 0;
  for (const engine::TensorRef& t : file.tensors()) {
    Require(t.data >= begin && t.nbytes <= size &&
            t.data - begin <= static_cast<ptrdiff_t>(size - t.nbytes));
    auto numel = engine::CheckedNumel(t.shape);
    Require(numel.ok());
    auto nbytes = engine::DTypeBytesFor(t.dtype, *numel);
    Require(nbytes.ok() && *nbytes == t.nbytes);
    for (uint64_t i = 0; i < t.nbytes; ++i) sum += t.data[i];
    if (*numel <= (1u << 16)) {
      std::vector<float> out(*numel);
      Require(engine::DequantizeToF32(t, out.data()).ok());
    }
    Require(file.Find(t.name) != nullptr);
  }
  return sum;
}

}  // namespace warden::fuzz
