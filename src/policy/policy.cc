// Parsing a policy from YAML. yaml-cpp throws; every throw stops here and becomes a Status
// naming the file and the field path.
#include "warden/policy/policy.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "warden/base/file.h"
#include "warden/base/sha256.h"

namespace warden::policy {
namespace {

// A mapping whose every key must be one of `allowed`; reads typed fields by name.
class Fields {
 public:
  Fields(const YAML::Node& node, std::string where) : node_(node), where_(std::move(where)) {}

  Status Check(const std::set<std::string>& allowed) const {
    if (!node_.IsMap()) return Bad(where_, "expected a mapping");
    for (const auto& kv : node_) {
      const std::string key = kv.first.as<std::string>();
      if (!allowed.count(key)) {
        std::string list;
        for (const std::string& a : allowed) list += (list.empty() ? "" : ", ") + a;
        return Bad(where_ + "." + key, "unknown field (expected one of: " + list + ")");
      }
    }
    return Status::Ok();
  }
  bool Has(const char* key) const { return node_[key].IsDefined() && !node_[key].IsNull(); }
  std::string At(const char* key) const { return where_ + "." + key; }

  Status String(const char* key, std::string* out, bool required) const {
    if (!Has(key)) return required ? Bad(At(key), "missing") : Status::Ok();
    if (!node_[key].IsScalar()) return Bad(At(key), "expected text");
    *out = node_[key].as<std::string>();
    if (required && out->empty()) return Bad(At(key), "empty");
    return Status::Ok();
  }
  Status Number(const char* key, double* out, bool required) const {
    if (!Has(key)) return required ? Bad(At(key), "missing") : Status::Ok();
    double v;
    if (!node_[key].IsScalar() || !YAML::convert<double>::decode(node_[key], v) || !std::isfinite(v)) {
      return Bad(At(key), "expected a finite number");
    }
    *out = v;
    return Status::Ok();
  }
  Status Int(const char* key, int* out, bool required) const {
    if (!Has(key)) return required ? Bad(At(key), "missing") : Status::Ok();
    long long v;
    if (!node_[key].IsScalar() || !YAML::convert<long long>::decode(node_[key], v) || v < 0 || v > 1000) {
      return Bad(At(key), "expected an integer in [0, 1000]");
    }
    *out = static_cast<int>(v);
    return Status::Ok();
  }
  Status Bool(const char* key, bool* out, bool required) const {
    if (!Has(key)) return required ? Bad(At(key), "missing") : Status::Ok();
    bool v;
    if (!node_[key].IsScalar() || !YAML::convert<bool>::decode(node_[key], v)) return Bad(At(key), "expected true or false");
    *out = v;
    return Status::Ok();
  }
  Status StringList(const char* key, std::vector<std::string>* out) const {
    if (!Has(key)) return Status::Ok();
    const YAML::Node& n = node_[key];
    if (n.IsScalar()) {
      out->push_back(n.as<std::string>());
      return Status::Ok();
    }
    if (!n.IsSequence()) return Bad(At(key), "expected a list of keys");
    for (size_t i = 0; i < n.size(); ++i) {
      if (!n[i].IsScalar()) return Bad(At(key) + "[" + std::to_string(i) + "]", "expected text");
      out->push_back(n[i].as<std::string>());
    }
    return Status::Ok();
  }
  const YAML::Node& node() const { return node_; }

  static Status Bad(const std::string& where, const std::string& what) {
    return Status::InvalidArgument(where + ": " + what);
  }

 private:
  YAML::Node node_;
  std::string where_;
};

Status ParseRequirement(const YAML::Node& node, const std::string& where, Requirement* r) {
  Fields f(node, where);
  WARDEN_RETURN_IF_ERROR(f.Check({"id", "text", "evidence", "at_least", "at_most", "equals", "stage"}));
  WARDEN_RETURN_IF_ERROR(f.String("id", &r->id, true));
  WARDEN_RETURN_IF_ERROR(f.String("text", &r->text, false));
  WARDEN_RETURN_IF_ERROR(f.String("evidence", &r->evidence, true));
  const int conditions = f.Has("at_least") + f.Has("at_most") + f.Has("equals");
  if (conditions != 1) return Fields::Bad(where, "give exactly one of at_least, at_most, equals");
  if (f.Has("at_least")) {
    r->condition.op = Condition::Op::kAtLeast;
    WARDEN_RETURN_IF_ERROR(f.Number("at_least", &r->condition.number, true));
  } else if (f.Has("at_most")) {
    r->condition.op = Condition::Op::kAtMost;
    WARDEN_RETURN_IF_ERROR(f.Number("at_most", &r->condition.number, true));
  } else {
    r->condition.op = Condition::Op::kEquals;
    WARDEN_RETURN_IF_ERROR(f.Bool("equals", &r->condition.boolean, true));
  }
  std::string stage = "deployment";
  WARDEN_RETURN_IF_ERROR(f.String("stage", &stage, false));
  if (stage == "training") {
    r->stage = Stage::kTraining;
  } else if (stage == "deployment") {
    r->stage = Stage::kDeployment;
  } else {
    return Fields::Bad(f.At("stage"), "'" + stage + "' (expected training or deployment)");
  }
  return Status::Ok();
}

Status ParseDomain(const YAML::Node& node, const std::string& where, Domain* d) {
  Fields f(node, where);
  WARDEN_RETURN_IF_ERROR(f.Check({"id", "title", "capability", "threshold", "early_warning", "forecast",
                                  "forecast_max", "forecast_required", "integrity", "level"}));
  WARDEN_RETURN_IF_ERROR(f.String("id", &d->id, true));
  WARDEN_RETURN_IF_ERROR(f.String("title", &d->title, false));
  WARDEN_RETURN_IF_ERROR(f.String("capability", &d->capability, true));
  WARDEN_RETURN_IF_ERROR(f.Number("threshold", &d->threshold, true));
  d->early_warning = d->threshold;
  WARDEN_RETURN_IF_ERROR(f.Number("early_warning", &d->early_warning, false));
  if (d->early_warning > d->threshold) {
    return Fields::Bad(f.At("early_warning"), "above the threshold (" + std::to_string(d->threshold) + ")");
  }
  WARDEN_RETURN_IF_ERROR(f.String("forecast", &d->forecast, false));
  WARDEN_RETURN_IF_ERROR(f.Number("forecast_max", &d->forecast_max, false));
  if (d->forecast_max < 0 || d->forecast_max > 1) return Fields::Bad(f.At("forecast_max"), "not a probability");
  WARDEN_RETURN_IF_ERROR(f.Bool("forecast_required", &d->forecast_required, false));
  WARDEN_RETURN_IF_ERROR(f.StringList("integrity", &d->integrity));
  return f.Int("level", &d->level, true);
}

Status ParseInto(const YAML::Node& root, const std::string& src, Policy* p) {
  Fields top(root, src);
  WARDEN_RETURN_IF_ERROR(top.Check({"policy", "freshness", "base_level", "domains", "levels"}));
  if (!top.Has("policy")) return Fields::Bad(src + ": policy", "missing");
  Fields head(root["policy"], src + ": policy");
  WARDEN_RETURN_IF_ERROR(head.Check({"name", "version"}));
  WARDEN_RETURN_IF_ERROR(head.String("name", &p->name, true));
  WARDEN_RETURN_IF_ERROR(head.String("version", &p->version, true));
  if (top.Has("freshness")) {
    Fields fr(root["freshness"], src + ": freshness");
    WARDEN_RETURN_IF_ERROR(fr.Check({"max_age_days", "same_model"}));
    WARDEN_RETURN_IF_ERROR(fr.Number("max_age_days", &p->freshness.max_age_days, false));
    if (p->freshness.max_age_days <= 0) return Fields::Bad(fr.At("max_age_days"), "must be positive");
    WARDEN_RETURN_IF_ERROR(fr.Bool("same_model", &p->freshness.same_model, false));
  }
  WARDEN_RETURN_IF_ERROR(top.Int("base_level", &p->base_level, true));

  const YAML::Node levels = root["levels"];
  if (!levels.IsDefined() || !levels.IsSequence() || levels.size() == 0) {
    return Fields::Bad(src + ": levels", "expected a non-empty list");
  }
  std::set<std::string> requirement_ids;
  for (size_t i = 0; i < levels.size(); ++i) {
    const std::string where = src + ": levels[" + std::to_string(i) + "]";
    Fields f(levels[i], where);
    WARDEN_RETURN_IF_ERROR(f.Check({"id", "name", "requires"}));
    Level level;
    WARDEN_RETURN_IF_ERROR(f.Int("id", &level.id, true));
    level.name = "level " + std::to_string(level.id);
    WARDEN_RETURN_IF_ERROR(f.String("name", &level.name, false));
    if (!p->levels.empty() && level.id <= p->levels.back().id) {
      return Fields::Bad(f.At("id"), "levels must be listed in ascending order of id");
    }
    const YAML::Node reqs = levels[i]["requires"];
    if (reqs.IsDefined() && !reqs.IsNull()) {
      if (!reqs.IsSequence()) return Fields::Bad(f.At("requires"), "expected a list");
      for (size_t k = 0; k < reqs.size(); ++k) {
        Requirement r;
        WARDEN_RETURN_IF_ERROR(ParseRequirement(reqs[k], f.At("requires") + "[" + std::to_string(k) + "]", &r));
        if (!requirement_ids.insert(r.id).second) {
          return Fields::Bad(f.At("requires") + "[" + std::to_string(k) + "].id", "duplicate requirement id '" + r.id + "'");
        }
        level.requires.push_back(std::move(r));
      }
    }
    p->levels.push_back(std::move(level));
  }
  if (!p->FindLevel(p->base_level)) return Fields::Bad(top.At("base_level"), "no level with this id");

  const YAML::Node domains = root["domains"];
  if (domains.IsDefined() && !domains.IsNull()) {
    if (!domains.IsSequence()) return Fields::Bad(src + ": domains", "expected a list");
    std::set<std::string> ids;
    for (size_t i = 0; i < domains.size(); ++i) {
      const std::string where = src + ": domains[" + std::to_string(i) + "]";
      Domain d;
      WARDEN_RETURN_IF_ERROR(ParseDomain(domains[i], where, &d));
      if (!ids.insert(d.id).second) return Fields::Bad(where + ".id", "duplicate domain id '" + d.id + "'");
      if (!p->FindLevel(d.level)) return Fields::Bad(where + ".level", "no level with id " + std::to_string(d.level));
      p->domains.push_back(std::move(d));
    }
  }
  return Status::Ok();
}

}  // namespace

const char* StageName(Stage s) { return s == Stage::kTraining ? "training" : "deployment"; }

std::string Condition::ToString() const {
  char buf[64];
  switch (op) {
    case Op::kAtLeast: std::snprintf(buf, sizeof buf, ">= %g", number); break;
    case Op::kAtMost: std::snprintf(buf, sizeof buf, "<= %g", number); break;
    case Op::kEquals: std::snprintf(buf, sizeof buf, "== %s", boolean ? "true" : "false"); break;
  }
  return buf;
}

const Level* Policy::FindLevel(int id) const {
  for (const Level& l : levels) {
    if (l.id == id) return &l;
  }
  return nullptr;
}

std::vector<const Requirement*> Policy::RequirementsUpTo(int level) const {
  std::vector<const Requirement*> out;
  for (const Level& l : levels) {
    if (l.id > level) break;
    for (const Requirement& r : l.requires) out.push_back(&r);
  }
  return out;
}

Result<Policy> ParsePolicy(const std::string& yaml_text, const std::string& source) {
  Policy p;
  p.source = source;
  p.sha256 = Sha256Hex(yaml_text);
  try {
    const YAML::Node root = YAML::Load(yaml_text);
    if (!root.IsMap()) return Status::InvalidArgument(source + ": expected a YAML mapping at the top");
    WARDEN_RETURN_IF_ERROR(ParseInto(root, source, &p));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(source + ": malformed YAML at line " + std::to_string(e.mark.line + 1) +
                                   ", column " + std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  return p;
}

Result<Policy> LoadPolicy(const std::string& path) {
  WARDEN_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  return ParsePolicy(text, path);
}

}  // namespace warden::policy
