#include "warden/engine/tensor_ref.h"

#include <cstring>

namespace warden::engine {
namespace {

// Reads element i of a packed little-endian array of T, whatever the alignment of `data`.
template <class T>
T Load(const uint8_t* data, uint64_t i) {
  T v;
  std::memcpy(&v, data + i * sizeof(T), sizeof(T));
  return v;
}

template <class T>
void Widen(const uint8_t* data, uint64_t numel, float* out) {
  for (uint64_t i = 0; i < numel; ++i) out[i] = static_cast<float>(Load<T>(data, i));
}

// Q8_0 block: f16 scale d, then 32 int8 q; value = d * q.
void DequantizeQ8_0(const uint8_t* data, uint64_t numel, float* out) {
  const uint64_t block_bytes = static_cast<uint64_t>(DTypeBlockBytes(DType::kQ8_0));
  for (uint64_t b = 0; b < numel / 32; ++b) {
    const uint8_t* block = data + b * block_bytes;
    const float d = F16ToF32(Load<uint16_t>(block, 0));
    for (int j = 0; j < 32; ++j)
      out[b * 32 + j] = d * static_cast<float>(Load<int8_t>(block + 2, j));
  }
}

// Q4_0 block: f16 scale d, then 16 bytes; byte j holds element j in its low nibble and
// element j + 16 in its high nibble; value = d * (nibble - 8).
void DequantizeQ4_0(const uint8_t* data, uint64_t numel, float* out) {
  const uint64_t block_bytes = static_cast<uint64_t>(DTypeBlockBytes(DType::kQ4_0));
  for (uint64_t b = 0; b < numel / 32; ++b) {
    const uint8_t* block = data + b * block_bytes;
    const float d = F16ToF32(Load<uint16_t>(block, 0));
    float* o = out + b * 32;
    for (int j = 0; j < 16; ++j) {
      const uint8_t q = block[2 + j];
      o[j] = d * static_cast<float>(static_cast<int>(q & 0x0f) - 8);
      o[j + 16] = d * static_cast<float>(static_cast<int>(q >> 4) - 8);
    }
  }
}

}  // namespace

Status DequantizeToF32(const TensorRef& ref, float* out) {
  WARDEN_ASSIGN_OR_RETURN(uint64_t numel, CheckedNumel(ref.shape));
  Result<uint64_t> nbytes = DTypeBytesFor(ref.dtype, numel);
  if (!nbytes.ok()) return nbytes.status().WithContext("tensor '" + ref.name + "'");
  if (*nbytes != ref.nbytes || (ref.data == nullptr && ref.nbytes != 0)) {
    return Status::InvalidArgument(
        "tensor '" + ref.name + "': holds " + std::to_string(ref.nbytes) + " bytes but its " +
        DTypeName(ref.dtype) + " shape needs " + std::to_string(*nbytes));
  }
  if (numel == 0) return Status::Ok();
  const uint8_t* d = ref.data;
  switch (ref.dtype) {
    case DType::kF32: std::memcpy(out, d, numel * sizeof(float)); break;
    case DType::kF16:
      for (uint64_t i = 0; i < numel; ++i) out[i] = F16ToF32(Load<uint16_t>(d, i));
      break;
    case DType::kBF16:
      for (uint64_t i = 0; i < numel; ++i) out[i] = BF16ToF32(Load<uint16_t>(d, i));
      break;
    case DType::kF64: Widen<double>(d, numel, out); break;
    case DType::kI8: Widen<int8_t>(d, numel, out); break;
    case DType::kI16: Widen<int16_t>(d, numel, out); break;
    case DType::kI32: Widen<int32_t>(d, numel, out); break;
    case DType::kI64: Widen<int64_t>(d, numel, out); break;
    case DType::kU8: Widen<uint8_t>(d, numel, out); break;
    case DType::kBool:
      for (uint64_t i = 0; i < numel; ++i) out[i] = d[i] != 0 ? 1.0f : 0.0f;
      break;
    case DType::kQ8_0: DequantizeQ8_0(d, numel, out); break;
    case DType::kQ4_0: DequantizeQ4_0(d, numel, out); break;
  }
  return Status::Ok();
}

const TensorRef* WeightFile::Find(std::string_view name) const {
  for (const TensorRef& t : tensors()) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

Result<const TensorRef*> WeightFile::Get(std::string_view name) const {
  const TensorRef* t = Find(name);
  if (t == nullptr) {
    return Status::NotFound(path() + ": no tensor named '" + std::string(name) + "' (" + format() +
                            " file with " + std::to_string(tensors().size()) + " tensors)");
  }
  return t;
}

}  // namespace warden::engine
