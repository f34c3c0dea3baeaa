// Names, look-ups and the canonical form of a safety case.
#include <algorithm>
#include <filesystem>

#include "warden/base/crypto.h"
#include "warden/base/sha256.h"
#include "warden/casebook/safety_case.h"

namespace warden::casebook {

using Json = nlohmann::json;

const char* NodeTypeName(NodeType type) {
  switch (type) {
    case NodeType::kGoal: return "goal";
    case NodeType::kStrategy: return "strategy";
    case NodeType::kSolution: return "solution";
    case NodeType::kContext: return "context";
    case NodeType::kAssumption: return "assumption";
    case NodeType::kJustification: return "justification";
  }
  return "?";
}

const char* RecordKindName(RecordKind kind) {
  switch (kind) {
    case RecordKind::kDocument: return "document";
    case RecordKind::kHeader: return "header";
    case RecordKind::kFooter: return "footer";
    case RecordKind::kFirst: return "first";
    case RecordKind::kLast: return "last";
  }
  return "?";
}

const char* DefeaterStatusName(DefeaterStatus status) {
  return status == DefeaterStatus::kOpen ? "open" : "rebutted";
}

const Node* SafetyCase::FindNode(const std::string& id) const {
  for (const Node& n : nodes) {
    if (n.id == id) return &n;
  }
  return nullptr;
}

const Defeater* SafetyCase::FindDefeater(const std::string& id) const {
  for (const Defeater& d : defeaters) {
    if (d.id == id) return &d;
  }
  return nullptr;
}

Json CanonicalCaseJson(const SafetyCase& c) {
  Json nodes = Json::array();
  std::vector<const Node*> sorted_nodes;
  for (const Node& n : c.nodes) sorted_nodes.push_back(&n);
  std::stable_sort(sorted_nodes.begin(), sorted_nodes.end(),
                   [](const Node* a, const Node* b) { return a->id < b->id; });
  for (const Node* n : sorted_nodes) {
    Json j = {{"id", n->id},
              {"type", NodeTypeName(n->type)},
              {"text", n->text},
              {"supported_by", n->supported_by},
              {"in_context_of", n->in_context_of},
              {"undeveloped", n->undeveloped}};
    if (n->has_evidence) {
      j["evidence"] = {{"path", n->evidence.path},
                       {"sha256", n->evidence.sha256},
                       {"record", RecordKindName(n->evidence.record)},
                       {"selector", n->evidence.selector},
                       {"condition", {{"op", n->evidence.condition.ToString()},
                                      {"operand", n->evidence.condition.operand}}}};
    }
    nodes.push_back(std::move(j));
  }
  std::vector<const Defeater*> sorted_defeaters;
  for (const Defeater& d : c.defeaters) sorted_defeaters.push_back(&d);
  std::stable_sort(sorted_defeaters.begin(), sorted_defeaters.end(),
                   [](const Defeater* a, const Defeater* b) { return a->id < b->id; });
  Json defeaters = Json::array();
  for (const Defeater* d : sorted_defeaters) {
    defeaters.push_back({{"id", d->id},
                         {"text", d->text},
                         {"against", d->against},
                         {"status", DefeaterStatusName(d->status)},
                         {"rebutted_by", d->rebutted_by}});
  }
  // nlohmann::json objects keep keys sorted, so the serialisation is canonical.
  return {{"format", "warden-safety-case/1"},
          {"case", {{"id", c.info.id}, {"title", c.info.title}, {"version", c.info.version},
                    {"description", c.info.description}}},
          {"nodes", std::move(nodes)},
          {"defeaters", std::move(defeaters)}};
}

std::string CaseSha256(const SafetyCase& c) {
  // The parser admits valid UTF-8 only; `replace` keeps this total for hand-built cases.
  return CanonicalSha256(CanonicalCaseJson(c));
}

std::string CaseBaseDir(const std::string& case_path) {
  std::filesystem::path dir = std::filesystem::path(case_path).parent_path();
  return dir.empty() ? "." : dir.string();
}

}  // namespace warden::casebook
