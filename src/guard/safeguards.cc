// Parsing the safeguards file (safeguards.h). yaml-cpp throws; every throw stops here and
// becomes a Status naming the file and the field.
#include "warden/guard/safeguards.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <regex>
#include <set>

#include "warden/base/file.h"
#include "warden/base/sha256.h"

namespace warden::guard {
namespace {

struct Parser {
  std::string source;
  std::string base_dir;

  Status Bad(const std::string& field, const std::string& what) const {
    return Status::InvalidArgument(source + ": " + field + ": " + what);
  }
  Status Keys(const YAML::Node& n, const std::string& where, const std::set<std::string>& allowed) const {
    if (!n.IsMap()) return Bad(where.empty() ? "top level" : where, "expected a mapping");
    for (const auto& kv : n) {
      const std::string key = kv.first.Scalar();
      if (!allowed.count(key)) {
        std::string list;
        for (const std::string& a : allowed) list += (list.empty() ? "" : ", ") + a;
        return Bad(Join(where, key), "unknown field (expected one of: " + list + ")");
      }
    }
    return Status::Ok();
  }
  static std::string Join(const std::string& where, const std::string& key) {
    return where.empty() ? key : where + "." + key;
  }
  Status Number(const YAML::Node& n, const std::string& field, double lo, double hi, double* out) const {
    double v;
    if (!n.IsScalar() || !YAML::convert<double>::decode(n, v) || !std::isfinite(v)) {
      return Bad(field, "expected a finite number");
    }
    if (v < lo || v > hi) return Bad(field, "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    *out = v;
    return Status::Ok();
  }
  Status Audit(const YAML::Node& a, AuditSpec* out) const {
    if (!a.IsMap()) return Bad("audit", "expected a mapping");
    WARDEN_RETURN_IF_ERROR(Keys(a, "audit", {"risk_threshold", "sample", "seed"}));
    out->enabled = true;
    if (a["risk_threshold"]) WARDEN_RETURN_IF_ERROR(Number(a["risk_threshold"], "audit.risk_threshold", -1e9, 1e9, &out->risk_threshold));
    if (const YAML::Node& bands = a["sample"]) {
      if (!bands.IsSequence()) return Bad("audit.sample", "expected a list of {min_risk, rate}");
      for (size_t i = 0; i < bands.size(); ++i) {
        const std::string where = "audit.sample[" + std::to_string(i) + "]";
        if (!bands[i].IsMap()) return Bad(where, "expected {min_risk, rate}");
        WARDEN_RETURN_IF_ERROR(Keys(bands[i], where, {"min_risk", "rate"}));
        if (!bands[i]["min_risk"] || !bands[i]["rate"]) return Bad(where, "needs both min_risk and rate");
        SampleBand b;
        WARDEN_RETURN_IF_ERROR(Number(bands[i]["min_risk"], where + ".min_risk", -1e9, 1e9, &b.min_risk));
        WARDEN_RETURN_IF_ERROR(Number(bands[i]["rate"], where + ".rate", 0, 1, &b.rate));
        if (b.min_risk >= out->risk_threshold) return Bad(where + ".min_risk", "must be below audit.risk_threshold (those records are queued anyway)");
        for (const SampleBand& o : out->sample) {
          if (o.min_risk == b.min_risk) return Bad(where + ".min_risk", "two bands start at the same risk");
        }
        out->sample.push_back(b);
      }
      std::sort(out->sample.begin(), out->sample.end(), [](const SampleBand& x, const SampleBand& y) { return x.min_risk > y.min_risk; });
    }
    if (a["seed"]) {
      int64_t seed = 0;
      WARDEN_RETURN_IF_ERROR(Int(a["seed"], "audit.seed", 0, INT64_MAX, &seed));
      out->has_seed = true;
      out->seed = static_cast<uint64_t>(seed);
    }
    return Status::Ok();
  }
  Status Users(const YAML::Node& u, UsersSpec* out) const {
    if (!u.IsMap()) return Bad("users", "expected a mapping");
    WARDEN_RETURN_IF_ERROR(Keys(u, "users", {"window_seconds", "watch_risk", "elevated_after",
                                             "elevated_requests_per_minute", "audit_elevated", "safeguards"}));
    out->enabled = true;
    if (u["window_seconds"]) WARDEN_RETURN_IF_ERROR(Int(u["window_seconds"], "users.window_seconds", 1, 366LL * 86400, &out->window_seconds));
    if (u["watch_risk"]) WARDEN_RETURN_IF_ERROR(Number(u["watch_risk"], "users.watch_risk", -1e9, 1e9, &out->watch_risk));
    if (u["elevated_after"]) WARDEN_RETURN_IF_ERROR(Int(u["elevated_after"], "users.elevated_after", 1, 1 << 24, &out->elevated_after));
    if (u["elevated_requests_per_minute"]) {
      WARDEN_RETURN_IF_ERROR(Int(u["elevated_requests_per_minute"], "users.elevated_requests_per_minute", 0, 1 << 24,
                                 &out->elevated_requests_per_minute));
    }
    if (const YAML::Node& a = u["audit_elevated"]) {
      bool v = false;
      if (!a.IsScalar() || !YAML::convert<bool>::decode(a, v)) return Bad("users.audit_elevated", "expected true or false");
      out->audit_elevated = v;
    }
    if (const YAML::Node& n = u["safeguards"]) {
      if (!n.IsSequence() || n.size() == 0) return Bad("users.safeguards", "expected a non-empty list of safeguard names");
      for (size_t i = 0; i < n.size(); ++i) {
        if (!n[i].IsScalar() || n[i].Scalar().empty()) return Bad("users.safeguards[" + std::to_string(i) + "]", "expected a name");
        out->safeguards.push_back(n[i].Scalar());
      }
    }
    return Status::Ok();
  }
  Status Cascade(const YAML::Node& c, CascadeSpec* out) const {
    if (!c.IsMap()) return Bad("cascade", "expected a mapping");
    WARDEN_RETURN_IF_ERROR(Keys(c, "cascade", {"model", "tokenizer", "escalate_at", "escalate_rate", "window", "threshold", "name", "budget_ms"}));
    for (const char* key : {"model", "escalate_at", "threshold"}) {
      if (!c[key]) return Bad(std::string("cascade.") + key, "missing");
    }
    out->enabled = true;
    if (!c["model"].IsScalar() || c["model"].Scalar().empty()) return Bad("cascade.model", "expected the path of a guard model");
    out->model = Resolve(c["model"].Scalar());
    if (const YAML::Node& t = c["tokenizer"]) {
      if (!t.IsScalar() || t.Scalar().empty()) return Bad("cascade.tokenizer", "expected the path of a tokenizer");
      out->tokenizer = Resolve(t.Scalar());
    }
    WARDEN_RETURN_IF_ERROR(Number(c["escalate_at"], "cascade.escalate_at", -1e9, 1e9, &out->escalate_at));
    WARDEN_RETURN_IF_ERROR(Number(c["threshold"], "cascade.threshold", -1e9, 1e9, &out->threshold));
    if (c["escalate_rate"]) {
      WARDEN_RETURN_IF_ERROR(Number(c["escalate_rate"], "cascade.escalate_rate", 0, 1, &out->escalate_rate));
      if (out->escalate_rate <= 0) return Bad("cascade.escalate_rate", "must be above 0 (leave it out for a fixed escalate_at)");
    }
    if (c["window"]) {
      if (!c["escalate_rate"]) return Bad("cascade.window", "only an escalate_rate has a window");
      WARDEN_RETURN_IF_ERROR(Int(c["window"], "cascade.window", 50, 1000000, &out->window));
    }
    if (const YAML::Node& n = c["name"]) {
      if (!n.IsScalar() || n.Scalar().empty()) return Bad("cascade.name", "expected a name");
      out->name = n.Scalar();
    }
    if (c["budget_ms"]) WARDEN_RETURN_IF_ERROR(Number(c["budget_ms"], "cascade.budget_ms", 0, 600000, &out->budget_ms));
    return Status::Ok();
  }
  std::string Resolve(const std::string& path) const {
    std::filesystem::path p(path);
    return p.is_absolute() || base_dir.empty() ? p.string() : (std::filesystem::path(base_dir) / p).string();
  }
  Status Int(const YAML::Node& n, const std::string& field, int64_t lo, int64_t hi, int64_t* out) const {
    long long v;
    if (!n.IsScalar() || !YAML::convert<long long>::decode(n, v)) return Bad(field, "expected an integer");
    if (v < lo || v > hi) return Bad(field, "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
    *out = v;
    return Status::Ok();
  }

  Status Spec(const YAML::Node& n, const std::string& where, SafeguardSpec* s) const {
    WARDEN_RETURN_IF_ERROR(Keys(n, where, {"name", "probe", "regex", "threshold", "budget_ms", "position", "mode"}));
    s->where = where;
    if (!n["name"] || !n["name"].IsScalar() || n["name"].Scalar().empty()) return Bad(where + ".name", "missing");
    s->name = n["name"].Scalar();
    const bool probe = static_cast<bool>(n["probe"]), regex = static_cast<bool>(n["regex"]);
    if (probe == regex) return Bad(where, "needs exactly one of probe (a monitor pack) or regex (patterns)");
    if (probe) {
      if (!n["probe"].IsScalar() || n["probe"].Scalar().empty()) return Bad(where + ".probe", "expected a path");
      s->probe = Resolve(n["probe"].Scalar());
    } else {
      const YAML::Node& r = n["regex"];
      if (!r.IsSequence() || r.size() == 0) return Bad(where + ".regex", "expected a non-empty list of patterns");
      for (size_t i = 0; i < r.size(); ++i) {
        const std::string field = where + ".regex[" + std::to_string(i) + "]";
        if (!r[i].IsScalar() || r[i].Scalar().empty()) return Bad(field, "expected a pattern");
        std::string pattern = r[i].Scalar();
        auto flags = std::regex::ECMAScript;
        if (pattern.rfind("(?i)", 0) == 0) pattern = pattern.substr(4), flags |= std::regex::icase;
        try {
          std::regex check(pattern, flags);
        } catch (const std::regex_error& e) {
          return Bad(field, std::string("not a valid pattern: ") + e.what());
        }
        s->regex.push_back(r[i].Scalar());
      }
    }
    if (n["threshold"]) {
      if (!probe) return Bad(where + ".threshold", "only a probe has a threshold");
      WARDEN_RETURN_IF_ERROR(Number(n["threshold"], where + ".threshold", -1e9, 1e9, &s->threshold));
      s->has_threshold = true;
    }
    if (n["budget_ms"]) WARDEN_RETURN_IF_ERROR(Number(n["budget_ms"], where + ".budget_ms", 0, 600000, &s->budget_ms));
    if (n["position"]) {
      if (!probe) return Bad(where + ".position", "only a probe reads a position");
      s->position = n["position"].IsScalar() ? n["position"].Scalar() : "";
      if (s->position != "last-prompt" && s->position != "last" && s->position != "response-mean" &&
          s->position != "prompt-mean") {
        return Bad(where + ".position", "expected last-prompt, prompt-mean, last or response-mean");
      }
    }
    if (n["mode"]) {
      const std::string mode = n["mode"].IsScalar() ? n["mode"].Scalar() : "";
      if (mode != "block" && mode != "watch") return Bad(where + ".mode", "expected block or watch");
      if (mode == "watch" && where.rfind("input", 0) != 0) return Bad(where + ".mode", "watch is for input safeguards");
      s->watch = mode == "watch";
    }
    return Status::Ok();
  }

  Status Stage(const YAML::Node& root, const char* key, std::vector<SafeguardSpec>* out) const {
    const YAML::Node& n = root[key];
    if (!n || n.IsNull()) return Status::Ok();
    if (!n.IsSequence()) return Bad(key, "expected a list of safeguards");
    std::set<std::string> names;
    for (size_t i = 0; i < n.size(); ++i) {
      SafeguardSpec s;
      WARDEN_RETURN_IF_ERROR(Spec(n[i], std::string(key) + "[" + std::to_string(i) + "]", &s));
      if (!names.insert(s.name).second) return Bad(s.where + ".name", "'" + s.name + "' is used twice");
      out->push_back(std::move(s));
    }
    return Status::Ok();
  }

  Status Parse(const YAML::Node& root, Safeguards* g) const {
    if (!root || root.IsNull()) return Status::Ok();
    WARDEN_RETURN_IF_ERROR(Keys(root, "", {"holdback", "input", "output", "store", "limits", "moderation", "audit", "users", "cascade"}));
    if (const YAML::Node& a = root["audit"]) WARDEN_RETURN_IF_ERROR(Audit(a, &g->audit));
    if (const YAML::Node& u = root["users"]) WARDEN_RETURN_IF_ERROR(Users(u, &g->users));
    if (const YAML::Node& m = root["moderation"]) {
      if (!m.IsScalar() || m.Scalar().empty()) return Bad("moderation", "expected the path of a moderator directory");
      g->moderation = Resolve(m.Scalar());
    }
    if (root["holdback"]) WARDEN_RETURN_IF_ERROR(Int(root["holdback"], "holdback", 0, 256, &g->holdback));
    WARDEN_RETURN_IF_ERROR(Stage(root, "input", &g->input));
    WARDEN_RETURN_IF_ERROR(Stage(root, "output", &g->output));
    if (const YAML::Node& c = root["cascade"]) {
      WARDEN_RETURN_IF_ERROR(Cascade(c, &g->cascade));
      for (const SafeguardSpec& sp : g->input) {
        if (sp.name == g->cascade.name) return Bad("cascade.name", "'" + sp.name + "' is an input safeguard's name already");
      }
    }
    for (size_t i = 0; i < g->users.safeguards.size(); ++i) {
      const std::string& name = g->users.safeguards[i];
      bool known = false;
      for (const auto* stage : {&g->input, &g->output}) {
        for (const SafeguardSpec& sp : *stage) known = known || sp.name == name;
      }
      known = known || (g->cascade.enabled && g->cascade.name == name);
      if (!known) return Bad("users.safeguards[" + std::to_string(i) + "]", "no safeguard is named '" + name + "'");
    }
    if (const YAML::Node& s = root["store"]) {
      WARDEN_RETURN_IF_ERROR(Keys(s, "store", {"hash_only"}));
      if (s["hash_only"] && (!s["hash_only"].IsScalar() || !YAML::convert<bool>::decode(s["hash_only"], g->hash_only))) {
        return Bad("store.hash_only", "expected true or false");
      }
    }
    if (const YAML::Node& l = root["limits"]) {
      WARDEN_RETURN_IF_ERROR(
          Keys(l, "limits", {"max_body_bytes", "max_messages", "max_tokens", "requests_per_minute", "max_batch",
                             "max_queue", "request_seconds"}));
      Limits& m = g->limits;
      if (l["max_body_bytes"]) WARDEN_RETURN_IF_ERROR(Int(l["max_body_bytes"], "limits.max_body_bytes", 1024, 1 << 30, &m.max_body_bytes));
      if (l["max_messages"]) WARDEN_RETURN_IF_ERROR(Int(l["max_messages"], "limits.max_messages", 1, 100000, &m.max_messages));
      if (l["max_tokens"]) WARDEN_RETURN_IF_ERROR(Int(l["max_tokens"], "limits.max_tokens", 1, 1 << 20, &m.max_tokens));
      if (l["requests_per_minute"]) {
        WARDEN_RETURN_IF_ERROR(Int(l["requests_per_minute"], "limits.requests_per_minute", 0, 1 << 24, &m.requests_per_minute));
      }
      if (l["max_batch"]) WARDEN_RETURN_IF_ERROR(Int(l["max_batch"], "limits.max_batch", 1, 1024, &m.max_batch));
      if (l["max_queue"]) WARDEN_RETURN_IF_ERROR(Int(l["max_queue"], "limits.max_queue", 1, 1 << 20, &m.max_queue));
      if (l["request_seconds"]) {
        WARDEN_RETURN_IF_ERROR(Number(l["request_seconds"], "limits.request_seconds", 0.001, 86400, &m.request_seconds));
      }
    }
    return Status::Ok();
  }
};

}  // namespace

Result<Safeguards> ParseSafeguards(const std::string& text, const std::string& source, const std::string& base_dir) {
  Safeguards g;
  g.path = source;
  g.sha256 = Sha256Hex(text);
  Parser p{source, base_dir};
  try {
    WARDEN_RETURN_IF_ERROR(p.Parse(YAML::Load(text), &g));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(source + ": line " + std::to_string(e.mark.line + 1) + ", column " +
                                   std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  return g;
}

Result<Safeguards> LoadSafeguards(const std::string& path) {
  WARDEN_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  return ParseSafeguards(text, path, std::filesystem::path(path).parent_path().string());
}

}  // namespace warden::guard
