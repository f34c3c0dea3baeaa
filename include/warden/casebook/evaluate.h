// Validating a safety case and deciding what it still supports.
//
// Structure (ValidateStructure) follows GSN:
//   - ids are unique across nodes and defeaters; every reference names an existing node;
//   - supported_by: goal -> goal | strategy | solution; strategy -> goal; nothing else;
//   - in_context_of: goal | strategy -> context | assumption | justification; nothing else;
//   - solutions carry evidence, other nodes do not;
//   - a goal or strategy has support or is marked `undeveloped: true` (not both);
//   - exactly one root goal (a goal no node supports); every node is reachable from it (via
//     supported_by, in_context_of, or as a defeater's rebuttal evidence); no cycles;
//   - a defeater attacks a node; a rebutted one lists its rebuttal solutions, an open one none.
// Each problem is an issue naming the case file, the node and its line; the nodes involved are
// `invalid`. Undeveloped goals and strategies are warnings: flagged, never silently fine.
//
// Status (EvaluateCase), worst first: invalid > defeated > undeveloped > supported.
//   - a solution is supported iff its evidence checks out (evidence.h); otherwise defeated;
//   - a goal/strategy marked undeveloped is undeveloped; otherwise it takes the worst status of
//     what supports it and of its context (a defeated assumption defeats the claims resting on it);
//   - context/assumption/justification nodes are supported unless attacked;
//   - an open defeater, or a rebutted one whose rebuttal evidence is no longer supported,
//     defeats its target.
// A node's reasons are the root causes beneath it (e.g. "Sn1: evidence logs/eval.jsonl: sha256
// is 3f.., the case pins 9a.."), so every defeated claim names the evidence that defeated it.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "warden/base/status.h"
#include "warden/casebook/evidence.h"
#include "warden/casebook/safety_case.h"

namespace warden::casebook {

enum class NodeStatus { kSupported, kUndeveloped, kDefeated, kInvalid };  // ordered: worse later
const char* NodeStatusName(NodeStatus status);  // "supported", "undeveloped", "defeated", "invalid"

struct StructureIssue {
  std::vector<std::string> node_ids;  // the nodes/defeaters involved (may be empty)
  std::string message;                // "case.yaml: node S1 (line 9): supported_by: 'Sn1' is a solution..."
};

struct StructureReport {
  std::vector<StructureIssue> errors;
  std::vector<std::string> warnings;  // undeveloped goals/strategies
  std::string root_id;                // "" unless exactly one root goal
  bool ok() const { return errors.empty(); }
};

// Pure: looks at the case only, never at the disk.
StructureReport ValidateStructure(const SafetyCase& c);

struct NodeEvaluation {
  std::string id;
  NodeType type = NodeType::kGoal;
  NodeStatus status = NodeStatus::kSupported;
  std::vector<std::string> reasons;  // empty when supported
};

struct DefeaterEvaluation {
  std::string id;
  std::string against;
  bool effective = false;  // true: it defeats its target (open, or its rebuttal fell)
  std::string reason;      // why it is (or is not) effective
};

struct CaseEvaluation {
  std::string case_id;
  std::string case_sha256;  // CaseSha256 of the evaluated case
  std::string root_id;      // "" when there is not exactly one root goal
  NodeStatus root_status = NodeStatus::kInvalid;
  std::vector<std::string> errors;    // structural, one line each
  std::vector<std::string> warnings;  // undeveloped goals/strategies
  std::vector<NodeEvaluation> nodes;  // one per node, in case order
  std::vector<EvidenceCheck> evidence;  // one per solution with evidence, in case order
  std::vector<DefeaterEvaluation> defeaters;  // in case order

  bool valid() const { return errors.empty(); }
  // What `warden case validate` exits 0 on: structurally valid and the root goal supported.
  bool supported() const { return valid() && !root_id.empty() && root_status == NodeStatus::kSupported; }
  const NodeEvaluation* FindNode(const std::string& id) const;
  const EvidenceCheck* FindEvidence(const std::string& node_id) const;
};

// Validates `c` and checks every piece of evidence against the files under `base_dir` (normally
// CaseBaseDir of the case file). Structural problems are reported in the result, not as an error;
// the Status is an error only if `base_dir` is not a directory.
Result<CaseEvaluation> EvaluateCase(const SafetyCase& c, const std::string& base_dir);

// {"case":{"id","sha256"}, "valid", "supported", "root":{"id","status"}, "errors":[...],
//  "warnings":[...], "nodes":[{"id","type","status","reasons"}], "evidence":[{"node","path",
//  "sha256","actual_sha256","record","selector","condition","value","state","reason"}],
//  "defeaters":[{"id","against","effective","reason"}]}
nlohmann::json ToJson(const CaseEvaluation& e);

}  // namespace warden::casebook
