// Forecast points from warden eval logs (sources.h).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>
#include <string>
#include <string_view>

#include "warden/base/env.h"
#include "warden/base/file.h"
#include "warden/base/json.h"
#include "warden/forecast/sources.h"

namespace warden::forecast {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

constexpr const char* kLogFormat = "warden-eval-log/1";  // evals/eval_log.h

// The first line, and the last non-empty line with its 1-based number.
struct Ends {
  std::string_view first, last;
  size_t last_line = 0;
  bool last_is_first = false;
};

Ends FirstAndLast(std::string_view text) {
  Ends e;
  const size_t nl = text.find('\n');
  e.first = text.substr(0, nl);
  size_t end = text.size();
  while (end > 0 && (text[end - 1] == '\n' || text[end - 1] == '\r')) --end;
  const size_t start = text.rfind('\n', end == 0 ? 0 : end - 1);
  const size_t from = (start == std::string_view::npos || end == 0) ? 0 : start + 1;
  e.last = text.substr(from, end - from);
  e.last_is_first = from == 0;
  e.last_line = static_cast<size_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(from), '\n')) + 1;
  return e;
}

Result<double> Fraction(const Json& est, const char* key, const std::string& where, bool unit_interval) {
  const auto it = est.find(key);
  if (it == est.end()) return Status::Corrupt(where + "." + key + ": missing");
  if (!it->is_number()) return Status::Corrupt(where + "." + key + ": is " + JsonTypeName(*it) + ", expected a number");
  const double v = it->get<double>();
  if (!std::isfinite(v) || v < 0 || (unit_interval && v > 1)) {
    return Status::Corrupt(where + "." + key + ": " + it->dump() + " is outside " + (unit_interval ? "[0, 1]" : "[0, inf)"));
  }
  return v;
}

Status ReadFooter(const Json& footer, const std::string& path, size_t line, const std::string& metric, EvalLogPoint* p,
                  const Json& header) {
  const std::string where = path + ":" + std::to_string(line) + ": footer summary";
  const auto summary = footer.find("summary");
  if (summary == footer.end() || !summary->is_object()) return Status::Corrupt(where + ": missing or not an object");
  const auto metrics = summary->find("metrics");
  if (metrics == summary->end() || !metrics->is_object() || metrics->empty()) {
    return Status::Corrupt(where + ".metrics: missing, empty or not an object");
  }
  std::string name = metric;
  if (name.empty()) {
    const std::string declared = header.value("metric", "");
    if (!declared.empty() && metrics->contains(declared)) {
      name = declared;
    } else if (metrics->size() == 1) {
      name = metrics->begin().key();
    }
  }
  if (name.empty() || !metrics->contains(name)) {
    std::string have;
    for (auto it = metrics->begin(); it != metrics->end(); ++it) have += (have.empty() ? "" : ", ") + it.key();
    return Status::InvalidArgument(where + ".metrics: " +
                                   (name.empty() ? std::string("several metrics: choose one") : "no metric '" + name + "'") +
                                   " (has: " + have + ")");
  }
  const Json& est = (*metrics)[name];
  const std::string ewhere = where + ".metrics." + name;
  if (!est.is_object()) return Status::Corrupt(ewhere + ": is " + std::string(JsonTypeName(est)) + ", expected an object");
  p->metric = name;
  WARDEN_ASSIGN_OR_RETURN(p->value, Fraction(est, "value", ewhere, true));
  WARDEN_ASSIGN_OR_RETURN(p->stderr_score, Fraction(est, "stderr", ewhere, false));
  uint64_t n = 0;
  if (est.contains("n")) WARDEN_RETURN_IF_ERROR(JsonUint(est, "n", ewhere, &n));
  p->n = static_cast<int64_t>(n);
  return Status::Ok();
}

// The key under which a flops override for this log may be given, in order of preference.
std::vector<std::string> OverrideKeys(const EvalLogPoint& p) {
  std::string model = p.model;
  while (model.size() > 1 && model.back() == '/') model.pop_back();
  return {p.model, model, fs::path(model).filename().string(), p.path, fs::path(p.path).filename().string()};
}

}  // namespace

Result<EvalLogPoint> ReadEvalLogPoint(const std::string& log_path, const std::string& metric) {
  WARDEN_ASSIGN_OR_RETURN(std::string text, ReadFileToString(log_path));
  EvalLogPoint p;
  p.path = log_path;
  if (text.empty()) return Status::Corrupt(log_path + ": empty: not an eval log");
  const Ends ends = FirstAndLast(text);
  Result<Json> header = ParseJson(ends.first, log_path + ":1");
  if (!header.ok()) return header.status();
  if (!header->is_object() || header->value("type", "") != "header" || header->value("format", "") != kLogFormat) {
    return Status::Corrupt(log_path + ":1: not a " + std::string(kLogFormat) + " header");
  }
  WARDEN_RETURN_IF_ERROR(JsonString(*header, "task", log_path + ":1: header", &p.task));
  const auto model = header->find("model");
  if (model == header->end() || !model->is_object()) return Status::Corrupt(log_path + ":1: header.model: missing or not an object");
  WARDEN_RETURN_IF_ERROR(JsonString(*model, "name", log_path + ":1: header.model", &p.model));
  p.model_kind = model->value("kind", "");
  if (ends.last_is_first) return p;  // only a header: nothing evaluated yet
  // A torn last line is a run killed mid-write: unfinished, like a missing footer.
  Result<Json> last = ParseJson(ends.last, log_path + ":" + std::to_string(ends.last_line));
  if (!last.ok() || !last->is_object() || last->value("type", "") != "footer") return p;
  WARDEN_RETURN_IF_ERROR(ReadFooter(*last, log_path, ends.last_line, metric, &p, *header));
  p.finished = true;
  return p;
}

namespace {

Result<Observation> FromPoint(const EvalLogPoint& p, double flops) {
  const std::string& log_path = p.path;
  if (!p.finished) return Status::InvalidArgument(log_path + ": no footer: an unfinished run");
  Observation o;
  o.label = p.model;
  o.score = p.value;
  o.stderr_score = p.stderr_score;
  o.n = p.n;
  o.source = log_path;
  if (flops > 0) {
    if (!std::isfinite(flops)) return Status::InvalidArgument(log_path + ": flops override is not finite");
    o.flops = flops;
    return o;
  }
  if (p.model_kind == "http") {
    return Status::InvalidArgument(log_path + ": model '" + p.model + "' was served over HTTP: give its training FLOPs by hand");
  }
  Result<ModelFlops> m = LookUpTrainingFlops(p.model);
  if (!m.ok()) return m.status().WithContext(log_path);
  o.flops = m->flops;
  o.label = m->label;
  o.source = log_path + " (FLOPs: " + m->source + ")";
  return o;
}

}  // namespace

Result<Observation> ObservationFromEvalLog(const std::string& log_path, const std::string& metric, double flops) {
  WARDEN_ASSIGN_OR_RETURN(EvalLogPoint p, ReadEvalLogPoint(log_path, metric));
  return FromPoint(p, flops);
}

Result<LogScan> ObservationsFromLogs(const std::vector<std::string>& log_paths, const LogSourceOptions& opt) {
  LogScan scan;
  std::set<std::string> tasks;
  for (const std::string& path : log_paths) {
    WARDEN_ASSIGN_OR_RETURN(EvalLogPoint p, ReadEvalLogPoint(path, opt.metric));
    if (!opt.task.empty() && p.task != opt.task) {
      scan.skipped.push_back({path, "task '" + p.task + "', not '" + opt.task + "'"});
      continue;
    }
    if (!p.finished) {
      scan.skipped.push_back({path, "no footer: an unfinished run"});
      continue;
    }
    tasks.insert(p.task);
    double flops = 0;
    for (const std::string& key : OverrideKeys(p)) {
      const auto it = opt.flops.find(key);
      if (it != opt.flops.end()) {
        flops = it->second;
        break;
      }
    }
    WARDEN_ASSIGN_OR_RETURN(Observation o, FromPoint(p, flops));
    scan.observations.push_back(std::move(o));
  }
  if (tasks.size() > 1) {
    std::string names;
    for (const std::string& t : tasks) names += (names.empty() ? "" : ", ") + t;
    return Status::InvalidArgument("the logs hold several tasks (" + names + "): choose one");
  }
  if (!tasks.empty()) scan.task = *tasks.begin();
  return scan;
}

namespace {

// Appends the regular files named "*.jsonl" under `dir` (subdirectories too; symlinks, to files
// or to directories, are not followed) to *out. An unreadable directory is an error naming it.
Status CollectEvalLogs(Env* env, const std::string& dir, std::vector<std::string>* out) {
  WARDEN_ASSIGN_OR_RETURN(std::vector<DirEntry> entries, env->ListDir(dir));
  for (const DirEntry& e : entries) {
    const std::string path = dir + (dir.back() == '/' ? "" : "/") + e.name;
    const size_t dot = e.name.rfind('.');  // as std::filesystem's extension(): ".jsonl" alone has none
    const bool jsonl = dot != std::string::npos && dot > 0 && e.name.compare(dot, std::string::npos, ".jsonl") == 0;
    if (e.type == FileType::kRegular && jsonl) {
      out->push_back(path);
    } else if (e.type == FileType::kDirectory) {
      WARDEN_RETURN_IF_ERROR(CollectEvalLogs(env, path, out));
    }
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<std::string>> ListEvalLogs(const std::string& dir) {
  if (!IsDirectory(dir)) return Status::NotFound(dir + ": not a directory");
  std::vector<std::string> out;
  WARDEN_RETURN_IF_ERROR(CollectEvalLogs(Env::Default(), dir, &out));
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace warden::forecast
