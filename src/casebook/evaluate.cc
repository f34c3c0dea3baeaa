// Status propagation: evidence up through the claims it supports, defeaters onto their targets.
#include "warden/casebook/evaluate.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "warden/base/file.h"

namespace warden::casebook {
namespace {

using Json = nlohmann::json;

struct Verdict {
  NodeStatus status = NodeStatus::kSupported;
  std::vector<std::string> reasons;  // root causes, de-duplicated, in discovery order
};

void AddReasons(Verdict* v, const std::vector<std::string>& reasons) {
  for (const auto& r : reasons) {
    if (std::find(v->reasons.begin(), v->reasons.end(), r) == v->reasons.end()) v->reasons.push_back(r);
  }
}

// Folds `other` into `v`: the worse status wins and brings its reasons; equal ones merge.
void Merge(Verdict* v, NodeStatus status, const std::vector<std::string>& reasons) {
  if (status < v->status || status == NodeStatus::kSupported) return;
  if (status > v->status) {
    v->status = status;
    v->reasons.clear();
  }
  AddReasons(v, reasons);
}

class Propagator {
 public:
  Propagator(const SafetyCase& c, const StructureReport& s, CaseEvaluation* e) : c_(c), e_(e) {
    for (const Node& n : c.nodes) nodes_.emplace(n.id, &n);
    for (const StructureIssue& issue : s.errors) {
      for (const auto& id : issue.node_ids) invalid_[id].push_back(issue.message);
    }
    for (const EvidenceCheck& ev : e->evidence) evidence_.emplace(ev.node_id, &ev);
  }

  void Run() {
    for (const Node& n : c_.nodes) {
      const Verdict& v = Of(n.id);
      e_->nodes.push_back({n.id, n.type, v.status, v.reasons});
    }
    for (const Defeater& d : c_.defeaters) {
      for (const auto& id : d.rebutted_by) Of(id);
      e_->defeaters.push_back(EvaluateDefeater(d));
    }
    if (!e_->root_id.empty()) e_->root_status = Of(e_->root_id).status;
  }

 private:
  // A defeater is effective when open, or when any of its rebuttal evidence is not supported.
  DefeaterEvaluation EvaluateDefeater(const Defeater& d) const {
    DefeaterEvaluation de{d.id, d.against, false, ""};
    if (d.status == DefeaterStatus::kOpen) {
      de.effective = true;
      de.reason = "defeater " + d.id + " is open: " + d.text;
    } else {
      std::vector<std::string> fallen;
      for (const auto& id : d.rebutted_by) {
        if (!nodes_.count(id)) continue;
        const Verdict& v = Dep(id);
        if (v.status != NodeStatus::kSupported) {
          fallen.push_back(id + " is " + NodeStatusName(v.status) + (v.reasons.empty() ? "" : " (" + v.reasons[0] + ")"));
        }
      }
      if (!fallen.empty()) {
        de.effective = true;
        de.reason = "defeater " + d.id + " is back: its rebuttal no longer holds: " + fallen[0];
      } else {
        de.reason = "defeater " + d.id + " is rebutted by " + std::to_string(d.rebutted_by.size()) + " solution(s)";
      }
    }
    return de;
  }

  // What a node's verdict depends on: its support, its context, and the rebuttal evidence of
  // defeaters against it.
  std::vector<std::string> Deps(const std::string& id) const {
    std::vector<std::string> deps;
    auto it = nodes_.find(id);
    if (it == nodes_.end()) return deps;
    for (const auto& d : it->second->supported_by) deps.push_back(d);
    for (const auto& d : it->second->in_context_of) deps.push_back(d);
    for (const Defeater& d : c_.defeaters) {
      if (d.against == id) deps.insert(deps.end(), d.rebutted_by.begin(), d.rebutted_by.end());
    }
    return deps;
  }

  // Post-order over Deps, iteratively: a chain of 100,000 goals must not exhaust the stack. A
  // dependency still in progress closes a cycle; Compute sees it unfinished and calls it invalid.
  const Verdict& Of(const std::string& id) {
    if (auto done = verdicts_.find(id); done != verdicts_.end()) return done->second;
    std::vector<std::string> work = {id};
    while (!work.empty()) {
      const std::string x = work.back();
      int& st = state_[x];
      if (st == 2) {
        work.pop_back();
      } else if (st == 0) {
        st = 1;
        for (const auto& d : Deps(x)) {
          if (nodes_.count(d) && state_[d] == 0) work.push_back(d);
        }
      } else {
        work.pop_back();
        verdicts_.emplace(x, Compute(x));
        state_[x] = 2;
      }
    }
    return verdicts_.at(id);
  }

  // The verdict of a finished dependency, or "invalid" for one that closes a cycle.
  const Verdict& Dep(const std::string& id) const {
    static const Verdict kCycle{NodeStatus::kInvalid, {"part of a cycle"}};
    auto it = verdicts_.find(id);
    return it == verdicts_.end() ? kCycle : it->second;
  }

  Verdict Compute(const std::string& id) {
    Verdict v;
    auto it = nodes_.find(id);
    if (it == nodes_.end()) {
      v.status = NodeStatus::kInvalid;
      v.reasons.push_back("unknown id " + id);
      return v;
    }
    const Node& n = *it->second;
    if (auto bad = invalid_.find(id); bad != invalid_.end()) {
      v.status = NodeStatus::kInvalid;
      AddReasons(&v, bad->second);
    }
    if (n.type == NodeType::kSolution) {
      auto ev = evidence_.find(id);
      if (ev != evidence_.end() && !ev->second->ok()) Merge(&v, NodeStatus::kDefeated, {ev->second->reason});
    } else if (n.undeveloped) {
      Merge(&v, NodeStatus::kUndeveloped, {id + ": undeveloped"});
    }
    for (const auto& child : n.supported_by) {
      if (!nodes_.count(child)) continue;  // dangling: already made this node invalid
      const Verdict& cv = Dep(child);
      Merge(&v, cv.status, cv.reasons);
    }
    for (const auto& ctx : n.in_context_of) {
      if (!nodes_.count(ctx)) continue;
      const Verdict& cv = Dep(ctx);
      // Context that is merely undeveloped does not exist; anything worse undermines the claim.
      if (cv.status >= NodeStatus::kDefeated) Merge(&v, cv.status, cv.reasons);
    }
    for (const Defeater& d : c_.defeaters) {
      if (d.against != id) continue;
      const DefeaterEvaluation de = EvaluateDefeater(d);
      if (de.effective) Merge(&v, NodeStatus::kDefeated, {de.reason});
    }
    return v;
  }

  const SafetyCase& c_;
  CaseEvaluation* e_;
  std::map<std::string, const Node*> nodes_;
  std::map<std::string, std::vector<std::string>> invalid_;
  std::map<std::string, const EvidenceCheck*> evidence_;
  std::map<std::string, Verdict> verdicts_;
  std::map<std::string, int> state_;  // 0 new, 1 in progress, 2 done
};

}  // namespace

const char* NodeStatusName(NodeStatus status) {
  switch (status) {
    case NodeStatus::kSupported: return "supported";
    case NodeStatus::kUndeveloped: return "undeveloped";
    case NodeStatus::kDefeated: return "defeated";
    case NodeStatus::kInvalid: return "invalid";
  }
  return "?";
}

const NodeEvaluation* CaseEvaluation::FindNode(const std::string& id) const {
  for (const auto& n : nodes) {
    if (n.id == id) return &n;
  }
  return nullptr;
}

const EvidenceCheck* CaseEvaluation::FindEvidence(const std::string& node_id) const {
  for (const auto& ev : evidence) {
    if (ev.node_id == node_id) return &ev;
  }
  return nullptr;
}

Result<CaseEvaluation> EvaluateCase(const SafetyCase& c, const std::string& base_dir) {
  if (!IsDirectory(base_dir)) return Status::NotFound(base_dir + ": evidence directory does not exist");
  CaseEvaluation e;
  e.case_id = c.info.id;
  e.case_sha256 = CaseSha256(c);
  StructureReport s = ValidateStructure(c);
  for (const auto& issue : s.errors) e.errors.push_back(issue.message);
  e.warnings = s.warnings;
  e.root_id = s.root_id;
  std::set<std::string> checked;
  for (const Node& n : c.nodes) {
    if (n.type != NodeType::kSolution || !n.has_evidence || !checked.insert(n.id).second) continue;
    e.evidence.push_back(CheckEvidence(n.id, n.evidence, base_dir));
  }
  Propagator(c, s, &e).Run();
  return e;
}

Json ToJson(const CaseEvaluation& e) {
  Json nodes = Json::array();
  for (const auto& n : e.nodes) {
    nodes.push_back({{"id", n.id}, {"type", NodeTypeName(n.type)}, {"status", NodeStatusName(n.status)},
                     {"reasons", n.reasons}});
  }
  Json evidence = Json::array();
  for (const auto& ev : e.evidence) {
    evidence.push_back({{"node", ev.node_id},
                        {"path", ev.evidence.path},
                        {"sha256", ev.evidence.sha256},
                        {"actual_sha256", ev.actual_sha256},
                        {"record", RecordKindName(ev.evidence.record)},
                        {"selector", ev.evidence.selector},
                        {"condition", ev.evidence.condition.ToString()},
                        {"value", ev.value ? *ev.value : Json()},
                        {"state", EvidenceStateName(ev.state)},
                        {"reason", ev.reason}});
  }
  Json defeaters = Json::array();
  for (const auto& d : e.defeaters) {
    defeaters.push_back({{"id", d.id}, {"against", d.against}, {"effective", d.effective}, {"reason", d.reason}});
  }
  return {{"case", {{"id", e.case_id}, {"sha256", e.case_sha256}}},
          {"valid", e.valid()},
          {"supported", e.supported()},
          {"root", {{"id", e.root_id}, {"status", NodeStatusName(e.root_status)}}},
          {"errors", e.errors},
          {"warnings", e.warnings},
          {"nodes", std::move(nodes)},
          {"evidence", std::move(evidence)},
          {"defeaters", std::move(defeaters)}};
}

}  // namespace warden::casebook
