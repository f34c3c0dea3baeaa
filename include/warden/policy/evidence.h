// Evidence: the measured facts a policy decision rests on, each bound to the artifact it came
// from by path and sha256. `warden assess` writes an evidence file; people may write one too.
//
//   {"format": "warden-evidence/1",
//    "subject": {"name": "zoo/honest", "sha256": "<model weights sha256>"},
//    "items": [
//      {"key": "hazard.score", "value": 0.43, "interval": [0.31, 0.55],
//       "model_sha256": "<the model it was measured on>", "at": "2026-11-29T19:00:00Z",
//       "source": {"path": "logs/hazard.jsonl", "sha256": "<of that file>"}, "note": "..."},
//      ...]}
//
// Values are numbers or booleans. `source.path` is relative to the evidence file's directory.
// A key may appear more than once (two runs); see CheckEvidence for when that contradicts.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "warden/base/status.h"

namespace warden::policy {

struct EvidenceItem {
  std::string key;
  bool is_bool = false;
  bool boolean = false;
  double number = 0;
  std::optional<std::pair<double, double>> interval;  // a confidence interval around `number`
  std::string model_sha256;
  std::string at;            // UTC ISO 8601, as written
  int64_t at_unix = 0;
  std::string source_path;   // as written (relative to the evidence file's directory)
  std::string source_sha256;
  std::string note;
  size_t index = 0;          // position in "items", for messages

  std::string ValueText() const;  // "0.43 [0.31, 0.55]", "true"
};

struct EvidenceBundle {
  std::string path;      // the file it was read from ("" when parsed from memory)
  std::string base_dir;  // where source paths are resolved
  std::string subject_name, subject_sha256;
  std::vector<EvidenceItem> items;
};

// Parses the format above. A malformed file, a wrong type or an unparseable time is an error
// naming the item ("evidence.json: items[3].value: ..."): nothing is guessed.
Result<EvidenceBundle> ParseEvidence(const std::string& json_text, const std::string& source,
                                     const std::string& base_dir);
Result<EvidenceBundle> LoadEvidence(const std::string& path);

// Why a needed evidence key cannot be used. Each fails a decision closed, except a missing key
// that only a requirement reads (that requirement is then unmet).
struct EvidenceProblem {
  enum class Kind { kMissing, kStale, kTampered, kContradictory, kWrongType };
  Kind kind;
  std::string key;
  std::string detail;  // names the item(s), the file, the hashes or dates involved
};
const char* ProblemKindName(EvidenceProblem::Kind k);

struct CheckOptions {
  int64_t now_unix = 0;
  double max_age_days = 30;
  bool same_model = true;
  bool verify_sources = true;  // re-hash each item's source file and compare
};

// The usable value of each key, and the problems of the keys that have none. An item is
// stale when older than max_age_days before now (or dated in the future), or, with same_model,
// measured on another model than the subject; tampered when its source file is missing or its
// sha256 differs; two usable items of one key contradict when booleans differ or numbers
// differ beyond both intervals (numbers without intervals must be equal). Usable duplicates
// that agree resolve to the first.
struct CheckedEvidence {
  std::map<std::string, EvidenceItem> usable;
  std::map<std::string, EvidenceProblem> problems;  // keys present but unusable
};
CheckedEvidence CheckEvidence(const EvidenceBundle& bundle, const CheckOptions& options);

}  // namespace warden::policy
