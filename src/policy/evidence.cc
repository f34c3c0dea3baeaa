// Reading an evidence file and deciding which of its values can be used.
#include "warden/policy/evidence.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "decide_internal.h"
#include "warden/base/clock.h"
#include "warden/base/file.h"
#include "warden/base/format.h"
#include "warden/base/json.h"
#include "warden/base/sha256.h"

namespace warden::policy {
namespace {

using Json = nlohmann::json;

bool IsSha256(const std::string& s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Status ParseItem(const Json& j, const std::string& where, EvidenceItem* item) {
  if (!j.is_object()) return Status::InvalidArgument(where + ": expected an object");
  WARDEN_RETURN_IF_ERROR(JsonString(j, "key", where, &item->key));
  if (item->key.empty()) return Status::InvalidArgument(where + ".key: empty");
  if (!j.contains("value")) return Status::InvalidArgument(where + ": missing field 'value'");
  const Json& v = j["value"];
  if (v.is_boolean()) {
    item->is_bool = true;
    item->boolean = v.get<bool>();
  } else if (v.is_number()) {
    item->number = v.get<double>();
    if (!std::isfinite(item->number)) return Status::InvalidArgument(where + ".value: not finite");
  } else {
    return Status::InvalidArgument(where + ".value: is " + JsonTypeName(v) + ", expected a number or a boolean");
  }
  if (j.contains("interval") && !j["interval"].is_null()) {
    const Json& iv = j["interval"];
    if (item->is_bool || !iv.is_array() || iv.size() != 2 || !iv[0].is_number() || !iv[1].is_number()) {
      return Status::InvalidArgument(where + ".interval: expected [low, high] around a numeric value");
    }
    const double lo = iv[0].get<double>(), hi = iv[1].get<double>();
    if (!(lo <= hi) || !std::isfinite(lo) || !std::isfinite(hi)) {
      return Status::InvalidArgument(where + ".interval: low must not exceed high");
    }
    item->interval = {lo, hi};
  }
  WARDEN_RETURN_IF_ERROR(JsonString(j, "model_sha256", where, &item->model_sha256));
  WARDEN_RETURN_IF_ERROR(JsonString(j, "at", where, &item->at));
  WARDEN_ASSIGN_OR_RETURN(item->at_unix, ParseUtcIso(item->at, where + ".at"));
  if (!j.contains("source") || !j["source"].is_object()) {
    return Status::InvalidArgument(where + ": missing object 'source' {path, sha256}");
  }
  WARDEN_RETURN_IF_ERROR(JsonString(j["source"], "path", where + ".source", &item->source_path));
  WARDEN_RETURN_IF_ERROR(JsonString(j["source"], "sha256", where + ".source", &item->source_sha256));
  if (!IsSha256(item->source_sha256)) {
    return Status::InvalidArgument(where + ".source.sha256: not a lowercase hex sha256");
  }
  if (j.contains("note") && j["note"].is_string()) item->note = j["note"].get<std::string>();
  return Status::Ok();
}

// Two usable readings of one key that cannot both be true.
bool Contradict(const EvidenceItem& a, const EvidenceItem& b) {
  if (a.is_bool != b.is_bool) return true;
  if (a.is_bool) return a.boolean != b.boolean;
  if (a.number == b.number) return false;
  if (!a.interval || !b.interval) return true;
  const bool b_in_a = b.number >= a.interval->first && b.number <= a.interval->second;
  const bool a_in_b = a.number >= b.interval->first && a.number <= b.interval->second;
  return !b_in_a && !a_in_b;
}

}  // namespace

std::string EvidenceItem::ValueText() const {
  if (is_bool) return boolean ? "true" : "false";
  std::string s = Sig(number);
  if (interval) s += " [" + Sig(interval->first) + ", " + Sig(interval->second) + "]";
  return s;
}

const char* ProblemKindName(EvidenceProblem::Kind k) {
  switch (k) {
    case EvidenceProblem::Kind::kMissing: return "missing";
    case EvidenceProblem::Kind::kStale: return "stale";
    case EvidenceProblem::Kind::kTampered: return "tampered";
    case EvidenceProblem::Kind::kContradictory: return "contradictory";
    case EvidenceProblem::Kind::kWrongType: return "wrong-type";
  }
  return "?";
}

Result<EvidenceBundle> ParseEvidence(const std::string& json_text, const std::string& source,
                                     const std::string& base_dir) {
  WARDEN_ASSIGN_OR_RETURN(Json j, ParseJson(json_text, source));
  if (!j.is_object()) return Status::InvalidArgument(source + ": expected a JSON object");
  std::string format;
  WARDEN_RETURN_IF_ERROR(JsonString(j, "format", source, &format));
  if (format != "warden-evidence/1") {
    return Status::Unsupported(source + ": format '" + format + "' (this warden reads warden-evidence/1)");
  }
  EvidenceBundle b;
  b.path = source;
  b.base_dir = base_dir;
  if (!j.contains("subject") || !j["subject"].is_object()) {
    return Status::InvalidArgument(source + ": missing object 'subject' {name, sha256}");
  }
  WARDEN_RETURN_IF_ERROR(JsonString(j["subject"], "name", source + ": subject", &b.subject_name));
  WARDEN_RETURN_IF_ERROR(JsonString(j["subject"], "sha256", source + ": subject", &b.subject_sha256));
  if (!j.contains("items") || !j["items"].is_array()) {
    return Status::InvalidArgument(source + ": missing array 'items'");
  }
  for (size_t i = 0; i < j["items"].size(); ++i) {
    EvidenceItem item;
    item.index = i;
    WARDEN_RETURN_IF_ERROR(ParseItem(j["items"][i], source + ": items[" + std::to_string(i) + "]", &item));
    b.items.push_back(std::move(item));
  }
  return b;
}

Result<EvidenceBundle> LoadEvidence(const std::string& path) {
  WARDEN_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  std::string dir = std::filesystem::path(path).parent_path().string();
  return ParseEvidence(text, path, dir.empty() ? "." : dir);
}

CheckedEvidence CheckEvidence(const EvidenceBundle& bundle, const CheckOptions& options) {
  CheckedEvidence out;
  std::map<std::string, std::vector<std::string>> unusable;  // key -> why each item failed
  std::map<std::string, EvidenceProblem::Kind> worst;
  auto fail = [&](const EvidenceItem& it, EvidenceProblem::Kind kind, const std::string& why) {
    unusable[it.key].push_back("items[" + std::to_string(it.index) + "]: " + why);
    if (!worst.count(it.key) || kind == EvidenceProblem::Kind::kTampered) worst[it.key] = kind;
  };
  const double max_age_s = options.max_age_days * 86400.0;
  for (const EvidenceItem& it : bundle.items) {
    if (options.verify_sources) {
      const std::string path = std::filesystem::path(bundle.base_dir.empty() ? "." : bundle.base_dir) / it.source_path;
      Result<std::string> sha = Sha256File(path);
      if (!sha.ok()) {
        fail(it, EvidenceProblem::Kind::kTampered, "source " + it.source_path + " cannot be read (" + sha.status().message() + ")");
        continue;
      }
      if (sha.value() != it.source_sha256) {
        fail(it, EvidenceProblem::Kind::kTampered, "source " + it.source_path + " has sha256 " + sha.value().substr(0, 12) +
                                                       "..., the evidence recorded " + it.source_sha256.substr(0, 12) + "...");
        continue;
      }
    }
    if (options.same_model && it.model_sha256 != bundle.subject_sha256) {
      fail(it, EvidenceProblem::Kind::kStale, "measured on model " + it.model_sha256.substr(0, 12) +
                                                  "..., not the subject " + bundle.subject_sha256.substr(0, 12) + "...");
      continue;
    }
    if (it.at_unix > options.now_unix + 300) {
      fail(it, EvidenceProblem::Kind::kStale, "dated " + it.at + ", in the future");
      continue;
    }
    if (options.now_unix - it.at_unix > max_age_s) {
      fail(it, EvidenceProblem::Kind::kStale, "dated " + it.at + ", older than " + Sig(options.max_age_days) + " days");
      continue;
    }
    auto found = out.usable.find(it.key);
    if (found == out.usable.end()) {
      out.usable.emplace(it.key, it);
    } else if (Contradict(found->second, it)) {
      EvidenceProblem p{EvidenceProblem::Kind::kContradictory, it.key,
                        "items[" + std::to_string(found->second.index) + "] says " + found->second.ValueText() +
                            ", items[" + std::to_string(it.index) + "] says " + it.ValueText()};
      out.problems[it.key] = p;
    }
  }
  for (const auto& [key, p] : out.problems) out.usable.erase(key);
  // A key with no usable item at all, only failed ones; and any key with a tampered item,
  // whatever else it has: a changed log puts the whole key in doubt.
  for (const auto& [key, whys] : unusable) {
    if (worst[key] == EvidenceProblem::Kind::kTampered) {
      out.usable.erase(key);
      out.problems.erase(key);
    }
    if (out.usable.count(key) || out.problems.count(key)) continue;
    std::string detail;
    for (const std::string& w : whys) detail += (detail.empty() ? "" : "; ") + w;
    out.problems[key] = {worst[key], key, detail};
  }
  return out;
}

}  // namespace warden::policy
