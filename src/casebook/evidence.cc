// Checking evidence against its artifact: hash, record, selector, condition.
#include "warden/casebook/evidence.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <utility>

#include "warden/base/file.h"
#include "warden/base/json.h"
#include "warden/base/sha256.h"

namespace warden::casebook {
namespace {

using Json = nlohmann::json;

constexpr uint64_t kMaxJsonDocumentBytes = 256ull << 20;
constexpr size_t kMaxJsonlLineBytes = 64u << 20;

// Whether the condition needs a value read out of the artifact (or just its presence and hash).
bool NeedsValue(const Evidence& e) {
  return e.record != RecordKind::kDocument || !e.selector.empty() || e.condition.op != Condition::Op::kExists;
}

std::string Short(const std::string& hex) { return hex.size() > 12 ? hex.substr(0, 12) + ".." : hex; }

// The line of a JSONL file that `kind` names, streamed: only the first and the current line are
// held in memory.
Result<std::string> ReadJsonlLine(const std::string& path, RecordKind kind, size_t* line_no) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError(path + ": cannot open");
  std::string line, first, last;
  size_t n = 0, first_no = 0, last_no = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.size() > kMaxJsonlLineBytes) return Status::Corrupt(path + ": line " + std::to_string(n) + " is longer than 64 MiB");
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    if (first_no == 0) {
      first = line;
      first_no = n;
      if (kind == RecordKind::kFirst || kind == RecordKind::kHeader) break;
    }
    last.swap(line);
    last_no = n;
  }
  if (in.bad()) return Status::IoError(path + ": read error");
  if (first_no == 0) return Status::Corrupt(path + ": no JSONL records (empty file)");
  const bool want_first = kind == RecordKind::kFirst || kind == RecordKind::kHeader;
  *line_no = want_first ? first_no : last_no;
  return want_first ? first : last;
}

}  // namespace

const char* EvidenceStateName(EvidenceState state) {
  switch (state) {
    case EvidenceState::kOk: return "ok";
    case EvidenceState::kMissing: return "missing";
    case EvidenceState::kChanged: return "changed";
    case EvidenceState::kUnreadable: return "unreadable";
    case EvidenceState::kNoValue: return "no-value";
    case EvidenceState::kConditionFailed: return "condition-failed";
  }
  return "?";
}

Result<Json> ReadSelectedValue(const std::string& path, const Evidence& e) {
  Json doc;
  std::string where = path;
  if (e.record == RecordKind::kDocument) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return Status::NotFound(path + ": no such file");
    if (static_cast<uint64_t>(st.st_size) > kMaxJsonDocumentBytes) {
      return Status::Unsupported(path + ": larger than 256 MiB; select a JSONL record instead");
    }
    WARDEN_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
    WARDEN_ASSIGN_OR_RETURN(doc, ParseJson(text, path));
  } else {
    size_t line_no = 0;
    WARDEN_ASSIGN_OR_RETURN(std::string line, ReadJsonlLine(path, e.record, &line_no));
    where = path + " line " + std::to_string(line_no);
    WARDEN_ASSIGN_OR_RETURN(doc, ParseJson(line, where));
    if (e.record == RecordKind::kHeader || e.record == RecordKind::kFooter) {
      const char* want = RecordKindName(e.record);
      if (!doc.is_object() || !doc.contains("type") || doc["type"] != want) {
        return Status::Corrupt(where + ": expected the " + std::string(want) + " record (\"type\": \"" + want +
                               "\")" + (e.record == RecordKind::kFooter ? "; did the run finish?" : ""));
      }
    }
  }
  if (e.selector.empty()) return doc;
  Json::json_pointer ptr;
  try {
    ptr = Json::json_pointer(e.selector);
  } catch (const std::exception& ex) {
    return Status::InvalidArgument(where + ": selector " + e.selector + ": not a valid JSON pointer");
  }
  // contains() can still throw on pointers such as "/a/01" into arrays; treat those as absent.
  try {
    if (!doc.contains(ptr)) return Status::NotFound(where + ": selector " + e.selector + " finds nothing");
    return doc.at(ptr);
  } catch (const std::exception&) {
    return Status::NotFound(where + ": selector " + e.selector + " finds nothing");
  }
}

EvidenceCheck CheckEvidence(const std::string& node_id, const Evidence& evidence, const std::string& base_dir) {
  EvidenceCheck c;
  c.node_id = node_id;
  c.evidence = evidence;
  c.resolved_path = (std::filesystem::path(base_dir) / evidence.path).string();
  const std::string name = node_id + ": evidence " + evidence.path;

  struct stat st;
  if (::stat(c.resolved_path.c_str(), &st) != 0) {
    c.state = EvidenceState::kMissing;
    c.reason = name + ": artifact vanished (no such file)";
    return c;
  }
  if (!S_ISREG(st.st_mode)) {
    c.state = EvidenceState::kMissing;
    c.reason = name + ": not a regular file";
    return c;
  }
  auto sha = Sha256File(c.resolved_path);
  if (!sha.ok()) {
    c.state = EvidenceState::kUnreadable;
    c.reason = name + ": " + sha.status().message();
    return c;
  }
  c.actual_sha256 = *sha;
  const bool changed = c.actual_sha256 != evidence.sha256;

  std::string value_problem;
  EvidenceState value_state = EvidenceState::kOk;
  if (NeedsValue(evidence)) {
    auto value = ReadSelectedValue(c.resolved_path, evidence);
    if (value.ok()) {
      c.value = *std::move(value);
      const ConditionOutcome outcome = EvaluateCondition(evidence.condition, &*c.value);
      if (!outcome.met) {
        value_state = EvidenceState::kConditionFailed;
        value_problem = "condition " + evidence.condition.ToString() + " not met: " + outcome.explanation;
      }
    } else if (value.status().code() == StatusCode::kNotFound) {
      value_state = EvidenceState::kNoValue;
      value_problem = value.status().message();
    } else {
      value_state = EvidenceState::kUnreadable;
      value_problem = value.status().message();
    }
  }
  if (changed) {
    c.state = EvidenceState::kChanged;
    c.reason = name + ": artifact changed: sha256 is " + Short(c.actual_sha256) + ", the case pins " +
               Short(evidence.sha256);
    if (value_state != EvidenceState::kOk) c.reason += "; and " + value_problem;
  } else if (value_state != EvidenceState::kOk) {
    c.state = value_state;
    c.reason = name + ": " + value_problem;
  } else {
    c.state = EvidenceState::kOk;
  }
  return c;
}

}  // namespace warden::casebook
