// WriteSafetensors: deterministic output (tensors in name order, compact JSON with sorted keys,
// header padded with spaces to a multiple of 8 so the data buffer starts 8-byte aligned).
#include <algorithm>
#include <cstring>
#include <set>

#include "warden/base/json.h"
#include "warden/engine/safetensors.h"

namespace warden::engine {
namespace {

Status CheckTensor(const TensorToWrite& t, const std::string& path) {
  const std::string what = path + ": tensor '" + t.name + "'";
  if (t.name.empty()) return Status::InvalidArgument(path + ": a tensor has an empty name");
  if (t.name == "__metadata__") return Status::InvalidArgument(what + ": reserved name");
  if (DTypeBlockSize(t.dtype) != 1) {
    return Status::InvalidArgument(what + ": " + DTypeName(t.dtype) +
                                   " cannot be stored in safetensors (dequantize first)");
  }
  Result<uint64_t> numel = CheckedNumel(t.shape);
  if (!numel.ok()) return numel.status().WithContext(what);
  WARDEN_ASSIGN_OR_RETURN(uint64_t want, DTypeBytesFor(t.dtype, *numel));
  if (t.nbytes != want) {
    return Status::InvalidArgument(what + ": nbytes is " + std::to_string(t.nbytes) + " but " +
                                   DTypeName(t.dtype) + " x shape needs " + std::to_string(want));
  }
  if (t.data == nullptr && t.nbytes != 0) return Status::InvalidArgument(what + ": data is null");
  return Status::Ok();
}

}  // namespace

Status WriteSafetensors(const std::string& path, const std::vector<TensorToWrite>& tensors,
                        const std::map<std::string, std::string>& metadata) {
  std::vector<const TensorToWrite*> sorted;
  std::set<std::string_view> names;
  for (const TensorToWrite& t : tensors) {
    WARDEN_RETURN_IF_ERROR(CheckTensor(t, path));
    if (!names.insert(t.name).second) {
      return Status::InvalidArgument(path + ": duplicate tensor name '" + t.name + "'");
    }
    sorted.push_back(&t);
  }
  std::sort(sorted.begin(), sorted.end(),
            [](const TensorToWrite* a, const TensorToWrite* b) { return a->name < b->name; });

  nlohmann::json header = nlohmann::json::object();
  uint64_t offset = 0;
  for (const TensorToWrite* t : sorted) {
    header[t->name] = {{"dtype", DTypeName(t->dtype)},
                       {"shape", t->shape},
                       {"data_offsets", {offset, offset + t->nbytes}}};
    offset += t->nbytes;
  }
  if (!metadata.empty()) header["__metadata__"] = metadata;

  std::string text;
  try {
    text = header.dump();  // throws on names or values that are not valid UTF-8
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument(path + ": cannot encode the header: " + e.what());
  }
  text.append((8 - text.size() % 8) % 8, ' ');

  std::string out;
  out.reserve(8 + text.size() + offset);
  const uint64_t header_len = text.size();
  out.append(reinterpret_cast<const char*>(&header_len), 8);  // little-endian hosts only
  out += text;
  for (const TensorToWrite* t : sorted) {
    if (t->nbytes > 0) out.append(static_cast<const char*>(t->data), t->nbytes);
  }
  return WriteFileAtomic(path, out);
}

}  // namespace warden::engine
