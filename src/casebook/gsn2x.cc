// Export to gsn2x's input YAML (one top-level key per node; see render.h).
#include <yaml-cpp/yaml.h>

#include "warden/casebook/render.h"

namespace warden::casebook {
namespace {

const char* Gsn2xType(NodeType t) {
  switch (t) {
    case NodeType::kGoal: return "Goal";
    case NodeType::kStrategy: return "Strategy";
    case NodeType::kSolution: return "Solution";
    case NodeType::kContext: return "Context";
    case NodeType::kAssumption: return "Assumption";
    case NodeType::kJustification: return "Justification";
  }
  return "Goal";
}

void IdList(YAML::Emitter& out, const char* key, const std::vector<std::string>& ids) {
  if (ids.empty()) return;
  out << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (const auto& id : ids) out << id;
  out << YAML::EndSeq;
}

}  // namespace

std::string ExportGsn2x(const SafetyCase& c, const CaseEvaluation* e) {
  YAML::Emitter out;
  out.SetIndent(2);
  out << YAML::Comment("gsn2x input exported by warden from safety case " + c.info.id + " v" + c.info.version);
  out << YAML::BeginMap;
  out << YAML::Key << "module" << YAML::Value << YAML::BeginMap << YAML::Key << "name" << YAML::Value << c.info.id
      << YAML::Key << "brief" << YAML::Value << c.info.title << YAML::EndMap;
  for (const Node& n : c.nodes) {
    out << YAML::Key << n.id << YAML::Value << YAML::BeginMap;
    std::string text = n.text;
    if (n.type == NodeType::kSolution && n.has_evidence) {
      text += "\n[" + n.evidence.path + " sha256:" + n.evidence.sha256.substr(0, 12);
      if (n.evidence.record != RecordKind::kDocument) text += std::string(" record:") + RecordKindName(n.evidence.record);
      if (!n.evidence.selector.empty()) text += " " + n.evidence.selector;
      text += " " + n.evidence.condition.ToString() + "]";
    }
    out << YAML::Key << "text" << YAML::Value << text;
    out << YAML::Key << "nodeType" << YAML::Value << Gsn2xType(n.type);
    IdList(out, "supportedBy", n.supported_by);
    IdList(out, "inContextOf", n.in_context_of);
    if (n.undeveloped) out << YAML::Key << "undeveloped" << YAML::Value << true;
    if (e) {
      const NodeEvaluation* ne = e->FindNode(n.id);
      if (ne && ne->status == NodeStatus::kDefeated) out << YAML::Key << "defeated" << YAML::Value << true;
    }
    out << YAML::EndMap;
  }
  for (const Defeater& d : c.defeaters) {
    out << YAML::Key << d.id << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "text" << YAML::Value << d.text;
    out << YAML::Key << "nodeType" << YAML::Value << "CounterGoal";
    out << YAML::Key << "challenges" << YAML::Value << d.against;
    bool effective = d.status == DefeaterStatus::kOpen;
    if (e) {
      for (const auto& de : e->defeaters) {
        if (de.id == d.id) effective = de.effective;
      }
    }
    if (effective) {
      out << YAML::Key << "undeveloped" << YAML::Value << true;
    } else {
      out << YAML::Key << "defeated" << YAML::Value << true;
    }
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace warden::casebook
