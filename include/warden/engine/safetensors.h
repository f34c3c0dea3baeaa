// safetensors reader and writer. Torch-free. https://huggingface.co/docs/safetensors
//
// Open() validates the header: its length against the file, JSON syntax, every dtype, shape
// and [begin, end) data offset (in bounds, consistent with dtype x shape, non-overlapping).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "warden/base/file.h"
#include "warden/base/status.h"
#include "warden/engine/tensor_ref.h"

namespace warden::engine {

class SafetensorsFile : public WeightFile {
 public:
  static Result<std::unique_ptr<SafetensorsFile>> Open(const std::string& path);
  // Parses from memory (used by the fuzzer); `bytes` must outlive the object.
  static Result<std::unique_ptr<SafetensorsFile>> Parse(const uint8_t* bytes, size_t size,
                                                        const std::string& source);

  // The optional "__metadata__" string map.
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

  const std::vector<TensorRef>& tensors() const override { return tensors_; }
  std::string format() const override { return "safetensors"; }
  std::string path() const override { return source_; }

 private:
  SafetensorsFile() = default;
  std::unique_ptr<MappedFile> file_;
  std::string source_;
  std::map<std::string, std::string> metadata_;
  std::vector<TensorRef> tensors_;
};

// A tensor to write: borrowed bytes in row-major order. Only F32, F16, BF16, F64 and the integer
// types are written (block-quantised types are not part of safetensors).
struct TensorToWrite {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  const void* data = nullptr;
  uint64_t nbytes = 0;
};

// Writes atomically (temp file + rename). Tensors are laid out in name order, 8-byte aligned
// header as the format requires. Errors on duplicate names or nbytes inconsistent with shape.
Status WriteSafetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                        const std::map<std::string, std::string>& metadata = {});

// A Hugging Face checkpoint directory: config.json plus model.safetensors, or shards listed in
// model.safetensors.index.json. Tensors of all shards appear as one list.
class SafetensorsDir : public WeightFile {
 public:
  static Result<std::unique_ptr<SafetensorsDir>> Open(const std::string& dir);
  const std::vector<TensorRef>& tensors() const override { return tensors_; }
  std::string format() const override { return "safetensors"; }
  std::string path() const override { return dir_; }
  std::vector<std::string> files() const override;  // the shards, in name order

 private:
  std::string dir_;
  std::vector<std::unique_ptr<SafetensorsFile>> shards_;
  std::vector<TensorRef> tensors_;
};

}  // namespace warden::engine
