#include "warden/interp/activations.h"

#include <filesystem>

#include "engine/torch_pch.h"
#include "interp/encoding.h"
#include "warden/base/file.h"
#include "warden/base/json.h"
#include "warden/base/rng.h"
#include "warden/engine/safetensors.h"
#include "warden/engine/torch/hooks.h"
#include "warden/engine/torch/model.h"

namespace warden::interp {
namespace {

using Json = nlohmann::json;

}  // namespace

Matrix BagOfWords(const std::vector<std::string>& texts, int64_t buckets) {
  Matrix m{static_cast<int64_t>(texts.size()), buckets, std::vector<float>(texts.size() * static_cast<size_t>(buckets), 0)};
  for (size_t i = 0; i < texts.size(); ++i) {
    std::string word;
    auto flush = [&] {
      if (word.empty()) return;
      m.data[i * static_cast<size_t>(buckets) + Fnv1a64(word) % static_cast<uint64_t>(buckets)] += 1;
      word.clear();
    };
    for (char ch : texts[i]) {
      if (std::isalnum(static_cast<unsigned char>(ch))) {
        word += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      } else {
        flush();
      }
    }
    flush();
  }
  return m;
}


Result<PositionRule> PositionRuleFromName(const std::string& name) {
  if (name == "last-prompt") return PositionRule::kLastPrompt;
  if (name == "response-mean") return PositionRule::kResponseMean;
  if (name == "last") return PositionRule::kLast;
  return Status::InvalidArgument("unknown position rule '" + name + "' (last-prompt, response-mean, last)");
}

const char* PositionRuleName(PositionRule r) {
  switch (r) {
    case PositionRule::kLastPrompt: return "last-prompt";
    case PositionRule::kResponseMean: return "response-mean";
    case PositionRule::kLast: return "last";
  }
  return "?";
}

const HookActivations* ActivationSet::Find(const std::string& hook) const {
  for (const HookActivations& h : hooks) {
    if (h.name == hook) return &h;
  }
  return nullptr;
}

Result<ActivationSet> CaptureActivations(const engine::LanguageModel& lm, const std::vector<LabelledConversation>& data,
                                         const std::string& pattern, PositionRule rule, const CaptureOptions& o) {
  const engine::Tokenizer* tok = lm.tokenizer();
  if (tok == nullptr) return Status::InvalidArgument("the model has no tokenizer");
  if (data.empty()) return Status::InvalidArgument("no conversations to capture");
  WARDEN_ASSIGN_OR_RETURN(std::optional<engine::ChatFormat> format, engine::ResolveChatFormat(o.chat_format, *tok));
  const engine::Model& model = lm.model();
  const engine::HookPoints& points = model.hook_points();
  WARDEN_ASSIGN_OR_RETURN(std::vector<int> ids, points.Match(pattern));
  ActivationSet set;
  set.rule = rule;
  WARDEN_ASSIGN_OR_RETURN(set.model_sha256, lm.WeightsSha256());
  for (int id : ids) {
    const std::vector<int64_t> shape = points.Shape(id, 1, 1, 1);
    if (shape.size() != 3 || engine::HookPoints::PosAxis(points.Kind(id)) != 1) {
      return Status::InvalidArgument("hook '" + points.Name(id) + "' is not [batch, pos, d]: capture residual-like hooks");
    }
    set.hooks.push_back({points.Name(id), Matrix{0, shape[2], {}}});
  }
  std::vector<internal::Encoded> encoded;
  for (const LabelledConversation& c : data) {
    WARDEN_ASSIGN_OR_RETURN(internal::Encoded e, internal::Encode(*tok, format, c));
    if (rule == PositionRule::kResponseMean && e.response_end <= e.response_start) {
      return Status::InvalidArgument(c.id + ": no assistant message to average over (use last-prompt or last)");
    }
    if (static_cast<int64_t>(e.ids.size()) > model.config().n_ctx) {
      return Status::InvalidArgument(c.id + ": " + std::to_string(e.ids.size()) + " tokens, longer than the model's context of " +
                                     std::to_string(model.config().n_ctx));
    }
    encoded.push_back(std::move(e));
  }
  const size_t batch = std::max<size_t>(1, o.batch_size);
  try {
    c10::InferenceMode guard;
    for (size_t start = 0; start < encoded.size(); start += batch) {
      const size_t end = std::min(encoded.size(), start + batch);
      std::vector<std::vector<int32_t>> seqs;
      for (size_t i = start; i < end; ++i) seqs.push_back(encoded[i].ids);
      engine::Hooks hooks(points);
      engine::ActivationCache cache;
      WARDEN_RETURN_IF_ERROR(hooks.Capture(pattern, &cache));
      engine::ForwardBatch fb = engine::ForwardBatch::LeftPadded(seqs, model.device());
      model.Forward(fb, nullptr, &hooks);
      const int64_t T = fb.tokens.size(1);
      for (HookActivations& h : set.hooks) {
        WARDEN_ASSIGN_OR_RETURN(torch::Tensor act, cache.Stacked(h.name));
        act = act.to(torch::kFloat).to(torch::kCPU);  // [B, T, d]
        for (size_t i = start; i < end; ++i) {
          const internal::Encoded& e = encoded[i];
          const int64_t pad = T - static_cast<int64_t>(e.ids.size());
          const int64_t b = static_cast<int64_t>(i - start);
          torch::Tensor v;
          switch (rule) {
            case PositionRule::kLastPrompt: v = act[b][pad + e.response_start - 1]; break;
            case PositionRule::kLast: v = act[b][T - 1]; break;
            case PositionRule::kResponseMean:
              v = act[b].narrow(0, pad + e.response_start, e.response_end - e.response_start).mean(0);
              break;
          }
          v = v.contiguous();
          h.values.data.insert(h.values.data.end(), v.data_ptr<float>(), v.data_ptr<float>() + v.numel());
          ++h.values.rows;
        }
      }
      if (o.progress) o.progress(end, encoded.size());
    }
  } catch (const std::exception& e) {
    return Status::Internal(std::string("activation capture failed: ") + e.what());
  }
  for (const LabelledConversation& c : data) {
    LabelledConversation meta = c;
    meta.messages.clear();
    set.items.push_back(std::move(meta));
  }
  return set;
}

Status WriteActivationShards(const ActivationSet& set, const std::string& dir, int64_t rows_per_shard) {
  if (rows_per_shard < 1) return Status::InvalidArgument("rows_per_shard must be positive");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IoError("cannot create " + dir + ": " + ec.message());
  const int64_t n = static_cast<int64_t>(set.items.size());
  for (int64_t start = 0, shard = 0; start < n; start += rows_per_shard, ++shard) {
    const int64_t rows = std::min(rows_per_shard, n - start);
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
      tensors.push_back({h.name, engine::DType::kF32, {rows, h.values.cols},
                         h.values.data.data() + start * h.values.cols,
                         static_cast<uint64_t>(rows * h.values.cols) * sizeof(float)});
    }
    tensors.push_back({"labels", engine::DType::kI64, {rows}, labels.data(), labels.size() * sizeof(int64_t)});
    std::map<std::string, std::string> meta = {{"model_sha256", set.model_sha256},
                                               {"position", PositionRuleName(set.rule)},
                                               {"ids", ids.dump()},
                                               {"splits", splits.dump()},
                                               {"categories", cats.dump()},
                                               {"clusters", clusters.dump()}};
    char name[32];
    std::snprintf(name, sizeof name, "/shard-%05lld.safetensors", static_cast<long long>(shard));
    WARDEN_RETURN_IF_ERROR(engine::WriteSafetensors(dir + name, tensors, meta));
  }
  return Status::Ok();
}

Result<ActivationSet> ReadActivationShards(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const std::string n = e.path().filename().string();
    if (n.rfind("shard-", 0) == 0 && e.path().extension() == ".safetensors") files.push_back(e.path().string());
  }
  if (ec) return Status::NotFound(dir + ": " + ec.message());
  if (files.empty()) return Status::NotFound(dir + ": no shard-*.safetensors files");
  std::sort(files.begin(), files.end());
  ActivationSet set;
  for (const std::string& path : files) {
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
    if (set.items.empty()) {
      set.model_sha256 = sha;
      WARDEN_ASSIGN_OR_RETURN(set.rule, PositionRuleFromName(meta.count("position") ? meta.at("position") : ""));
    } else if (sha != set.model_sha256) {
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
      set.items.push_back(std::move(c));
    }
    size_t hook = 0;
    for (const engine::TensorRef& t : f->tensors()) {
      if (t.name == "labels") continue;
      if (t.shape.size() != 2 || t.shape[0] != rows) return Status::Corrupt(path + ": tensor " + t.name + " is not [rows, d]");
      if (set.items.size() == static_cast<size_t>(rows)) set.hooks.push_back({t.name, Matrix{0, t.shape[1], {}}});
      if (hook >= set.hooks.size() || set.hooks[hook].name != t.name || set.hooks[hook].values.cols != t.shape[1]) {
        return Status::Corrupt(path + ": hooks differ from the first shard's");
      }
      Matrix& m = set.hooks[hook].values;
      const size_t at = m.data.size();
      m.data.resize(at + static_cast<size_t>(rows * t.shape[1]));
      WARDEN_RETURN_IF_ERROR(engine::DequantizeToF32(t, m.data.data() + at));
      m.rows += rows;
      ++hook;
    }
    if (hook != set.hooks.size()) return Status::Corrupt(path + ": hooks differ from the first shard's");
  }
  return set;
}

}  // namespace warden::interp
