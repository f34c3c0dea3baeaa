// GGUF (v2, v3) reader. Torch-free. https://github.com/ggml-org/ggml/blob/master/docs/gguf.md
//
// Open() maps the file and validates the whole header before returning: every string and array
// length, every key/value type, every tensor's dtype, rank, dims, offset, alignment and size
// against the file's length. After a successful Open no accessor can read out of bounds.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "warden/base/file.h"
#include "warden/base/status.h"
#include "warden/engine/tensor_ref.h"

namespace warden::engine {

// One metadata value. Arrays hold scalars or strings (nested arrays are rejected as unsupported).
struct GgufValue {
  enum class Type { kU8, kI8, kU16, kI16, kU32, kI32, kF32, kBool, kString, kArray, kU64, kI64, kF64 };
  Type type = Type::kU32;
  std::variant<uint64_t, int64_t, double, bool, std::string> scalar;  // non-array values
  Type elem_type = Type::kU32;               // arrays: element type
  std::vector<std::string> strings;          // arrays of strings
  std::vector<double> numbers;               // arrays of numbers/bools (exact for |x| < 2^53)
};

class GgufFile : public WeightFile {
 public:
  static Result<std::unique_ptr<GgufFile>> Open(const std::string& path);
  // Parses from memory (used by the fuzzer); `bytes` must outlive the object.
  static Result<std::unique_ptr<GgufFile>> Parse(const uint8_t* bytes, size_t size,
                                                 const std::string& source);

  uint32_t version() const { return version_; }
  const std::map<std::string, GgufValue>& metadata() const { return metadata_; }
  // A metadata value, nullptr if absent. Note: this hides WeightFile::Find (tensors) on a
  // GgufFile; use FindTensor() or Get() for tensors.
  const GgufValue* Find(std::string_view key) const;
  const TensorRef* FindTensor(std::string_view name) const { return WeightFile::Find(name); }

  // Typed getters: NotFound if absent, InvalidArgument naming the key if of the wrong type.
  Result<std::string> GetString(std::string_view key) const;
  Result<int64_t> GetInt(std::string_view key) const;   // any integer type
  Result<double> GetFloat(std::string_view key) const;  // any numeric type
  Result<bool> GetBool(std::string_view key) const;
  Result<const std::vector<std::string>*> GetStringArray(std::string_view key) const;
  Result<const std::vector<double>*> GetNumberArray(std::string_view key) const;

  const std::vector<TensorRef>& tensors() const override { return tensors_; }
  std::string format() const override { return "gguf"; }
  std::string path() const override { return source_; }

 private:
  GgufFile() = default;
  std::unique_ptr<MappedFile> file_;  // null when parsed from memory
  std::string source_;
  uint32_t version_ = 0;
  std::map<std::string, GgufValue> metadata_;
  std::vector<TensorRef> tensors_;
};

}  // namespace warden::engine
