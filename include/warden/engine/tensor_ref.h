// A tensor as stored in a file: a view, not a copy. Torch-free.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "warden/base/status.h"
#include "warden/engine/dtype.h"

namespace warden::engine {

struct TensorRef {
  std::string name;            // as in the file (e.g. "blk.0.attn_q.weight", "model.norm.weight")
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;  // outermost first, row-major, as torch sees it. GGUF's ne[] is
                               // innermost first, so its readers reverse it.
  const uint8_t* data = nullptr;  // points into the file's mapping; valid while the file lives
  uint64_t nbytes = 0;            // validated: equals DTypeBytesFor(dtype, numel)
};

// Converts any supported stored dtype (F32, F16, BF16, F64, Q8_0, Q4_0, integer types) to f32.
// `out` must hold numel(ref.shape) floats.
Status DequantizeToF32(const TensorRef& ref, float* out);

// An opened checkpoint: a list of tensors plus where they came from. Implementations own the
// file mapping, so every TensorRef::data stays valid for the lifetime of this object.
class WeightFile {
 public:
  virtual ~WeightFile() = default;
  virtual const std::vector<TensorRef>& tensors() const = 0;
  virtual std::string format() const = 0;  // "safetensors" | "gguf" | "llama2c"
  virtual std::string path() const = 0;
  // The files the tensors come from (the shards of a sharded checkpoint); by default path().
  virtual std::vector<std::string> files() const { return {path()}; }

  // nullptr if absent.
  const TensorRef* Find(std::string_view name) const;
  // NotFound naming the file and the tensor if absent.
  Result<const TensorRef*> Get(std::string_view name) const;
};

}  // namespace warden::engine
