// SafetensorsDir: a Hugging Face checkpoint directory, single file or sharded.
#include <algorithm>
#include <map>
#include <set>

#include "warden/base/json.h"
#include "warden/engine/safetensors.h"

namespace warden::engine {
namespace {

constexpr char kSingleFile[] = "model.safetensors";
constexpr char kIndexFile[] = "model.safetensors.index.json";

// Reads the index's weight_map: tensor name -> shard file name (a plain name inside the
// directory: a path that could point elsewhere is rejected).
Result<std::map<std::string, std::string>> ReadWeightMap(const std::string& index_path) {
  WARDEN_ASSIGN_OR_RETURN(std::string text, ReadFileToString(index_path));
  WARDEN_ASSIGN_OR_RETURN(nlohmann::json index, ParseJson(text, index_path));
  if (!index.is_object() || !index.contains("weight_map")) {
    return Status::Corrupt(index_path + ": no 'weight_map' object");
  }
  const nlohmann::json& map = index["weight_map"];
  if (!map.is_object()) {
    return Status::Corrupt(index_path + ": 'weight_map' is a JSON " + JsonTypeName(map) +
                           ", expected an object");
  }
  std::map<std::string, std::string> out;
  for (const auto& [tensor, shard] : map.items()) {
    const std::string what = index_path + ": weight_map['" + tensor + "']";
    if (!shard.is_string()) {
      return Status::Corrupt(what + " is a JSON " + JsonTypeName(shard) + ", expected a file name");
    }
    const std::string name = shard.get<std::string>();
    if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") {
      return Status::Corrupt(what + ": '" + name + "' is not a file name in the directory");
    }
    out.emplace(tensor, name);
  }
  if (out.empty()) return Status::Corrupt(index_path + ": 'weight_map' is empty");
  return out;
}

}  // namespace

Result<std::unique_ptr<SafetensorsDir>> SafetensorsDir::Open(const std::string& dir) {
  if (!IsDirectory(dir)) return Status::NotFound(dir + ": not a directory");
  auto out = std::make_unique<SafetensorsDir>();
  out->dir_ = dir;
  const std::string index_path = dir + "/" + kIndexFile;
  if (!FileExists(index_path)) {
    const std::string single = dir + "/" + kSingleFile;
    if (!FileExists(single)) {
      return Status::NotFound(dir + ": neither " + kSingleFile + " nor " + kIndexFile + " exists");
    }
    WARDEN_ASSIGN_OR_RETURN(std::unique_ptr<SafetensorsFile> file, SafetensorsFile::Open(single));
    out->tensors_ = file->tensors();
    out->shards_.push_back(std::move(file));
    return out;
  }

  WARDEN_ASSIGN_OR_RETURN(auto weight_map, ReadWeightMap(index_path));
  std::map<std::string, SafetensorsFile*> shards;  // by file name, each opened once
  for (const auto& [tensor, shard_name] : weight_map) {
    if (shards.count(shard_name) != 0) continue;
    const std::string shard_path = dir + "/" + shard_name;
    if (!FileExists(shard_path)) {
      return Status::NotFound(index_path + ": shard '" + shard_name + "' (for tensor '" + tensor +
                              "') does not exist");
    }
    WARDEN_ASSIGN_OR_RETURN(std::unique_ptr<SafetensorsFile> file,
                            SafetensorsFile::Open(shard_path));
    shards[shard_name] = file.get();
    out->shards_.push_back(std::move(file));
  }
  for (const auto& [tensor, shard_name] : weight_map) {
    const TensorRef* t = shards[shard_name]->Find(tensor);
    if (t == nullptr) {
      return Status::Corrupt(index_path + ": tensor '" + tensor + "' is listed in shard '" +
                             shard_name + "', which does not contain it");
    }
    out->tensors_.push_back(*t);
  }
  // A tensor in a shard but not in the index would be silently dropped: refuse instead.
  for (const auto& [shard_name, file] : shards) {
    for (const TensorRef& t : file->tensors()) {
      auto it = weight_map.find(t.name);
      if (it == weight_map.end() || it->second != shard_name) {
        return Status::Corrupt(
            index_path + ": shard '" + shard_name + "' holds tensor '" + t.name +
            "', which the index " +
            (it == weight_map.end() ? "does not list" : "places in '" + it->second + "'"));
      }
    }
  }
  return out;
}

std::vector<std::string> SafetensorsDir::files() const {
  std::vector<std::string> out;
  for (const auto& shard : shards_) out.push_back(shard->path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace warden::engine
