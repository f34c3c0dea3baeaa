// Evaluation datasets: CSV, JSON (an array of objects) or JSONL files, gzip-compressed or not,
// mapped field by field onto samples and validated row by row.
//
//   FieldMap f;  f.input = "goal";  f.category = "category";
//   Dataset d = LoadDataset("../shared/datasets/advbench/harmful_behaviors.csv", f).ValueOrThrow();
//   for (const Sample& s : d.samples) ...   // d.skipped lists rows that failed, with their lines
//
// A bad row (a missing or empty input field, a wrong type, an unparsable choices list, a CSV row
// of the wrong width, a line of invalid JSON) is reported as "<file>:<line>: <problem>". With
// BadRows::kSkip it is counted in `skipped` and loading goes on; with kFail the first one is
// the error. A file that yields no sample at all is always an error.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "warden/base/status.h"

namespace warden::evals {

struct Sample {
  std::string id;        // the id field, else "<line>" (its line in the file, 1-based)
  std::string input;     // the prompt (the user turn)
  std::string target;    // expected answer ("" when the scorer needs none); for choice tasks
                         // the correct choice's letter ("A".."Z")
  std::vector<std::string> choices;  // multiple choice options (empty otherwise)
  std::string category;  // for per-category breakdowns ("" if none)
  std::string cluster;   // samples sharing a source item share a cluster (default: their id)
  size_t line = 0;       // where the row starts in its file
};

// Which fields hold what. Empty names are not read. For JSON files a name may be a dotted path
// into nested objects ("question.stem"). `choices` names a field holding a JSON array of strings
// (JSON/JSONL) or a list of CSV columns separated by '|' ("A|B|C|D"). `target` may be a letter,
// a 0-based index (JSON integer) or the text of one choice, for choice tasks.
struct FieldMap {
  std::string input = "input";
  std::string target;
  std::string choices;
  std::string id;
  std::string category;
  std::string cluster;
};

enum class BadRows { kSkip, kFail };

struct RowError {
  size_t line = 0;
  std::string message;  // "<file>:<line>: <problem>"
};

struct Dataset {
  std::string path;
  std::string sha256;          // of the file's bytes as stored (compressed, if it is)
  std::vector<Sample> samples;
  std::vector<RowError> skipped;
};

Result<Dataset> LoadDataset(const std::string& path, const FieldMap& fields, BadRows bad_rows = BadRows::kSkip);

// The same, from bytes already in memory (`source` names them in messages; `path` is kept).
Result<Dataset> ParseDataset(const std::string& bytes, const std::string& source, const FieldMap& fields,
                             BadRows bad_rows = BadRows::kSkip);

// 'A' + index, for index < 26.
std::string ChoiceLabel(size_t index);

}  // namespace warden::evals
