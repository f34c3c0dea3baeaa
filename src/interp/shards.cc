#include "warden/interp/shards.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "warden/base/env.h"
#include "warden/base/file.h"
#include "warden/base/json.h"
#include "warden/engine/safetensors.h"

namespace warden::interp {
namespace {

using Json = nlohmann::json;

std::string ShardName(int64_t index) {
  char name[40];
  std::snprintf(name, sizeof name, "shard-%05lld.safetensors", static_cast<long long>(index));
  return name;
}

// "shard-*.safetensors": a name ShardName wrote.
bool IsShard(const std::string& name) {
  const std::string ext = ".safetensors";
  return name.rfind("shard-", 0) == 0 && name.size() > ext.size() &&
         name.compare(name.size() - ext.size(), ext.size(), ext) == 0;
}

// Rows [start, start + rows) of `set` as one shard file.
Status WriteShard(const ActivationSet& set, int64_t start, int64_t rows, const std::string& path) {
  std::vector<engine::TensorToWrite> tensors;
  std::vector<int64_t> labels;
  Json ids = Json::array(), splits = Json::array(), cats = Json::array(), clusters = Json::array();
  for (int64_t i = start; i < start + rows; ++i) {
    const LabelledConversation& c = set.items[static_cast<size_t>(i)];
    labels.push_back(c.label);
    ids.push_back(c.id);
    splits.push_back(c.split);
    cats.push_back(c.category);
    clusters.push_back(c.cluster);
  }
  for (const HookActivations& h : set.hooks) {
    tensors.push_back({h.name, engine::DType::kF32, {rows, h.values.cols}, h.values.data.data() + start * h.values.cols,
                       static_cast<uint64_t>(rows * h.values.cols) * sizeof(float)});
  }
  tensors.push_back({"labels", engine::DType::kI64, {rows}, labels.data(), labels.size() * sizeof(int64_t)});
  const std::map<std::string, std::string> meta = {{"model_sha256", set.model_sha256},
                                                   {"position", PositionRuleName(set.rule)},
                                                   {"ids", ids.dump()},
                                                   {"splits", splits.dump()},
                                                   {"categories", cats.dump()},
                                                   {"clusters", clusters.dump()}};
  return engine::WriteSafetensors(path, tensors, meta);
}

// Appends the rows of one shard file to `set`; `first` takes hooks, model and rule from it.
Status ReadShard(const std::string& path, bool first, ActivationSet* set) {
  WARDEN_ASSIGN_OR_RETURN(auto f, engine::SafetensorsFile::Open(path));
  const auto& meta = f->metadata();
  auto field = [&](const char* key) -> Result<Json> {
    auto it = meta.find(key);
    if (it == meta.end()) return Status::Corrupt(path + ": metadata has no '" + key + "'");
    WARDEN_ASSIGN_OR_RETURN(Json j, ParseJson(it->second, path + " metadata " + key));
    if (!j.is_array()) return Status::Corrupt(path + ": metadata '" + key + "' is not a list");
    return j;
  };
  WARDEN_ASSIGN_OR_RETURN(Json ids, field("ids"));
  WARDEN_ASSIGN_OR_RETURN(Json splits, field("splits"));
  WARDEN_ASSIGN_OR_RETURN(Json cats, field("categories"));
  WARDEN_ASSIGN_OR_RETURN(Json clusters, field("clusters"));
  const std::string sha = meta.count("model_sha256") ? meta.at("model_sha256") : "";
  if (first) {
    set->model_sha256 = sha;
    WARDEN_ASSIGN_OR_RETURN(set->rule, PositionRuleFromName(meta.count("position") ? meta.at("position") : ""));
  } else if (sha != set->model_sha256) {
    return Status::Corrupt(path + ": captured from a different model than the shards before it");
  }
  WARDEN_ASSIGN_OR_RETURN(const engine::TensorRef* labels, f->Get("labels"));
  const int64_t rows = static_cast<int64_t>(ids.size());
  if (labels->dtype != engine::DType::kI64 || labels->shape != std::vector<int64_t>{rows} ||
      splits.size() != ids.size() || cats.size() != ids.size() || clusters.size() != ids.size()) {
    return Status::Corrupt(path + ": labels and metadata lists disagree on the number of rows");
  }
  const int64_t* lab = reinterpret_cast<const int64_t*>(labels->data);
  for (int64_t i = 0; i < rows; ++i) {
    LabelledConversation c;
    if (!ids[i].is_string() || !splits[i].is_string() || !cats[i].is_string() || !clusters[i].is_string()) {
      return Status::Corrupt(path + ": metadata row " + std::to_string(i) + " is not a string");
    }
    c.id = ids[i];
    c.split = splits[i];
    c.category = cats[i];
    c.cluster = clusters[i];
    c.label = static_cast<int>(lab[i]);
    set->items.push_back(std::move(c));
  }
  size_t hook = 0;
  for (const engine::TensorRef& t : f->tensors()) {
    if (t.name == "labels") continue;
    if (t.shape.size() != 2 || t.shape[0] != rows) return Status::Corrupt(path + ": tensor " + t.name + " is not [rows, d]");
    if (first) set->hooks.push_back({t.name, Matrix{0, t.shape[1], {}}});
    if (hook >= set->hooks.size() || set->hooks[hook].name != t.name || set->hooks[hook].values.cols != t.shape[1]) {
      return Status::Corrupt(path + ": hooks differ from the first shard's");
    }
    Matrix& m = set->hooks[hook].values;
    const size_t at = m.data.size();
    m.data.resize(at + static_cast<size_t>(rows * t.shape[1]));
    WARDEN_RETURN_IF_ERROR(engine::DequantizeToF32(t, m.data.data() + at));
    m.rows += rows;
    ++hook;
  }
  if (hook != set->hooks.size()) return Status::Corrupt(path + ": hooks differ from the first shard's");
  return Status::Ok();
}

}  // namespace

Result<ShardWriter> ShardWriter::Create(const std::string& dir, bool overwrite) {
  Env* env = Env::Default();
  WARDEN_RETURN_IF_ERROR(env->CreateDirs(dir));  // "cannot create <dir>: ..."
  WARDEN_ASSIGN_OR_RETURN(std::vector<DirEntry> entries, env->ListDir(dir));
  std::vector<std::string> old;
  for (const DirEntry& e : entries) {
    if (IsShard(e.name) || e.name == "manifest.json") old.push_back(e.name);
  }
  if (!old.empty() && !overwrite) {
    return Status::InvalidArgument(dir + " already holds an activation dataset (" + old.front() +
                                   "); choose another directory or overwrite it");
  }
  for (const std::string& name : old) WARDEN_RETURN_IF_ERROR(env->RemoveFile(dir + "/" + name));
  ShardWriter w;
  w.dir_ = dir;
  return w;
}

Status ShardWriter::Append(const ActivationSet& chunk, int64_t rows_per_shard) {
  if (rows_per_shard < 1) return Status::InvalidArgument("rows_per_shard must be positive");
  if (shards_ == 0 && hooks_.empty()) {
    for (const HookActivations& h : chunk.hooks) hooks_.push_back({h.name, h.values.cols});
    position_ = PositionRuleName(chunk.rule);
    model_sha256_ = chunk.model_sha256;
  } else {
    bool same = chunk.hooks.size() == hooks_.size() && position_ == PositionRuleName(chunk.rule) &&
                model_sha256_ == chunk.model_sha256;
    for (size_t h = 0; same && h < hooks_.size(); ++h) {
      same = chunk.hooks[h].name == hooks_[h].first && chunk.hooks[h].values.cols == hooks_[h].second;
    }
    if (!same) return Status::InvalidArgument(dir_ + ": a chunk with other hooks, position or model than the first");
  }
  const int64_t n = static_cast<int64_t>(chunk.items.size());
  for (const HookActivations& h : chunk.hooks) {
    if (h.values.rows != n) return Status::InvalidArgument(h.name + ": " + std::to_string(h.values.rows) + " rows for " + std::to_string(n) + " items");
  }
  for (int64_t start = 0; start < n; start += rows_per_shard) {
    const int64_t rows = std::min(rows_per_shard, n - start);
    WARDEN_RETURN_IF_ERROR(WriteShard(chunk, start, rows, dir_ + "/" + ShardName(shards_)));
    ++shards_;
    rows_ += rows;
  }
  return Status::Ok();
}

Status ShardWriter::Finish() {
  Json hooks = Json::array();
  for (const auto& [name, d] : hooks_) hooks.push_back({{"name", name}, {"d", d}});
  const Json manifest = {{"format", kActivationsFormat}, {"rows", rows_},       {"shards", shards_},
                         {"hooks", hooks},               {"position", position_}, {"model_sha256", model_sha256_}};
  return WriteFileAtomic(dir_ + "/manifest.json", manifest.dump(2) + "\n");
}

Status WriteActivationShards(const ActivationSet& set, const std::string& dir, int64_t rows_per_shard, bool overwrite) {
  WARDEN_ASSIGN_OR_RETURN(ShardWriter w, ShardWriter::Create(dir, overwrite));
  WARDEN_RETURN_IF_ERROR(w.Append(set, rows_per_shard));
  return w.Finish();
}

Result<int64_t> CaptureToShards(const engine::LanguageModel& model, const std::vector<LabelledConversation>& data,
                                const std::string& hook_pattern, PositionRule rule, const std::string& dir,
                                int64_t rows_per_shard, const CaptureOptions& options, bool overwrite) {
  if (rows_per_shard < 1) return Status::InvalidArgument("rows_per_shard must be positive");
  if (data.empty()) return Status::InvalidArgument("no conversations to capture");
  WARDEN_ASSIGN_OR_RETURN(ShardWriter w, ShardWriter::Create(dir, overwrite));
  const size_t step = static_cast<size_t>(rows_per_shard);
  for (size_t start = 0; start < data.size(); start += step) {
    const std::vector<LabelledConversation> chunk(data.begin() + static_cast<std::ptrdiff_t>(start),
                                                  data.begin() + static_cast<std::ptrdiff_t>(std::min(data.size(), start + step)));
    CaptureOptions o = options;
    if (options.progress) o.progress = [&](size_t done, size_t) { options.progress(start + done, data.size()); };
    WARDEN_ASSIGN_OR_RETURN(ActivationSet set, CaptureActivations(model, chunk, hook_pattern, rule, o));
    WARDEN_RETURN_IF_ERROR(w.Append(set, rows_per_shard));
  }
  WARDEN_RETURN_IF_ERROR(w.Finish());
  return w.rows();
}

Result<ActivationSet> ReadActivationShards(const std::string& dir) {
  const std::string manifest_path = dir + "/manifest.json";
  if (!FileExists(manifest_path)) {
    return Status::NotFound(dir + ": no manifest.json (not an activation dataset, or an interrupted capture)");
  }
  WARDEN_ASSIGN_OR_RETURN(std::string text, ReadFileToString(manifest_path));
  WARDEN_ASSIGN_OR_RETURN(Json manifest, ParseJson(text, manifest_path));
  std::string format;
  uint64_t rows = 0, shards = 0;
  WARDEN_RETURN_IF_ERROR(JsonString(manifest, "format", manifest_path, &format));
  if (format != kActivationsFormat) {
    return Status::Corrupt(manifest_path + ": format '" + format + "', expected '" + kActivationsFormat + "'");
  }
  WARDEN_RETURN_IF_ERROR(JsonUint(manifest, "rows", manifest_path, &rows));
  WARDEN_RETURN_IF_ERROR(JsonUint(manifest, "shards", manifest_path, &shards));
  std::vector<std::string> files;
  auto entries = Env::Default()->ListDir(dir);
  if (!entries.ok()) return Status::NotFound(entries.status().message());  // "cannot list <dir>: ..."
  for (const DirEntry& e : *entries) {
    if (IsShard(e.name)) files.push_back(e.name);
  }
  std::sort(files.begin(), files.end());
  if (files.size() != shards) {
    return Status::Corrupt(dir + ": " + std::to_string(files.size()) + " shard files, the manifest lists " +
                           std::to_string(shards));
  }
  ActivationSet set;
  for (size_t i = 0; i < files.size(); ++i) {
    if (files[i] != ShardName(static_cast<int64_t>(i))) {
      return Status::Corrupt(dir + ": expected " + ShardName(static_cast<int64_t>(i)) + ", found " + files[i]);
    }
    WARDEN_RETURN_IF_ERROR(ReadShard(dir + "/" + files[i], i == 0, &set));
  }
  if (set.items.size() != rows) {
    return Status::Corrupt(dir + ": " + std::to_string(set.items.size()) + " rows in the shards, the manifest says " +
                           std::to_string(rows));
  }
  return set;
}

}  // namespace warden::interp
