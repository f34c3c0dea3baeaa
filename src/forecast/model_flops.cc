// LookUpTrainingFlops (sources.h): a model's training compute from its organism card.
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "warden/base/file.h"
#include "warden/base/json.h"
#include "warden/forecast/sources.h"

namespace warden::forecast {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

constexpr int kMaxLevelsUp = 4;

// A card path's entry written as "rung-1/", "./rung-1" or "." compared in one spelling.
std::string Normal(const std::string& p) {
  std::string s = fs::path(p).lexically_normal().generic_string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s.empty() ? "." : s;
}

// A positive finite `key` in `obj`, or an error naming `where`.
Result<double> PositiveNumber(const Json& obj, const char* key, const std::string& where) {
  const auto it = obj.find(key);
  if (it == obj.end()) return Status::Corrupt(where + "." + key + ": missing");
  if (!it->is_number()) return Status::Corrupt(where + "." + key + ": is " + JsonTypeName(*it) + ", expected a number");
  const double v = it->get<double>();
  if (!std::isfinite(v) || v <= 0) return Status::Corrupt(where + "." + key + ": " + it->dump() + " is not a positive number");
  return v;
}

Result<Json> ReadJsonObject(const std::string& path) {
  WARDEN_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  WARDEN_ASSIGN_OR_RETURN(Json j, ParseJson(text, path));
  if (!j.is_object()) return Status::Corrupt(path + ": is " + std::string(JsonTypeName(j)) + ", expected an object");
  return j;
}

// Searches card `j` (at `card_path`) for an entry whose dir is `rel`. Returns true and fills
// `out` on a match; an error for a malformed card.
Result<bool> FindInCard(const Json& j, const std::string& card_path, const std::string& rel, ModelFlops* out) {
  const auto models = j.find("models");
  if (models == j.end()) return false;
  if (!models->is_array()) return Status::Corrupt(card_path + ": models: is " + std::string(JsonTypeName(*models)) + ", expected an array");
  for (size_t i = 0; i < models->size(); ++i) {
    const Json& m = (*models)[i];
    const std::string where = card_path + ": models[" + std::to_string(i) + "]";
    if (!m.is_object()) return Status::Corrupt(where + ": is " + std::string(JsonTypeName(m)) + ", expected an object");
    std::string dir;
    WARDEN_RETURN_IF_ERROR(JsonString(m, "dir", where, &dir));
    if (Normal(dir) == rel) {
      WARDEN_ASSIGN_OR_RETURN(out->flops, PositiveNumber(m, "flops", where));
      out->label = m.value("name", "");
      if (out->label.empty() || rel != ".") out->label = dir;
      out->source = card_path + " models[" + std::to_string(i) + "]";
      return true;
    }
    const auto ckpts = m.find("checkpoints");
    if (ckpts == m.end()) continue;
    if (!ckpts->is_array()) return Status::Corrupt(where + ".checkpoints: is " + std::string(JsonTypeName(*ckpts)) + ", expected an array");
    for (size_t c = 0; c < ckpts->size(); ++c) {
      const Json& k = (*ckpts)[c];
      const std::string kwhere = where + ".checkpoints[" + std::to_string(c) + "]";
      if (!k.is_object()) return Status::Corrupt(kwhere + ": is " + std::string(JsonTypeName(k)) + ", expected an object");
      WARDEN_RETURN_IF_ERROR(JsonString(k, "dir", kwhere, &dir));
      if (Normal(dir) != rel) continue;
      WARDEN_ASSIGN_OR_RETURN(out->flops, PositiveNumber(k, "flops", kwhere));
      out->label = dir;
      out->source = card_path + " models[" + std::to_string(i) + "].checkpoints[" + std::to_string(c) + "]";
      return true;
    }
  }
  return false;
}

}  // namespace

Result<ModelFlops> LookUpTrainingFlops(const std::string& model_dir) {
  if (model_dir.empty()) return Status::InvalidArgument("training FLOPs: empty model directory");
  if (!IsDirectory(model_dir)) {
    return Status::NotFound("training FLOPs: model directory '" + model_dir +
                            "' does not exist here (a relative path is relative to the working directory)");
  }
  std::error_code ec;
  const fs::path dir = fs::absolute(fs::path(model_dir), ec).lexically_normal();
  if (ec) return Status::IoError("training FLOPs: " + model_dir + ": " + ec.message());
  fs::path self = dir;
  if (self.filename().empty()) self = self.parent_path();  // "a/b/" -> "a/b"
  const std::string shown = Normal(model_dir);
  ModelFlops out;

  // 1. The model's own card with a top-level flops.
  const std::string own_card = shown + "/card.json";
  if (FileExists((self / "card.json").string())) {
    WARDEN_ASSIGN_OR_RETURN(Json card, ReadJsonObject((self / "card.json").string()));
    if (card.contains("flops")) {
      WARDEN_ASSIGN_OR_RETURN(out.flops, PositiveNumber(card, "flops", own_card));
      out.label = self.filename().string();
      out.source = own_card + " flops";
      return out;
    }
  }
  // 2. Entries of the cards in this directory and those above it.
  std::vector<std::string> looked = {own_card + " (flops)"};
  fs::path card_dir = self;
  for (int up = 0; up <= kMaxLevelsUp; ++up) {
    const fs::path card = card_dir / "card.json";
    const std::string rel = Normal(self.lexically_relative(card_dir).generic_string());
    fs::path shown_dir = fs::path(shown);
    for (int i = 0; i < up; ++i) shown_dir /= "..";
    const std::string shown_card = Normal(shown_dir.string()) + "/card.json";
    if (FileExists(card.string())) {
      WARDEN_ASSIGN_OR_RETURN(Json j, ReadJsonObject(card.string()));
      WARDEN_ASSIGN_OR_RETURN(bool found, FindInCard(j, shown_card, rel, &out));
      if (found) return out;
      looked.push_back(shown_card + " (models[].dir '" + rel + "')");
    }
    if (!card_dir.has_parent_path() || card_dir.parent_path() == card_dir) break;
    card_dir = card_dir.parent_path();
  }
  // 3. A training checkpoint's own state.
  const fs::path state = self / "train_state.json";
  if (FileExists(state.string())) {
    const std::string shown_state = shown + "/train_state.json";
    WARDEN_ASSIGN_OR_RETURN(Json j, ReadJsonObject(state.string()));
    WARDEN_ASSIGN_OR_RETURN(out.flops, PositiveNumber(j, "flops", shown_state));
    out.label = shown;
    out.source = shown_state + " flops";
    return out;
  }
  looked.push_back(shown + "/train_state.json");
  std::string where;
  for (const std::string& l : looked) where += (where.empty() ? "" : ", ") + l;
  return Status::NotFound("training FLOPs of model '" + model_dir + "': none found (looked in " + where + ")");
}

Result<double> TrainingFlopsOfModel(const std::string& model_dir) {
  WARDEN_ASSIGN_OR_RETURN(ModelFlops m, LookUpTrainingFlops(model_dir));
  return m.flops;
}

}  // namespace warden::forecast
