// Test-only: builds small GGUF files in memory, valid by default, with knobs to break them.
// Header-only so that the glob for the warden_engine_formats library does not pick it up.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace warden::engine::testing {

class GgufBuilder {
 public:
  // GGUF value type ids.
  enum : uint32_t {
    kU8 = 0,
    kI8,
    kU16,
    kI16,
    kU32,
    kI32,
    kF32,
    kBool,
    kString,
    kArray,
    kU64,
    kI64,
    kF64
  };

  explicit GgufBuilder(uint32_t version = 3) : version_(version) {}

  // A key with an already-encoded value of type `type`.
  GgufBuilder& Raw(const std::string& key, uint32_t type, const std::string& value) {
    std::string kv = Str(key);
    Put(&kv, type);
    kv += value;
    kvs_.push_back(kv);
    return *this;
  }
  GgufBuilder& U32(const std::string& key, uint32_t v) { return Raw(key, kU32, Pod(v)); }
  GgufBuilder& I32(const std::string& key, int32_t v) { return Raw(key, kI32, Pod(v)); }
  GgufBuilder& U64(const std::string& key, uint64_t v) { return Raw(key, kU64, Pod(v)); }
  GgufBuilder& F32(const std::string& key, float v) { return Raw(key, kF32, Pod(v)); }
  GgufBuilder& Bool(const std::string& key, bool v) { return Raw(key, kBool, Pod<uint8_t>(v)); }
  GgufBuilder& String(const std::string& key, const std::string& v) {
    return Raw(key, kString, Str(v));
  }
  GgufBuilder& StringArray(const std::string& key, const std::vector<std::string>& v) {
    std::string a = Pod<uint32_t>(kString) + Pod<uint64_t>(v.size());
    for (const std::string& s : v) a += Str(s);
    return Raw(key, kArray, a);
  }
  template <class T>
  GgufBuilder& NumberArray(const std::string& key, uint32_t elem_type, const std::vector<T>& v) {
    std::string a = Pod<uint32_t>(elem_type) + Pod<uint64_t>(v.size());
    for (T x : v) a += Pod(x);
    return Raw(key, kArray, a);
  }

  // A tensor; `ne` is innermost first as GGUF stores it. `offset` < 0: placed after the
  // previous tensor at the next aligned offset.
  GgufBuilder& Tensor(const std::string& name, uint32_t ggml_type, std::vector<uint64_t> ne,
                      std::string data, int64_t offset = -1) {
    tensors_.push_back({name, ggml_type, std::move(ne), std::move(data), offset});
    return *this;
  }

  // Header overrides for corruption tests.
  GgufBuilder& TensorCount(uint64_t n) {
    n_tensors_ = n;
    return *this;
  }
  GgufBuilder& KvCount(uint64_t n) {
    n_kv_ = n;
    return *this;
  }
  GgufBuilder& Alignment(uint64_t a) {
    alignment_ = a;
    return *this;
  }

  std::string Build() const {
    std::string out = "GGUF" + Pod(version_);
    out += Pod<uint64_t>(n_tensors_ != kAuto ? n_tensors_ : tensors_.size());
    out += Pod<uint64_t>(n_kv_ != kAuto ? n_kv_ : kvs_.size());
    for (const std::string& kv : kvs_) out += kv;
    std::vector<uint64_t> offsets;
    uint64_t next = 0;
    for (const TensorSpec& t : tensors_) {
      const uint64_t at = t.offset >= 0 ? static_cast<uint64_t>(t.offset) : next;
      offsets.push_back(at);
      next = AlignUp(std::max(next, at + t.data.size()));
      out += Str(t.name) + Pod<uint32_t>(static_cast<uint32_t>(t.ne.size()));
      for (uint64_t d : t.ne) out += Pod(d);
      out += Pod(t.type) + Pod(at);
    }
    if (tensors_.empty()) return out;
    out.resize(AlignUp(out.size()), '\0');
    const size_t data_start = out.size();
    for (size_t i = 0; i < tensors_.size(); ++i) {
      const std::string& d = tensors_[i].data;
      if (out.size() < data_start + offsets[i] + d.size()) {
        out.resize(data_start + offsets[i] + d.size(), '\0');
      }
      std::memcpy(&out[data_start + offsets[i]], d.data(), d.size());
    }
    return out;
  }

  template <class T>
  static std::string Pod(T v) {
    return std::string(reinterpret_cast<const char*>(&v), sizeof(v));
  }
  static std::string Str(const std::string& s) { return Pod<uint64_t>(s.size()) + s; }

 private:
  static constexpr uint64_t kAuto = ~uint64_t{0};
  struct TensorSpec {
    std::string name;
    uint32_t type;
    std::vector<uint64_t> ne;
    std::string data;
    int64_t offset;
  };
  uint64_t AlignUp(uint64_t n) const { return (n + alignment_ - 1) / alignment_ * alignment_; }
  static void Put(std::string* s, uint32_t v) { *s += Pod(v); }

  uint32_t version_;
  uint64_t n_tensors_ = kAuto;
  uint64_t n_kv_ = kAuto;
  uint64_t alignment_ = 32;
  std::vector<std::string> kvs_;
  std::vector<TensorSpec> tensors_;
};

}  // namespace warden::engine::testing
