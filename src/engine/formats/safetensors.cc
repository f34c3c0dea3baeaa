// safetensors reader. The layout:
//   u64 N (little-endian), N bytes of UTF-8 JSON (may end in spaces), then the data buffer.
//   JSON: {"<name>": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...,
//          "__metadata__": {"<key>": "<string>", ...}}   (offsets relative to the data buffer)
#include "warden/engine/safetensors.h"

#include <algorithm>
#include <cstring>

#include "warden/base/json.h"

namespace warden::engine {
namespace {

using nlohmann::json;

// The reference implementation refuses headers above 100 MB; so do we.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;
constexpr char kMetadataKey[] = "__metadata__";

struct Entry {
  TensorRef ref;
  uint64_t begin = 0;
  uint64_t end = 0;
};

// A JSON integer >= 0 (2.0 and "2" are not), or an error naming `what`.
Result<uint64_t> NonNegativeInt(const json& j, const std::string& what) {
  if (j.is_number_unsigned()) return j.get<uint64_t>();
  if (j.is_number_integer()) {
    return Status::Corrupt(what + " is negative (" + std::to_string(j.get<int64_t>()) + ")");
  }
  return Status::Corrupt(what + " is a JSON " + JsonTypeName(j) + ", expected an integer >= 0");
}

Result<std::map<std::string, std::string>> ParseMetadata(const json& j, const std::string& at) {
  if (!j.is_object()) {
    return Status::Corrupt(at + ": '__metadata__' is a JSON " + JsonTypeName(j) +
                           ", expected an object of strings");
  }
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : j.items()) {
    if (!value.is_string()) {
      return Status::Corrupt(at + ": '__metadata__." + key + "' is a JSON " + JsonTypeName(value) +
                             ", expected a string");
    }
    out.emplace(key, value.get<std::string>());
  }
  return out;
}

Result<std::vector<int64_t>> ParseShape(const json& j, const std::string& what) {
  if (!j.is_array()) {
    return Status::Corrupt(what + " is a JSON " + JsonTypeName(j) + ", expected an array");
  }
  if (j.size() > 8)
    return Status::Corrupt(what + " has " + std::to_string(j.size()) + " dimensions");
  std::vector<int64_t> shape;
  for (size_t i = 0; i < j.size(); ++i) {
    WARDEN_ASSIGN_OR_RETURN(uint64_t d, NonNegativeInt(j[i], what + "[" + std::to_string(i) + "]"));
    if (d > static_cast<uint64_t>(INT64_MAX)) return Status::Corrupt(what + " dimension too large");
    shape.push_back(static_cast<int64_t>(d));
  }
  return shape;
}

// One "<name>": {...} entry, checked against itself and the data buffer size.
Result<Entry> ParseEntry(const std::string& name, const json& j, uint64_t buffer_size,
                         const std::string& at) {
  const std::string what = at + ": tensor '" + name + "'";
  if (!j.is_object()) {
    return Status::Corrupt(what + " is a JSON " + JsonTypeName(j) + ", expected an object");
  }
  for (const char* field : {"dtype", "shape", "data_offsets"}) {
    if (!j.contains(field)) return Status::Corrupt(what + ": missing field '" + field + "'");
  }
  Entry e;
  e.ref.name = name;
  const json& dtype = j["dtype"];
  if (!dtype.is_string()) {
    return Status::Corrupt(what + ": 'dtype' is a JSON " + JsonTypeName(dtype) +
                           ", expected a string");
  }
  std::optional<DType> t = DTypeFromSafetensorsName(dtype.get<std::string>());
  if (!t) {
    return Status::Unsupported(what + ": dtype '" + dtype.get<std::string>() +
                               "' is not supported (F32 F16 BF16 F64 I8 I16 I32 I64 U8 BOOL are)");
  }
  e.ref.dtype = *t;
  WARDEN_ASSIGN_OR_RETURN(e.ref.shape, ParseShape(j["shape"], what + ": 'shape'"));
  const json& offsets = j["data_offsets"];
  if (!offsets.is_array() || offsets.size() != 2) {
    return Status::Corrupt(what + ": 'data_offsets' must be an array [begin, end]");
  }
  WARDEN_ASSIGN_OR_RETURN(e.begin, NonNegativeInt(offsets[0], what + ": 'data_offsets[0]'"));
  WARDEN_ASSIGN_OR_RETURN(e.end, NonNegativeInt(offsets[1], what + ": 'data_offsets[1]'"));
  if (e.begin > e.end || e.end > buffer_size) {
    return Status::Corrupt(what + ": data_offsets [" + std::to_string(e.begin) + ", " +
                           std::to_string(e.end) + ") are out of bounds of the " +
                           std::to_string(buffer_size) + "-byte data buffer");
  }
  Result<uint64_t> numel = CheckedNumel(e.ref.shape);
  if (!numel.ok()) return Status::Corrupt(what + ": bad shape: " + numel.status().message());
  Result<uint64_t> nbytes = DTypeBytesFor(e.ref.dtype, *numel);
  if (!nbytes.ok()) return Status::Corrupt(what + ": " + nbytes.status().message());
  e.ref.nbytes = *nbytes;
  if (e.end - e.begin != e.ref.nbytes) {
    return Status::Corrupt(what + ": data_offsets span " + std::to_string(e.end - e.begin) +
                           " bytes but " + DTypeName(e.ref.dtype) + " x shape needs " +
                           std::to_string(e.ref.nbytes));
  }
  return e;
}

Status CheckNoOverlap(std::vector<const Entry*> entries, const std::string& at) {
  entries.erase(std::remove_if(entries.begin(), entries.end(),
                               [](const Entry* e) { return e->begin == e->end; }),
                entries.end());  // empty tensors cannot overlap anything
  std::sort(entries.begin(), entries.end(),
            [](const Entry* a, const Entry* b) { return a->begin < b->begin; });
  for (size_t i = 1; i < entries.size(); ++i) {
    if (entries[i]->begin < entries[i - 1]->end) {
      return Status::Corrupt(
          at + ": tensor '" + entries[i]->ref.name + "' data [" +
          std::to_string(entries[i]->begin) + ", " + std::to_string(entries[i]->end) +
          ") overlaps tensor '" + entries[i - 1]->ref.name + "' [" +
          std::to_string(entries[i - 1]->begin) + ", " + std::to_string(entries[i - 1]->end) + ")");
    }
  }
  return Status::Ok();
}

// The header length, checked against the file: returns N.
Result<uint64_t> ReadHeaderLength(const uint8_t* bytes, size_t size, const std::string& source) {
  ByteReader r(bytes, size, source);
  WARDEN_ASSIGN_OR_RETURN(uint64_t n, r.U64("header length"));
  if (n > size - 8) {
    return r.Error("header length", std::to_string(n) + " is larger than the " +
                                        std::to_string(size - 8) + " bytes after it");
  }
  if (n > kMaxHeaderBytes) {
    return r.Error("header length", std::to_string(n) + " exceeds the 100 MB limit");
  }
  if (n < 2 || bytes[8] != '{') {
    return Status::Corrupt(source +
                           ": header at byte 8 does not start with '{' (not a safetensors file?)");
  }
  return n;
}

}  // namespace

Result<std::unique_ptr<SafetensorsFile>> SafetensorsFile::Open(const std::string& path) {
  WARDEN_ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> file, MappedFile::Open(path));
  WARDEN_ASSIGN_OR_RETURN(std::unique_ptr<SafetensorsFile> st,
                          Parse(file->data(), file->size(), path));
  st->file_ = std::move(file);
  return st;
}

Result<std::unique_ptr<SafetensorsFile>> SafetensorsFile::Parse(const uint8_t* bytes, size_t size,
                                                                const std::string& source) {
  WARDEN_ASSIGN_OR_RETURN(uint64_t header_len, ReadHeaderLength(bytes, size, source));
  const std::string_view text(reinterpret_cast<const char*>(bytes) + 8, header_len);
  WARDEN_ASSIGN_OR_RETURN(json header, ParseJson(text, source + ": header", 8));
  const std::string at = source + ": header";
  if (!header.is_object()) return Status::Corrupt(at + " is not a JSON object");

  std::unique_ptr<SafetensorsFile> f(new SafetensorsFile());
  f->source_ = source;
  const uint8_t* buffer = bytes + 8 + header_len;
  const uint64_t buffer_size = size - 8 - header_len;
  std::vector<Entry> entries;
  entries.reserve(header.size());
  for (const auto& [name, value] : header.items()) {
    if (name == kMetadataKey) {
      WARDEN_ASSIGN_OR_RETURN(f->metadata_, ParseMetadata(value, at));
      continue;
    }
    Result<Entry> e = ParseEntry(name, value, buffer_size, at);
    if (!e.ok()) return e.status();
    entries.push_back(std::move(e).value());
  }
  std::vector<const Entry*> ptrs;
  for (const Entry& e : entries) ptrs.push_back(&e);
  WARDEN_RETURN_IF_ERROR(CheckNoOverlap(ptrs, at));
  f->tensors_.reserve(entries.size());
  for (Entry& e : entries) {
    e.ref.data = buffer + e.begin;
    f->tensors_.push_back(std::move(e.ref));
  }
  return f;
}

}  // namespace warden::engine
