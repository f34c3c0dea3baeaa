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
// Each record is handed to the operating system with one Append (Env's WritableFile) before the
// next sample is run, so that a killed run leaves whole lines and at worst one torn last line; so
// does a disk that fills up mid-record (the write fails after part of the line). Resuming reads
// the log, drops a torn last line (truncating the file there before appending), checks that the
// header describes the same evaluation (task, model sha256, dataset sha256, scorer, solver,
// config) and skips the samples already there.
//
// Files go through an Env (env.h); every `env` argument may be null for Env::Default(). Errors
// name the log: "cannot write to runs/a.jsonl: No space left on device".
#pragma once

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "warden/base/env.h"
#include "warden/base/status.h"

namespace warden::evals {

inline constexpr const char* kEvalLogFormat = "warden-eval-log/1";

// Not thread-safe: one writer per log, used by one thread at a time.
class EvalLogWriter {
 public:
  // Creates (truncates) `path` and writes the header.
  static Result<std::unique_ptr<EvalLogWriter>> Create(const std::string& path, const nlohmann::json& header,
                                                       Env* env = nullptr);
  // Opens an existing log to append to, after ScanEvalLog found it resumable; truncates it to
  // `valid_bytes` (dropping a torn last line and a footer).
  static Result<std::unique_ptr<EvalLogWriter>> Append(const std::string& path, size_t valid_bytes,
                                                       Env* env = nullptr);

  // One line. After a failed Write the log may end in a torn line, so every later Write and
  // Close returns that same error without touching the file: nothing is ever appended after a
  // torn line, which therefore stays last, where ScanEvalLog expects and drops it.
  Status Write(const nlohmann::json& record);
  Status Close();  // fsyncs and closes (after a failed Write: closes, and returns that error)

 private:
  explicit EvalLogWriter(std::unique_ptr<WritableFile> file) : path_(file->path()), file_(std::move(file)) {}
  std::string path_;
  std::unique_ptr<WritableFile> file_;
  Status failed_;  // the first write error, sticky
};

// Reads a log record by record without holding it all in memory. `on_record` gets every record
// after the header (return false to stop). A malformed line is Corrupt, naming the line; a last
// line without its '\n' (a killed run, a full disk) is torn: reported in `torn_tail`, never passed
// on, even if it parses. A log that cannot be opened is NotFound ("cannot open <path>: ...").
struct EvalLogScan {
  nlohmann::json header;
  size_t records = 0;
  size_t valid_bytes = 0;  // where a resumed run appends: after the last whole record but a final footer
  bool torn_tail = false;
  bool has_footer = false;
};
Result<EvalLogScan> ScanEvalLog(const std::string& path,
                                const std::function<bool(const nlohmann::json& record)>& on_record = {},
                                Env* env = nullptr);

// "<id>#<epoch>": how a resumed run recognises a finished sample.
inline std::string SampleKey(const std::string& id, int epoch) { return id + "#" + std::to_string(epoch); }

}  // namespace warden::evals
