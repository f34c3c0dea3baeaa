// GGUF reader. The layout (all little-endian):
//   "GGUF" u32 version, u64 n_tensors, u64 n_kv,
//   n_kv x { string key, u32 value_type, value },
//   n_tensors x { string name, u32 n_dims, u64 ne[n_dims] (innermost first), u32 ggml_type,
//                 u64 offset (relative to the data section) },
//   padding to general.alignment, data section.
// A string is u64 length + bytes; an array is u32 element type, u64 count, elements.
#include "warden/engine/gguf.h"

#include <algorithm>
#include <cstring>
#include <set>

namespace warden::engine {
namespace {

using Type = GgufValue::Type;

constexpr uint32_t kMaxDims = 4;  // GGML_MAX_DIMS
constexpr uint64_t kDefaultAlignment = 32;
// The smallest possible encodings of one entry. A count is checked against the bytes that
// remain before anything is reserved, so a corrupt count cannot make us allocate gigabytes.
constexpr uint64_t kMinKvBytes = 8 + 4 + 1;              // empty key, type, 1-byte value
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 4 + 8;  // empty name, n_dims 0, type, offset

const char* TypeName(Type t) {
  static constexpr const char* kNames[] = {"u8",   "i8",     "u16",   "i16", "u32", "i32", "f32",
                                           "bool", "string", "array", "u64", "i64", "f64"};
  return kNames[static_cast<int>(t)];
}

// Bytes of one scalar of type t; 0 for strings and arrays, whose size is variable.
uint64_t ScalarBytes(Type t) {
  switch (t) {
    case Type::kU8:
    case Type::kI8:
    case Type::kBool: return 1;
    case Type::kU16:
    case Type::kI16: return 2;
    case Type::kU32:
    case Type::kI32:
    case Type::kF32: return 4;
    case Type::kU64:
    case Type::kI64:
    case Type::kF64: return 8;
    case Type::kString:
    case Type::kArray: return 0;
  }
  return 0;
}

bool IsInteger(Type t) {
  return t == Type::kU8 || t == Type::kI8 || t == Type::kU16 || t == Type::kI16 ||
         t == Type::kU32 || t == Type::kI32 || t == Type::kU64 || t == Type::kI64;
}

// ggml's type ids for the block and plain types warden reads; anything else is unsupported.
std::optional<DType> DTypeFromGgml(uint32_t id) {
  switch (id) {
    case 0: return DType::kF32;
    case 1: return DType::kF16;
    case 2: return DType::kQ4_0;
    case 8: return DType::kQ8_0;
    case 24: return DType::kI8;
    case 25: return DType::kI16;
    case 26: return DType::kI32;
    case 27: return DType::kI64;
    case 28: return DType::kF64;
    case 30: return DType::kBF16;
    default: return std::nullopt;
  }
}

// Names of the ggml types we do not read, so that the error says what the file holds.
std::string GgmlTypeName(uint32_t id) {
  static constexpr const char* kNames[] = {
      "F32",   "F16",        "Q4_0",       "Q4_1",       "Q4_2",     "Q4_3",     "Q5_0",
      "Q5_1",  "Q8_0",       "Q8_1",       "Q2_K",       "Q3_K",     "Q4_K",     "Q5_K",
      "Q6_K",  "Q8_K",       "IQ2_XXS",    "IQ2_XS",     "IQ3_XXS",  "IQ1_S",    "IQ4_NL",
      "IQ3_S", "IQ2_S",      "IQ4_XS",     "I8",         "I16",      "I32",      "I64",
      "F64",   "IQ1_M",      "BF16",       "Q4_0_4_4",   "Q4_0_4_8", "Q4_0_8_8", "TQ1_0",
      "TQ2_0", "IQ4_NL_4_4", "IQ4_NL_4_8", "IQ4_NL_8_8", "MXFP4"};
  if (id < sizeof(kNames) / sizeof(kNames[0])) return kNames[id];
  return "unknown";
}

// ByteReader plus GGUF's strings and values. `what` strings name the field for errors.
class GgufReader {
 public:
  GgufReader(const uint8_t* data, size_t size, const std::string& source)
      : r_(data, size, source), source_(source) {}

  ByteReader& bytes() { return r_; }
  Status Error(const std::string& what, const std::string& problem) const {
    return r_.Error(what.c_str(), problem);
  }
  Status ErrorAt(size_t offset, const std::string& what, const std::string& problem) const {
    return Status::Corrupt(source_ + ": " + what + " at byte " + std::to_string(offset) + ": " +
                           problem);
  }

  template <class T>
  Result<T> Read(const std::string& what) {
    WARDEN_ASSIGN_OR_RETURN(std::string_view b, r_.Bytes(sizeof(T), what.c_str()));
    T v;
    std::memcpy(&v, b.data(), sizeof(T));
    return v;
  }

  // Fails unless `count` entries of at least `min_bytes` each fit in what remains.
  Status CheckCount(uint64_t count, uint64_t min_bytes, const std::string& what) const {
    if (count > r_.remaining() / min_bytes) {
      return Error(what, "count " + std::to_string(count) + " cannot fit in the " +
                             std::to_string(r_.remaining()) + " bytes that remain");
    }
    return Status::Ok();
  }

  Result<std::string> String(const std::string& what) {
    WARDEN_ASSIGN_OR_RETURN(uint64_t len, Read<uint64_t>(what + " length"));
    if (len > r_.remaining()) {
      return Error(what, "string length " + std::to_string(len) + " exceeds the " +
                             std::to_string(r_.remaining()) + " bytes that remain");
    }
    WARDEN_ASSIGN_OR_RETURN(std::string_view s, r_.Bytes(static_cast<size_t>(len), what.c_str()));
    return std::string(s);
  }

  Result<Type> ValueType(const std::string& what) {
    WARDEN_ASSIGN_OR_RETURN(uint32_t id, Read<uint32_t>(what));
    if (id > static_cast<uint32_t>(Type::kF64)) {
      return Error(what, "unknown value type id " + std::to_string(id));
    }
    return static_cast<Type>(id);
  }

  Result<GgufValue> Value(Type type, const std::string& what);

 private:
  // Reads a T and stores it widened to Stored (uint64_t, int64_t or double).
  template <class Stored, class T>
  Status ReadAs(const std::string& what, GgufValue* v) {
    WARDEN_ASSIGN_OR_RETURN(T x, Read<T>(what));
    v->scalar = static_cast<Stored>(x);
    return Status::Ok();
  }
  Status Scalar(Type type, const std::string& what, GgufValue* v);
  Status Array(const std::string& what, GgufValue* v);

  ByteReader r_;
  const std::string& source_;
};

Status GgufReader::Scalar(Type type, const std::string& what, GgufValue* v) {
  v->type = type;
  switch (type) {
    case Type::kU8: return ReadAs<uint64_t, uint8_t>(what, v);
    case Type::kU16: return ReadAs<uint64_t, uint16_t>(what, v);
    case Type::kU32: return ReadAs<uint64_t, uint32_t>(what, v);
    case Type::kU64: return ReadAs<uint64_t, uint64_t>(what, v);
    case Type::kI8: return ReadAs<int64_t, int8_t>(what, v);
    case Type::kI16: return ReadAs<int64_t, int16_t>(what, v);
    case Type::kI32: return ReadAs<int64_t, int32_t>(what, v);
    case Type::kI64: return ReadAs<int64_t, int64_t>(what, v);
    case Type::kF32: return ReadAs<double, float>(what, v);
    case Type::kF64: return ReadAs<double, double>(what, v);
    case Type::kBool: {
      WARDEN_ASSIGN_OR_RETURN(uint8_t x, Read<uint8_t>(what));
      if (x > 1) return Error(what, "bool byte is " + std::to_string(x) + ", not 0 or 1");
      v->scalar = x == 1;
      return Status::Ok();
    }
    case Type::kString: {
      WARDEN_ASSIGN_OR_RETURN(v->scalar, String(what));
      return Status::Ok();
    }
    case Type::kArray: return Array(what, v);
  }
  return Status::Ok();
}

double AsDouble(const GgufValue& v) {
  if (auto* u = std::get_if<uint64_t>(&v.scalar)) return static_cast<double>(*u);
  if (auto* i = std::get_if<int64_t>(&v.scalar)) return static_cast<double>(*i);
  if (auto* d = std::get_if<double>(&v.scalar)) return *d;
  if (auto* b = std::get_if<bool>(&v.scalar)) return *b ? 1.0 : 0.0;
  return 0.0;
}

Status GgufReader::Array(const std::string& what, GgufValue* v) {
  WARDEN_ASSIGN_OR_RETURN(v->elem_type, ValueType(what + " element type"));
  if (v->elem_type == Type::kArray) {
    return Status::Unsupported(source_ + ": " + what + " at byte " + std::to_string(r_.offset()) +
                               ": nested arrays are not supported");
  }
  WARDEN_ASSIGN_OR_RETURN(uint64_t n, Read<uint64_t>(what + " count"));
  const uint64_t min_bytes = v->elem_type == Type::kString ? 8 : ScalarBytes(v->elem_type);
  WARDEN_RETURN_IF_ERROR(CheckCount(n, min_bytes, what + " count"));
  GgufValue elem;
  if (v->elem_type == Type::kString) {
    v->strings.reserve(static_cast<size_t>(n));
    for (uint64_t i = 0; i < n; ++i) {
      WARDEN_ASSIGN_OR_RETURN(std::string s, String(what + "[" + std::to_string(i) + "]"));
      v->strings.push_back(std::move(s));
    }
    return Status::Ok();
  }
  v->numbers.reserve(static_cast<size_t>(n));
  for (uint64_t i = 0; i < n; ++i) {
    WARDEN_RETURN_IF_ERROR(Scalar(v->elem_type, what, &elem));
    v->numbers.push_back(AsDouble(elem));
  }
  return Status::Ok();
}

Result<GgufValue> GgufReader::Value(Type type, const std::string& what) {
  GgufValue v;
  WARDEN_RETURN_IF_ERROR(Scalar(type, what, &v));
  return v;
}

struct Header {
  uint32_t version = 0;
  uint64_t n_tensors = 0;
  uint64_t n_kv = 0;
};

Result<Header> ReadHeader(GgufReader& r, const std::string& source) {
  WARDEN_ASSIGN_OR_RETURN(std::string_view magic, r.bytes().Bytes(4, "magic"));
  if (magic != "GGUF") return r.Error("magic", "not a GGUF file (expected \"GGUF\")");
  Header h;
  WARDEN_ASSIGN_OR_RETURN(h.version, r.Read<uint32_t>("version"));
  if (h.version == 1) {
    return Status::Unsupported(source +
                               ": GGUF version 1 is not supported (only 2 and 3 are); "
                               "re-convert the model with a current llama.cpp");
  }
  if (h.version != 2 && h.version != 3) {
    const bool swapped = h.version == 0x02000000u || h.version == 0x03000000u;
    return Status::Unsupported(source + ": GGUF version " + std::to_string(h.version) +
                               " is not supported (only 2 and 3 are)" +
                               (swapped ? "; this looks like a big-endian file" : ""));
  }
  WARDEN_ASSIGN_OR_RETURN(h.n_tensors, r.Read<uint64_t>("tensor count"));
  WARDEN_ASSIGN_OR_RETURN(h.n_kv, r.Read<uint64_t>("metadata key/value count"));
  WARDEN_RETURN_IF_ERROR(r.CheckCount(h.n_kv, kMinKvBytes, "metadata key/value count"));
  WARDEN_RETURN_IF_ERROR(r.CheckCount(h.n_tensors, kMinTensorInfoBytes, "tensor count"));
  return h;
}

Status ReadMetadata(GgufReader& r, uint64_t n_kv, std::map<std::string, GgufValue>* out) {
  for (uint64_t i = 0; i < n_kv; ++i) {
    const size_t at = r.bytes().offset();
    WARDEN_ASSIGN_OR_RETURN(std::string key, r.String("metadata key #" + std::to_string(i)));
    const std::string what = "metadata '" + key + "'";
    WARDEN_ASSIGN_OR_RETURN(Type type, r.ValueType(what + " value type"));
    WARDEN_ASSIGN_OR_RETURN(GgufValue value, r.Value(type, what));
    if (!out->emplace(std::move(key), std::move(value)).second) {
      return r.ErrorAt(at, what, "duplicate metadata key");
    }
  }
  return Status::Ok();
}

struct TensorInfo {
  TensorRef ref;
  uint64_t offset = 0;  // relative to the data section
  size_t info_at = 0;   // where the entry starts in the file, for errors
};

Result<TensorInfo> ReadTensorInfo(GgufReader& r, uint64_t index) {
  TensorInfo t;
  t.info_at = r.bytes().offset();
  WARDEN_ASSIGN_OR_RETURN(t.ref.name, r.String("tensor #" + std::to_string(index) + " name"));
  const std::string what = "tensor '" + t.ref.name + "'";
  WARDEN_ASSIGN_OR_RETURN(uint32_t n_dims, r.Read<uint32_t>(what + " n_dims"));
  if (n_dims > kMaxDims) {
    return r.Error(what, "has " + std::to_string(n_dims) + " dimensions (at most 4)");
  }
  t.ref.shape.resize(n_dims);
  for (uint32_t d = 0; d < n_dims; ++d) {  // ne[] is innermost first; shape is outermost first
    WARDEN_ASSIGN_OR_RETURN(uint64_t ne, r.Read<uint64_t>(what + " ne[" + std::to_string(d) + "]"));
    if (ne > static_cast<uint64_t>(INT64_MAX)) return r.Error(what, "dimension is negative");
    t.ref.shape[n_dims - 1 - d] = static_cast<int64_t>(ne);
  }
  WARDEN_ASSIGN_OR_RETURN(uint32_t type_id, r.Read<uint32_t>(what + " type"));
  std::optional<DType> dtype = DTypeFromGgml(type_id);
  if (!dtype) {
    return Status::Unsupported(r.Error(what, "ggml type " + std::to_string(type_id) + " (" +
                                                 GgmlTypeName(type_id) + ") is not supported")
                                   .message());
  }
  t.ref.dtype = *dtype;
  Result<uint64_t> numel = CheckedNumel(t.ref.shape);
  if (!numel.ok()) return r.Error(what, "bad shape: " + numel.status().message());
  const int64_t block = DTypeBlockSize(t.ref.dtype);
  if (n_dims > 0 && t.ref.shape.back() % block != 0) {
    return r.Error(what, std::string("innermost dimension ") + std::to_string(t.ref.shape.back()) +
                             " is not a multiple of the " + DTypeName(t.ref.dtype) +
                             " block size " + std::to_string(block));
  }
  Result<uint64_t> nbytes = DTypeBytesFor(t.ref.dtype, *numel);
  if (!nbytes.ok()) return r.Error(what, nbytes.status().message());
  t.ref.nbytes = *nbytes;
  WARDEN_ASSIGN_OR_RETURN(t.offset, r.Read<uint64_t>(what + " data offset"));
  return t;
}

Result<uint64_t> Alignment(const std::map<std::string, GgufValue>& metadata,
                           const std::string& source) {
  auto it = metadata.find("general.alignment");
  if (it == metadata.end()) return kDefaultAlignment;
  const GgufValue& v = it->second;
  const std::string at = source + ": metadata 'general.alignment'";
  if (!IsInteger(v.type)) {
    return Status::Corrupt(at + " is a " + TypeName(v.type) + ", not an integer");
  }
  const auto* u = std::get_if<uint64_t>(&v.scalar);
  const auto* i = std::get_if<int64_t>(&v.scalar);
  if (u ? (*u < 1 || *u > (uint64_t{1} << 30)) : (*i < 1 || *i > (int64_t{1} << 30))) {
    return Status::Corrupt(at + " is " + (u ? std::to_string(*u) : std::to_string(*i)) +
                           ", outside [1, 2^30]");
  }
  const uint64_t align = u ? *u : static_cast<uint64_t>(*i);
  if ((align & (align - 1)) != 0) {
    return Status::Corrupt(at + " is " + std::to_string(align) + ", not a power of two");
  }
  return align;
}

// Resolves each tensor's data pointer: aligned, inside the file, not overlapping another.
Status PlaceTensors(const uint8_t* bytes, size_t size, size_t infos_end, uint64_t alignment,
                    const std::string& source, std::vector<TensorInfo>* infos) {
  if (infos->empty()) return Status::Ok();  // vocabulary-only files may end without padding
  const uint64_t data_start = (infos_end + alignment - 1) / alignment * alignment;
  if (data_start > size) {
    return Status::Corrupt(source + ": data section would start at byte " +
                           std::to_string(data_start) + ", past the end of the file (" +
                           std::to_string(size) + " bytes)");
  }
  const uint64_t data_size = size - data_start;
  for (TensorInfo& t : *infos) {
    const std::string where =
        source + ": tensor '" + t.ref.name + "' (info at byte " + std::to_string(t.info_at) + ")";
    if (t.offset % alignment != 0) {
      return Status::Corrupt(where + ": data offset " + std::to_string(t.offset) +
                             " is not a multiple of the alignment " + std::to_string(alignment));
    }
    if (t.offset > data_size || t.ref.nbytes > data_size - t.offset) {
      return Status::Corrupt(where + ": data [" + std::to_string(t.offset) + ", +" +
                             std::to_string(t.ref.nbytes) + ") runs past the end of the " +
                             std::to_string(data_size) + "-byte data section");
    }
    t.ref.data = bytes + data_start + t.offset;
  }
  std::vector<const TensorInfo*> by_offset;  // empty tensors cannot overlap anything
  for (const TensorInfo& t : *infos) {
    if (t.ref.nbytes > 0) by_offset.push_back(&t);
  }
  std::sort(by_offset.begin(), by_offset.end(),
            [](const TensorInfo* a, const TensorInfo* b) { return a->offset < b->offset; });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    const TensorInfo& prev = *by_offset[i - 1];
    if (by_offset[i]->offset < prev.offset + prev.ref.nbytes) {
      return Status::Corrupt(source + ": tensor '" + by_offset[i]->ref.name + "' data at offset " +
                             std::to_string(by_offset[i]->offset) + " overlaps tensor '" +
                             prev.ref.name + "' [" + std::to_string(prev.offset) + ", " +
                             std::to_string(prev.offset + prev.ref.nbytes) + ")");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<GgufFile>> GgufFile::Open(const std::string& path) {
  WARDEN_ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> file, MappedFile::Open(path));
  WARDEN_ASSIGN_OR_RETURN(std::unique_ptr<GgufFile> gguf, Parse(file->data(), file->size(), path));
  gguf->file_ = std::move(file);
  return gguf;
}

Result<std::unique_ptr<GgufFile>> GgufFile::Parse(const uint8_t* bytes, size_t size,
                                                  const std::string& source) {
  std::unique_ptr<GgufFile> f(new GgufFile());
  f->source_ = source;
  GgufReader r(bytes, size, source);
  WARDEN_ASSIGN_OR_RETURN(Header h, ReadHeader(r, source));
  f->version_ = h.version;
  WARDEN_RETURN_IF_ERROR(ReadMetadata(r, h.n_kv, &f->metadata_));
  WARDEN_ASSIGN_OR_RETURN(uint64_t alignment, Alignment(f->metadata_, source));
  // Recheck: the metadata has been consumed since the header's check.
  WARDEN_RETURN_IF_ERROR(r.CheckCount(h.n_tensors, kMinTensorInfoBytes, "tensor count"));
  std::vector<TensorInfo> infos;
  infos.reserve(static_cast<size_t>(h.n_tensors));
  std::set<std::string_view> names;
  for (uint64_t i = 0; i < h.n_tensors; ++i) {
    WARDEN_ASSIGN_OR_RETURN(TensorInfo t, ReadTensorInfo(r, i));
    infos.push_back(std::move(t));
  }
  for (const TensorInfo& t : infos) {
    if (!names.insert(t.ref.name).second) {
      return Status::Corrupt(source + ": tensor '" + t.ref.name + "' (info at byte " +
                             std::to_string(t.info_at) + "): duplicate tensor name");
    }
  }
  WARDEN_RETURN_IF_ERROR(PlaceTensors(bytes, size, r.bytes().offset(), alignment, source, &infos));
  f->tensors_.reserve(infos.size());
  for (TensorInfo& t : infos) f->tensors_.push_back(std::move(t.ref));
  return f;
}

const GgufValue* GgufFile::Find(std::string_view key) const {
  auto it = metadata_.find(std::string(key));
  return it == metadata_.end() ? nullptr : &it->second;
}

namespace {

Result<const GgufValue*> Lookup(const GgufFile& f, std::string_view key) {
  const GgufValue* v = f.Find(key);
  if (v == nullptr) {
    return Status::NotFound(f.path() + ": metadata key '" + std::string(key) + "' not found");
  }
  return v;
}

Status WrongType(const GgufFile& f, std::string_view key, const GgufValue& v, const char* want) {
  std::string have = TypeName(v.type);
  if (v.type == Type::kArray) have += std::string(" of ") + TypeName(v.elem_type);
  return Status::InvalidArgument(f.path() + ": metadata key '" + std::string(key) + "' is " + have +
                                 ", expected " + want);
}

}  // namespace

Result<std::string> GgufFile::GetString(std::string_view key) const {
  WARDEN_ASSIGN_OR_RETURN(const GgufValue* v, Lookup(*this, key));
  if (v->type != Type::kString) return WrongType(*this, key, *v, "string");
  return std::get<std::string>(v->scalar);
}

Result<int64_t> GgufFile::GetInt(std::string_view key) const {
  WARDEN_ASSIGN_OR_RETURN(const GgufValue* v, Lookup(*this, key));
  if (!IsInteger(v->type)) return WrongType(*this, key, *v, "an integer");
  if (auto* u = std::get_if<uint64_t>(&v->scalar)) {
    if (*u > static_cast<uint64_t>(INT64_MAX)) {
      return Status::InvalidArgument(path() + ": metadata key '" + std::string(key) +
                                     "' = " + std::to_string(*u) + " does not fit in int64");
    }
    return static_cast<int64_t>(*u);
  }
  return std::get<int64_t>(v->scalar);
}

Result<double> GgufFile::GetFloat(std::string_view key) const {
  WARDEN_ASSIGN_OR_RETURN(const GgufValue* v, Lookup(*this, key));
  if (!IsInteger(v->type) && v->type != Type::kF32 && v->type != Type::kF64) {
    return WrongType(*this, key, *v, "a number");
  }
  return AsDouble(*v);
}

Result<bool> GgufFile::GetBool(std::string_view key) const {
  WARDEN_ASSIGN_OR_RETURN(const GgufValue* v, Lookup(*this, key));
  if (v->type != Type::kBool) return WrongType(*this, key, *v, "bool");
  return std::get<bool>(v->scalar);
}

Result<const std::vector<std::string>*> GgufFile::GetStringArray(std::string_view key) const {
  WARDEN_ASSIGN_OR_RETURN(const GgufValue* v, Lookup(*this, key));
  if (v->type != Type::kArray || v->elem_type != Type::kString) {
    return WrongType(*this, key, *v, "array of string");
  }
  return &v->strings;
}

Result<const std::vector<double>*> GgufFile::GetNumberArray(std::string_view key) const {
  WARDEN_ASSIGN_OR_RETURN(const GgufValue* v, Lookup(*this, key));
  if (v->type != Type::kArray || v->elem_type == Type::kString) {
    return WrongType(*this, key, *v, "array of numbers");
  }
  return &v->numbers;
}

}  // namespace warden::engine
