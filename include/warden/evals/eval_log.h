// Evaluation logs: one JSON object per line (JSONL), streamed to disk as samples finish.
//
//   {"type":"header", "format":"warden-eval-log/1", "task":..., "model":{kind,name,sha256,detail},
//    "dataset":{path,sha256,rows,skipped}, "scorer":{name,version}, "solver":..., "config":...,
//    "warden":{version,git}, "seed":..., "started":"<UTC ISO 8601>"}
//   {"type":"sample", "id":..., "epoch":0, "input":[messages], "output":..., "token_logprobs":[...],
//    "choice_logprobs":[...], "score":1, "answer":..., "explanation":..., "error":"",
//    "category":..., "cluster":..., "ms":12.5}
//   ...
//   {"type":"footer", "finished":"...", "summary":{...}}
//
// Each record is written with one write() and flushed, so that a killed run leaves whole lines
// (and at worst one torn last line). Resuming reads the log, drops a torn last line, checks that
// the header describes the same evaluation (task, model sha256, dataset sha256, scorer, solver,
// config) and skips the samples already there.
#pragma once

#include <cstdio>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "warden/base/status.h"

namespace warden::evals {

inline constexpr const char* kEvalLogFormat = "warden-eval-log/1";

class EvalLogWriter {
 public:
  // Creates (truncates) `path` and writes the header.
  static Result<std::unique_ptr<EvalLogWriter>> Create(const std::string& path, const nlohmann::json& header);
  // Opens an existing log to append to, after ReadEvalLog found it resumable; truncates it to
  // `valid_bytes` (dropping a torn last line).
  static Result<std::unique_ptr<EvalLogWriter>> Append(const std::string& path, size_t valid_bytes);
  ~EvalLogWriter();

  Status Write(const nlohmann::json& record);  // one line, flushed
  Status Close();                              // fsyncs and closes

 private:
  EvalLogWriter(std::string path, FILE* f) : path_(std::move(path)), f_(f) {}
  std::string path_;
  FILE* f_;
};

// Reads a log record by record without holding it all in memory. `on_record` gets every record
// after the header (return false to stop). A malformed line anywhere but last is an error naming
// the line; a malformed last line (a killed run) is reported in `torn_tail` and not passed on.
struct EvalLogScan {
  nlohmann::json header;
  size_t records = 0;
  size_t valid_bytes = 0;  // where a resumed run appends: after the last whole record but a final footer
  bool torn_tail = false;
  bool has_footer = false;
};
Result<EvalLogScan> ScanEvalLog(const std::string& path,
                                const std::function<bool(const nlohmann::json& record)>& on_record = {});

// "<id>#<epoch>": how a resumed run recognises a finished sample.
inline std::string SampleKey(const std::string& id, int epoch) { return id + "#" + std::to_string(epoch); }

}  // namespace warden::evals
