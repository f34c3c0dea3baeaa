#include "warden/interp/monitor_pack.h"

#include <set>

#include <nlohmann/json.hpp>

#include "warden/base/json.h"
#include "warden/engine/safetensors.h"

namespace warden::interp {

using Json = nlohmann::json;

Status WriteMonitorPack(const MonitorPack& p, const std::string& path) {
  const int64_t d = static_cast<int64_t>(p.probe.weight.size());
  if (d == 0 || p.probe.mean.size() != p.probe.weight.size() || p.probe.scale.size() != p.probe.weight.size()) {
    return Status::InvalidArgument("monitor pack: probe weights and standardisation differ in size");
  }
  std::vector<engine::TensorToWrite> tensors = {
      {"weight", engine::DType::kF32, {d}, p.probe.weight.data(), static_cast<uint64_t>(d) * 4},
      {"mean", engine::DType::kF32, {d}, p.probe.mean.data(), static_cast<uint64_t>(d) * 4},
      {"scale", engine::DType::kF32, {d}, p.probe.scale.data(), static_cast<uint64_t>(d) * 4}};
  Json meta = {{"format", kMonitorPackFormat},
               {"name", p.name},
               {"kind", ProbeKindName(p.probe.kind)},
               {"bias", p.probe.bias},
               {"hook", p.hook},
               {"position", PositionRuleName(p.position)},
               {"threshold", p.threshold},
               {"target_fpr", p.target_fpr},
               {"calibration_fpr", p.calibration_fpr},
               {"calibration_data", p.calibration_data},
               {"model_sha256", p.model_sha256}};
  return engine::WriteSafetensors(path, tensors,
                                  {{"warden_monitor", meta.dump()}, {"trained_on", Json(p.trained_on).dump()}});
}

Result<MonitorPack> ReadMonitorPack(const std::string& path, const std::string& expected_sha) {
  WARDEN_ASSIGN_OR_RETURN(auto f, engine::SafetensorsFile::Open(path));
  auto it = f->metadata().find("warden_monitor");
  if (it == f->metadata().end()) return Status::Corrupt(path + ": not a monitor pack (no 'warden_monitor' metadata)");
  WARDEN_ASSIGN_OR_RETURN(Json m, ParseJson(it->second, path + " metadata"));
  if (!m.is_object() || m.value("format", "") != kMonitorPackFormat) {
    return Status::Corrupt(path + ": not a " + std::string(kMonitorPackFormat) + " file");
  }
  MonitorPack p;
  const std::string where = path + " metadata";
  std::string kind, position;
  WARDEN_RETURN_IF_ERROR(JsonString(m, "kind", where, &kind));
  WARDEN_ASSIGN_OR_RETURN(p.probe.kind, ProbeKindFromName(kind));
  WARDEN_RETURN_IF_ERROR(JsonString(m, "hook", where, &p.hook));
  WARDEN_RETURN_IF_ERROR(JsonString(m, "position", where, &position));
  WARDEN_ASSIGN_OR_RETURN(p.position, PositionRuleFromName(position));
  WARDEN_RETURN_IF_ERROR(JsonString(m, "model_sha256", where, &p.model_sha256));
  for (const char* k : {"bias", "threshold", "target_fpr", "calibration_fpr"}) {
    if (!m.contains(k) || !m[k].is_number()) return Status::Corrupt(where + ": missing number '" + k + "'");
  }
  p.name = m.value("name", "");
  p.probe.bias = m["bias"].get<double>();
  p.threshold = m["threshold"].get<double>();
  p.target_fpr = m["target_fpr"].get<double>();
  p.calibration_fpr = m["calibration_fpr"].get<double>();
  p.calibration_data = m.value("calibration_data", "");
  auto ids = f->metadata().find("trained_on");
  if (ids != f->metadata().end()) {
    WARDEN_ASSIGN_OR_RETURN(Json j, ParseJson(ids->second, path + " trained_on"));
    if (!j.is_array()) return Status::Corrupt(path + ": trained_on is not a list");
    for (const Json& x : j) {
      if (!x.is_string()) return Status::Corrupt(path + ": trained_on holds a non-string");
      p.trained_on.push_back(x);
    }
  }
  std::vector<float>* dest[] = {&p.probe.weight, &p.probe.mean, &p.probe.scale};
  const char* names[] = {"weight", "mean", "scale"};
  for (int k = 0; k < 3; ++k) {
    WARDEN_ASSIGN_OR_RETURN(const engine::TensorRef* t, f->Get(names[k]));
    if (t->shape.size() != 1 || t->shape[0] < 1) return Status::Corrupt(path + ": tensor " + names[k] + " is not a vector");
    dest[k]->resize(static_cast<size_t>(t->shape[0]));
    WARDEN_RETURN_IF_ERROR(engine::DequantizeToF32(*t, dest[k]->data()));
  }
  if (p.probe.mean.size() != p.probe.weight.size() || p.probe.scale.size() != p.probe.weight.size()) {
    return Status::Corrupt(path + ": weight, mean and scale differ in length");
  }
  for (float s : p.probe.scale) {
    if (!(s > 0)) return Status::Corrupt(path + ": a standardisation scale is not positive");
  }
  // A text monitor (hook text.bag-of-words, text_monitor.h) reads words and is bound to no model.
  const bool text = p.hook == "text.bag-of-words" && p.model_sha256.empty();
  if (!text && !expected_sha.empty() && expected_sha != p.model_sha256) {
    return Status::InvalidArgument(path + ": this monitor was trained on model " + p.model_sha256.substr(0, 12) +
                                   "..., not on this one (" + expected_sha.substr(0, 12) + "...): its directions mean nothing here");
  }
  return p;
}

std::vector<std::string> OverlapWithPack(const MonitorPack& pack, const std::vector<std::string>& candidates) {
  const std::set<std::string> used(pack.trained_on.begin(), pack.trained_on.end());
  std::vector<std::string> out;
  for (const std::string& c : candidates) {
    if (used.count(c)) out.push_back(c);
  }
  return out;
}

}  // namespace warden::interp
