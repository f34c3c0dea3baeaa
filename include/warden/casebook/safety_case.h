// Safety cases in Goal Structuring Notation (GSN): claims (goals), arguments (strategies),
// evidence (solutions bound to artifacts by sha256), their context, and defeaters.
//
// A case is a YAML file (schema and example: docs/casebook.md):
//
//   case: {id: rsp-asl3, title: "...", version: "3"}
//   nodes:
//     - {id: G1, type: goal, text: "...", supported_by: [S1], in_context_of: [C1]}
//     - {id: S1, type: strategy, text: "...", supported_by: [G2]}
//     - {id: G2, type: goal, text: "...", supported_by: [Sn1]}
//     - id: Sn1
//       type: solution
//       text: "..."
//       evidence: {path: decision.json, sha256: <64 hex>, selector: /checks/x/passed,
//                  condition: "== true"}
//     - {id: C1, type: context, text: "..."}
//   defeaters:
//     - {id: D1, text: "...", against: G2, status: rebutted, rebutted_by: [Sn1]}
//
// Parsing checks syntax, field types, the node types, ids, hex digests and conditions, and
// returns a Corrupt/InvalidArgument Status naming the file, the field and its line
// ("case.yaml: nodes[3].evidence.sha256: missing (line 14)"). Whether the nodes form a valid
// GSN argument (references, relations, one root, no cycles) is checked later by
// ValidateStructure / EvaluateCase, which report every problem at once instead of the first.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "warden/base/status.h"
#include "warden/casebook/condition.h"

namespace warden::casebook {

enum class NodeType { kGoal, kStrategy, kSolution, kContext, kAssumption, kJustification };

// "goal", "strategy", "solution", "context", "assumption", "justification".
const char* NodeTypeName(NodeType type);

// Which part of an artifact an evidence selector reads.
enum class RecordKind {
  kDocument,  // the whole file is one JSON document (or, with no selector and condition
              // `exists`, any file at all: only its hash matters)
  kHeader,    // JSONL (e.g. a warden eval log): the first line, which must have "type": "header"
  kFooter,    // JSONL: the last line, which must have "type": "footer" (a killed run has none)
  kFirst,     // JSONL: the first non-empty line
  kLast,      // JSONL: the last non-empty line
};
// "document", "header", "footer", "first", "last": the YAML spelling of `record:`.
const char* RecordKindName(RecordKind kind);

// What a solution rests on: one artifact, pinned by its content hash, and a check on a value
// read from it.
struct Evidence {
  std::string path;      // as written: relative to the case file's directory (never absolute)
  std::string sha256;    // 64 lower-case hex digits: the artifact as the case's author saw it
  RecordKind record = RecordKind::kDocument;
  std::string selector;  // RFC 6901 JSON pointer into the document/record; "" = all of it
  Condition condition;   // default `exists`
};

struct Node {
  std::string id;  // [A-Za-z0-9_.-]+, unique across nodes and defeaters
  NodeType type = NodeType::kGoal;
  std::string text;
  std::vector<std::string> supported_by;   // ids, in the order written
  std::vector<std::string> in_context_of;  // ids, in the order written
  bool undeveloped = false;                // goals/strategies left open on purpose
  bool has_evidence = false;               // solutions must have it (checked by validation)
  Evidence evidence;
  int line = 0;  // 1-based line of the node in the source, for messages
};

enum class DefeaterStatus { kOpen, kRebutted };
const char* DefeaterStatusName(DefeaterStatus status);  // "open", "rebutted"

// A reason to doubt a node. Open, it defeats its target; rebutted, it is answered by the
// solutions in rebutted_by, and comes back (defeating its target) if any of them is defeated.
struct Defeater {
  std::string id;
  std::string text;
  std::string against;  // the node it attacks
  DefeaterStatus status = DefeaterStatus::kOpen;
  std::vector<std::string> rebutted_by;  // solution ids
  int line = 0;
};

struct CaseInfo {
  std::string id;
  std::string title;
  std::string version;
  std::string description;  // optional
};

struct SafetyCase {
  std::string source_name;  // for messages, e.g. the file's path
  CaseInfo info;
  std::vector<Node> nodes;  // in file order
  std::vector<Defeater> defeaters;

  // The first node with this id, or nullptr. The pointer lives as long as the case is unchanged.
  const Node* FindNode(const std::string& id) const;
  const Defeater* FindDefeater(const std::string& id) const;
};

// Parses a case from YAML text. `source_name` prefixes every error message. Never throws.
// Inputs over 4 MiB are refused.
Result<SafetyCase> ParseCase(const std::string& yaml_text, const std::string& source_name);

// Reads and parses the file at `path` (errors name the path).
Result<SafetyCase> LoadCase(const std::string& path);

// The canonical form of a parsed case: what it says, not how it is written. Comments, key order,
// quoting, flow or block style and the order of nodes/defeaters do not change it (nodes and
// defeaters are sorted by id; lists keep their written order). Sign-offs cover its hash.
nlohmann::json CanonicalCaseJson(const SafetyCase& c);

// Lower-case hex sha256 of CanonicalCaseJson(c), serialised compactly.
std::string CaseSha256(const SafetyCase& c);

// The directory that evidence paths of the case file at `case_path` are relative to.
std::string CaseBaseDir(const std::string& case_path);

}  // namespace warden::casebook
