// GSN structure rules (include/warden/casebook/evaluate.h): references, relations, the root,
// reachability and cycles. Pure: never touches the disk.
#include <functional>
#include <map>
#include <set>

#include "warden/casebook/evaluate.h"

namespace warden::casebook {
namespace {

bool IsClaim(NodeType t) { return t == NodeType::kGoal || t == NodeType::kStrategy; }
bool IsContextual(NodeType t) {
  return t == NodeType::kContext || t == NodeType::kAssumption || t == NodeType::kJustification;
}

// What may support a node of type `parent`.
bool MaySupport(NodeType parent, NodeType child) {
  switch (parent) {
    case NodeType::kGoal:
      return child == NodeType::kGoal || child == NodeType::kStrategy || child == NodeType::kSolution;
    case NodeType::kStrategy:
      return child == NodeType::kGoal;
    default:
      return false;
  }
}

class Checker {
 public:
  explicit Checker(const SafetyCase& c) : c_(c) {}

  StructureReport Run() {
    IndexIds();
    for (const Node& n : c_.nodes) CheckNode(n);
    for (const Defeater& d : c_.defeaters) CheckDefeater(d);
    FindRoot();
    FindCycles();
    CheckReachable();
    return std::move(r_);
  }

 private:
  std::string Where(const Node& n) const {
    return c_.source_name + ": node " + n.id + " (line " + std::to_string(n.line) + ")";
  }
  std::string Where(const Defeater& d) const {
    return c_.source_name + ": defeater " + d.id + " (line " + std::to_string(d.line) + ")";
  }
  void Issue(std::vector<std::string> ids, std::string message) {
    r_.errors.push_back({std::move(ids), std::move(message)});
  }

  void IndexIds() {
    std::map<std::string, int> first_line;
    auto see = [&](const std::string& id, int line, const std::string& where) {
      auto [it, inserted] = first_line.emplace(id, line);
      if (!inserted) Issue({id}, where + ": duplicate id '" + id + "' (first used at line " + std::to_string(it->second) + ")");
    };
    for (const Node& n : c_.nodes) {
      see(n.id, n.line, Where(n));
      nodes_.emplace(n.id, &n);  // the first wins for look-ups
    }
    for (const Defeater& d : c_.defeaters) {
      see(d.id, d.line, Where(d));
      defeaters_.emplace(d.id, &d);
    }
  }

  // Resolves `id` referenced from `where`/`field`, reporting dangling references and defeaters.
  const Node* Ref(const std::string& from, const std::string& where, const std::string& field, const std::string& id) {
    auto it = nodes_.find(id);
    if (it != nodes_.end()) return it->second;
    if (defeaters_.count(id)) {
      Issue({from, id}, where + ": " + field + ": '" + id + "' is a defeater, not a node");
    } else {
      Issue({from}, where + ": " + field + ": dangling reference to unknown id '" + id + "'");
    }
    return nullptr;
  }

  void CheckDuplicates(const Node& n, const std::vector<std::string>& ids, const char* field) {
    std::set<std::string> seen;
    for (const std::string& id : ids) {
      if (!seen.insert(id).second) Issue({n.id}, Where(n) + ": " + field + ": '" + id + "' listed twice");
    }
  }

  void CheckNode(const Node& n) {
    const std::string where = Where(n);
    const char* type = NodeTypeName(n.type);
    CheckDuplicates(n, n.supported_by, "supported_by");
    CheckDuplicates(n, n.in_context_of, "in_context_of");
    for (const std::string& id : n.supported_by) {
      const Node* child = Ref(n.id, where, "supported_by", id);
      if (child == nullptr) continue;
      if (!MaySupport(n.type, child->type)) {
        std::string allowed = n.type == NodeType::kGoal       ? "goals, strategies or solutions"
                              : n.type == NodeType::kStrategy ? "goals"
                                                              : "nothing (only goals and strategies are supported)";
        Issue({n.id, id}, where + ": supported_by: a " + type + " cannot be supported by " + id + ", a " +
                              NodeTypeName(child->type) + "; a " + type + " is supported by " + allowed +
                              (IsContextual(child->type) ? "; use in_context_of for context" : ""));
      }
    }
    for (const std::string& id : n.in_context_of) {
      const Node* ctx = Ref(n.id, where, "in_context_of", id);
      if (ctx == nullptr) continue;
      if (!IsClaim(n.type)) {
        Issue({n.id}, where + ": in_context_of: only goals and strategies have context, not a " + type);
      } else if (!IsContextual(ctx->type)) {
        Issue({n.id, id}, where + ": in_context_of: " + id + " is a " + NodeTypeName(ctx->type) +
                              "; context must be a context, assumption or justification");
      }
    }
    if (n.type == NodeType::kSolution && !n.has_evidence) {
      Issue({n.id}, where + ": a solution needs evidence {path, sha256, ...}");
    }
    if (n.type != NodeType::kSolution && n.has_evidence) {
      Issue({n.id}, where + ": only solutions carry evidence, not a " + type);
    }
    if (n.undeveloped && !IsClaim(n.type)) {
      Issue({n.id}, where + ": only goals and strategies can be undeveloped, not a " + type);
    }
    if (IsClaim(n.type)) {
      if (n.undeveloped && !n.supported_by.empty()) {
        Issue({n.id}, where + ": marked undeveloped but has supported_by");
      } else if (n.undeveloped) {
        r_.warnings.push_back(where + ": " + type + " is undeveloped (its claim rests on nothing yet)");
      } else if (n.supported_by.empty()) {
        Issue({n.id}, where + ": a " + std::string(type) + " with no support; support it or mark it undeveloped: true");
      }
    }
  }

  void CheckDefeater(const Defeater& d) {
    const std::string where = Where(d);
    Ref(d.id, where, "against", d.against);
    if (d.status == DefeaterStatus::kRebutted && d.rebutted_by.empty()) {
      Issue({d.id}, where + ": status rebutted but rebutted_by lists no evidence");
    }
    if (d.status == DefeaterStatus::kOpen && !d.rebutted_by.empty()) {
      Issue({d.id}, where + ": status open but rebutted_by lists evidence; is it rebutted?");
    }
    for (const std::string& id : d.rebutted_by) {
      const Node* s = Ref(d.id, where, "rebutted_by", id);
      if (s != nullptr && s->type != NodeType::kSolution) {
        Issue({d.id, id}, where + ": rebutted_by: " + id + " is a " + NodeTypeName(s->type) + ", not a solution");
      }
    }
  }

  void FindRoot() {
    std::set<std::string> supported;
    for (const Node& n : c_.nodes) supported.insert(n.supported_by.begin(), n.supported_by.end());
    std::vector<std::string> roots;
    for (const Node& n : c_.nodes) {
      if (n.type == NodeType::kGoal && !supported.count(n.id) && nodes_.at(n.id) == &n) roots.push_back(n.id);
    }
    if (roots.size() == 1) {
      r_.root_id = roots[0];
    } else if (roots.empty()) {
      Issue({}, c_.source_name + ": no root goal (every goal supports another; is there a cycle?)");
    } else {
      std::string list;
      for (const auto& id : roots) list += (list.empty() ? "" : ", ") + id;
      Issue(roots, c_.source_name + ": " + std::to_string(roots.size()) + " root goals (" + list +
                       "); a case has exactly one top-level claim");
    }
  }

  void FindCycles() {
    std::map<std::string, int> state;  // 0 unseen, 1 on the stack, 2 done
    std::vector<std::string> stack;
    std::set<std::string> reported;
    // Iterative DFS so that a deep chain cannot exhaust the stack.
    for (const Node& start : c_.nodes) {
      if (state[start.id] != 0) continue;
      std::vector<std::pair<const Node*, size_t>> work = {{nodes_.at(start.id), 0}};
      state[start.id] = 1;
      stack.push_back(start.id);
      while (!work.empty()) {
        auto& [node, next] = work.back();
        if (next == node->supported_by.size()) {
          state[node->id] = 2;
          stack.pop_back();
          work.pop_back();
          continue;
        }
        const std::string& child_id = node->supported_by[next++];
        auto it = nodes_.find(child_id);
        if (it == nodes_.end()) continue;
        const int s = state[child_id];
        if (s == 1) {
          std::vector<std::string> cycle;
          std::string path;
          bool in = false;
          for (const auto& id : stack) {
            if (id == child_id) in = true;
            if (in) {
              cycle.push_back(id);
              path += id + " -> ";
            }
          }
          path += child_id;
          if (reported.insert(path).second) Issue(cycle, c_.source_name + ": cycle in supported_by: " + path);
        } else if (s == 0) {
          state[child_id] = 1;
          stack.push_back(child_id);
          work.push_back({it->second, 0});
        }
      }
    }
  }

  void CheckReachable() {
    if (r_.root_id.empty()) return;
    std::set<std::string> seen = {r_.root_id};
    std::vector<std::string> todo = {r_.root_id};
    auto visit = [&](const std::string& id) {
      if (nodes_.count(id) && seen.insert(id).second) todo.push_back(id);
    };
    while (!todo.empty()) {
      const Node* n = nodes_.at(todo.back());
      todo.pop_back();
      for (const auto& id : n->supported_by) visit(id);
      for (const auto& id : n->in_context_of) visit(id);
      for (const Defeater& d : c_.defeaters) {
        if (d.against == n->id) {
          for (const auto& id : d.rebutted_by) visit(id);
        }
      }
    }
    for (const Node& n : c_.nodes) {
      if (!seen.count(n.id)) {
        Issue({n.id}, Where(n) + ": not connected to the root goal " + r_.root_id);
      }
    }
  }

  const SafetyCase& c_;
  std::map<std::string, const Node*> nodes_;
  std::map<std::string, const Defeater*> defeaters_;
  StructureReport r_;
};

}  // namespace

StructureReport ValidateStructure(const SafetyCase& c) { return Checker(c).Run(); }

}  // namespace warden::casebook
