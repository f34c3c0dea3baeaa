#include "warden/evals/eval_log.h"

#include "warden/base/json.h"

namespace warden::evals {

namespace {
Env* Or(Env* env) { return env != nullptr ? env : Env::Default(); }
}  // namespace

Result<std::unique_ptr<EvalLogWriter>> EvalLogWriter::Create(const std::string& path, const nlohmann::json& header,
                                                             Env* env) {
  WARDEN_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> f, Or(env)->NewWritableFile(path));
  std::unique_ptr<EvalLogWriter> w(new EvalLogWriter(std::move(f)));
  WARDEN_RETURN_IF_ERROR(w->Write(header));
  return w;
}

Result<std::unique_ptr<EvalLogWriter>> EvalLogWriter::Append(const std::string& path, size_t valid_bytes, Env* env) {
  WARDEN_RETURN_IF_ERROR(Or(env)->TruncateFile(path, valid_bytes));
  WARDEN_ASSIGN_OR_RETURN(std::unique_ptr<WritableFile> f, Or(env)->NewAppendableFile(path));
  return std::unique_ptr<EvalLogWriter>(new EvalLogWriter(std::move(f)));
}

Status EvalLogWriter::Write(const nlohmann::json& record) {
  WARDEN_RETURN_IF_ERROR(failed_);
  if (file_ == nullptr) return Status::Internal(path_ + ": log already closed");
  // Invalid UTF-8 from a model is replaced, not fatal: the log must keep every sample.
  const std::string line = record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  Status st = file_->Append(line);
  if (st.ok()) st = file_->Flush();
  if (!st.ok()) failed_ = st;
  return st;
}

Status EvalLogWriter::Close() {
  if (!failed_.ok()) {
    file_.reset();  // releases the descriptor; the write error is the one to report
    return failed_;
  }
  if (file_ == nullptr) return Status::Ok();
  const Status synced = file_->Sync();
  const Status closed = file_->Close();
  file_.reset();
  return synced.ok() ? closed : synced;
}

Result<EvalLogScan> ScanEvalLog(const std::string& path, const std::function<bool(const nlohmann::json&)>& on_record,
                                Env* env) {
  auto opened = Or(env)->NewSequentialFile(path);
  if (!opened.ok()) return Status::NotFound(opened.status().message());  // "cannot open <path>: ..."
  std::unique_ptr<SequentialFile> f = std::move(opened).value();
  EvalLogScan scan;
  size_t line_no = 0, offset = 0;
  std::string chunk;
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
    WARDEN_RETURN_IF_ERROR(f->Read(1 << 16, &chunk));
    const char* buf = chunk.data();
    const size_t got = chunk.size();
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
  f.reset();
  if (go && !pending.empty()) {
    // A last line without its '\n' is torn: the writer was killed, or the disk filled up, part-way
    // through it. Its sample did not finish as far as the log knows, so it is dropped here (and a
    // resumed run truncates the file at valid_bytes, before it) and that sample is run again,
    // even when the fragment happens to parse: only the newline marks a record as complete.
    handle(pending, false);
  }
  WARDEN_RETURN_IF_ERROR(status);
  if (scan.header.is_null()) return Status::Corrupt(path + ": empty log (no header)");
  // A torn line that is not last cannot happen (the writer appends); one in the middle is Corrupt above.
  return scan;
}

}  // namespace warden::evals
