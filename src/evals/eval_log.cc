#include "warden/evals/eval_log.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "warden/base/json.h"

namespace warden::evals {

Result<std::unique_ptr<EvalLogWriter>> EvalLogWriter::Create(const std::string& path, const nlohmann::json& header) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return Status::IoError("cannot create " + path + ": " + std::strerror(errno));
  std::unique_ptr<EvalLogWriter> w(new EvalLogWriter(path, f));
  WARDEN_RETURN_IF_ERROR(w->Write(header));
  return w;
}

Result<std::unique_ptr<EvalLogWriter>> EvalLogWriter::Append(const std::string& path, size_t valid_bytes) {
  if (::truncate(path.c_str(), static_cast<off_t>(valid_bytes)) != 0) {
    return Status::IoError("cannot truncate " + path + ": " + std::strerror(errno));
  }
  FILE* f = std::fopen(path.c_str(), "ab");
  if (f == nullptr) return Status::IoError("cannot open " + path + " to append: " + std::strerror(errno));
  return std::unique_ptr<EvalLogWriter>(new EvalLogWriter(path, f));
}

EvalLogWriter::~EvalLogWriter() {
  if (f_ != nullptr) std::fclose(f_);
}

Status EvalLogWriter::Write(const nlohmann::json& record) {
  if (f_ == nullptr) return Status::Internal(path_ + ": log already closed");
  // Invalid UTF-8 from a model is replaced, not fatal: the log must keep every sample.
  const std::string line = record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  if (std::fwrite(line.data(), 1, line.size(), f_) != line.size() || std::fflush(f_) != 0) {
    return Status::IoError("cannot write to " + path_ + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

Status EvalLogWriter::Close() {
  if (f_ == nullptr) return Status::Ok();
  const bool ok = std::fflush(f_) == 0 && ::fsync(fileno(f_)) == 0;
  const bool closed = std::fclose(f_) == 0;
  f_ = nullptr;
  if (!ok || !closed) return Status::IoError("cannot close " + path_ + ": " + std::strerror(errno));
  return Status::Ok();
}

Result<EvalLogScan> ScanEvalLog(const std::string& path, const std::function<bool(const nlohmann::json&)>& on_record) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return Status::NotFound("cannot open " + path + ": " + std::strerror(errno));
  EvalLogScan scan;
  size_t line_no = 0, offset = 0;
  char buf[1 << 16];
  std::string pending;  // the line being assembled
  bool stop = false;
  Status status = Status::Ok();
  // Reads whole lines; a last line without '\n' is the torn tail of a killed writer.
  auto handle = [&](const std::string& text, bool terminated) -> bool {
    ++line_no;
    const size_t start = offset;
    offset += text.size() + (terminated ? 1 : 0);
    if (!terminated) {
      scan.torn_tail = true;
      return false;
    }
    auto j = ParseJson(text, path + ":" + std::to_string(line_no), 0);
    if (!j.ok() || !j->is_object() || !j->contains("type") || !(*j)["type"].is_string()) {
      status = Status::Corrupt(path + ":" + std::to_string(line_no) + ": not a log record" +
                               (j.ok() ? std::string() : " (" + j.status().message() + ")"));
      return false;
    }
    const std::string type = (*j)["type"].get<std::string>();
    if (line_no == 1) {
      if (type != "header" || !j->contains("format") || (*j)["format"] != kEvalLogFormat) {
        status = Status::Corrupt(path + ":1: not a " + std::string(kEvalLogFormat) + " header");
        return false;
      }
      scan.header = std::move(*j);
    } else {
      if (type == "footer") scan.has_footer = true;
      ++scan.records;
      if (on_record && !on_record(*j)) stop = true;
    }
    // A footer is rewritten by a resumed run: appending starts before it.
    if (type != "footer") scan.valid_bytes = start + text.size() + 1;
    return !stop;
  };
  bool go = true;
  while (go) {
    const size_t got = std::fread(buf, 1, sizeof buf, f);
    if (got == 0) break;
    size_t from = 0;
    for (size_t i = 0; i < got && go; ++i) {
      if (buf[i] != '\n') continue;
      pending.append(buf + from, i - from);
      from = i + 1;
      go = handle(pending, true);
      pending.clear();
    }
    if (go) pending.append(buf + from, got - from);
  }
  std::fclose(f);
  if (go && !pending.empty()) {
    // A torn tail only if it does not parse as a whole record: a writer always ends lines.
    handle(pending, false);
  }
  WARDEN_RETURN_IF_ERROR(status);
  if (scan.header.is_null()) return Status::Corrupt(path + ": empty log (no header)");
  // A torn line that is not last cannot happen (the writer appends); one in the middle is Corrupt above.
  return scan;
}

}  // namespace warden::evals
