#include "case_builder.h"

#include <yaml-cpp/yaml.h>

#include <cstdio>

#include "warden/base/format.h"
#include "warden/base/sha256.h"

namespace warden::assess::internal {
namespace {

struct NodeSpec {
  std::string id, type, text;
  std::vector<std::string> supported_by, in_context_of;
  bool undeveloped = false;
  // solutions
  std::string path, sha256, record, selector, condition;
};

class CaseWriter {
 public:
  explicit CaseWriter(std::string dir) : dir_(std::move(dir)) {}

  void Add(NodeSpec n) { nodes_.push_back(std::move(n)); }

  // A solution pinning `path` (relative to the case's directory) as it is now.
  Status Solution(const std::string& id, const std::string& text, const std::string& path, const std::string& record,
                  const std::string& selector, const std::string& condition) {
    WARDEN_ASSIGN_OR_RETURN(std::string sha, Sha256File(dir_ + "/" + path));
    NodeSpec n{id, "solution", text};
    n.path = path;
    n.sha256 = sha;
    n.record = record;
    n.selector = selector;
    n.condition = condition;
    nodes_.push_back(std::move(n));
    return Status::Ok();
  }

  std::string Emit(const std::string& id, const std::string& title, const std::string& description) const {
    YAML::Emitter e;
    e << YAML::BeginMap;
    e << YAML::Key << "case" << YAML::Value << YAML::BeginMap << YAML::Key << "id" << YAML::Value << id
      << YAML::Key << "title" << YAML::Value << title << YAML::Key << "version" << YAML::Value << "1"
      << YAML::Key << "description" << YAML::Value << description << YAML::EndMap;
    e << YAML::Key << "nodes" << YAML::Value << YAML::BeginSeq;
    for (const NodeSpec& n : nodes_) {
      e << YAML::BeginMap << YAML::Key << "id" << YAML::Value << n.id << YAML::Key << "type" << YAML::Value << n.type
        << YAML::Key << "text" << YAML::Value << n.text;
      if (!n.supported_by.empty()) e << YAML::Key << "supported_by" << YAML::Value << YAML::Flow << n.supported_by;
      if (!n.in_context_of.empty()) e << YAML::Key << "in_context_of" << YAML::Value << YAML::Flow << n.in_context_of;
      if (n.undeveloped) e << YAML::Key << "undeveloped" << YAML::Value << true;
      if (n.type == "solution") {
        e << YAML::Key << "evidence" << YAML::Value << YAML::BeginMap << YAML::Key << "path" << YAML::Value << n.path
          << YAML::Key << "sha256" << YAML::Value << n.sha256;
        if (n.record != "document") e << YAML::Key << "record" << YAML::Value << n.record;
        if (!n.selector.empty()) e << YAML::Key << "selector" << YAML::Value << n.selector;
        e << YAML::Key << "condition" << YAML::Value << YAML::DoubleQuoted << n.condition << YAML::EndMap;
      }
      e << YAML::EndMap;
    }
    e << YAML::EndSeq << YAML::EndMap;
    return std::string(e.c_str()) + "\n";
  }

 private:
  std::string dir_;
  std::vector<NodeSpec> nodes_;
};

std::string Id(const std::string& s) {
  std::string out;
  for (char c : s) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '-';
  return out;
}

// The casebook condition equivalent to a policy requirement on `selector`'s value.
std::string ConditionFor(const policy::Condition& c) {
  switch (c.op) {
    case policy::Condition::Op::kAtLeast: return ">= " + Sig(c.number, 6);
    case policy::Condition::Op::kAtMost: return "<= " + Sig(c.number, 6);
    case policy::Condition::Op::kEquals: return c.boolean ? "== true" : "== false";
  }
  return "exists";
}

}  // namespace

Result<std::string> BuildCaseYaml(const CaseInputs& in) {
  const policy::Policy& p = *in.policy;
  const policy::DecisionRecord& d = *in.decision;
  CaseWriter w(in.dir);
  std::vector<std::string> claims;

  // The decision record itself, bound by hash.
  WARDEN_RETURN_IF_ERROR(w.Solution("Sn-decision", "decision record (decision.json)", "decision.json", "document",
                                    "/decision", "== '" + std::string(policy::DecisionName(d.decision)) + "'"));
  WARDEN_RETURN_IF_ERROR(w.Solution("Sn-evidence", "evidence file: every value with its log's sha256 (evidence.json)",
                                    "evidence.json", "document", "/subject/sha256", "== '" + in.model_sha256 + "'"));
  w.Add({"G-decision", "goal",
         "Applied to current, untampered evidence, the policy decides " + std::string(policy::DecisionName(d.decision)) +
             " (required level " + std::to_string(d.required_level) + ", for training " +
             std::to_string(d.required_training_level) + ")",
         {"Sn-decision", "Sn-evidence"}});
  claims.push_back("G-decision");

  // Each domain: its capability measured, and the measurement's integrity.
  for (const policy::Domain& dom : p.domains) {
    const std::string gid = "G-" + Id(dom.id);
    auto cap = in.pointers.find(dom.capability);
    bool crossed = false;
    for (const policy::DomainResult& r : d.domains) {
      if (r.id == dom.id) crossed = r.crossed;
    }
    if (cap == in.pointers.end()) {
      w.Add({gid, "goal", dom.id + ": capability not measured (" + dom.capability + " missing): the domain counts as crossed",
             {}, {}, true});
    } else {
      const std::string sn = "Sn-" + Id(dom.id) + "-score";
      // Below: the upper end of the interval under the threshold. Crossed: the level it requires
      // is argued by the safeguard goals; here only that the measurement exists.
      WARDEN_RETURN_IF_ERROR(w.Solution(sn, cap->second.describe, cap->second.path, cap->second.record,
                                        cap->second.selector, crossed ? "exists" : "< " + Sig(dom.threshold, 6)));
      w.Add({gid, "goal",
             crossed ? dom.id + ": at or above the capability threshold " + Sig(dom.threshold, 6) + " (or not shown below it): level " +
                           std::to_string(dom.level) + " safeguards apply"
                     : dom.id + ": capability below the threshold " + Sig(dom.threshold, 6) + " at the upper end of its interval",
             {sn}});
    }
    claims.push_back(gid);
    for (const std::string& key : dom.integrity) {
      const std::string ig = "G-" + Id(dom.id) + "-" + Id(key);
      auto ptr = in.pointers.find(key);
      if (ptr == in.pointers.end()) {
        w.Add({ig, "goal", "The " + dom.id + " evaluation is trustworthy (" + key + "): not checked", {}, {}, true});
      } else {
        const std::string sn = "Sn-" + Id(key);
        WARDEN_RETURN_IF_ERROR(w.Solution(sn, ptr->second.describe, ptr->second.path, ptr->second.record,
                                          ptr->second.selector, ptr->second.good_condition));
        w.Add({ig, "goal", "The " + dom.id + " evaluation shows the model's real capability: it is not sandbagging", {sn}});
      }
      claims.push_back(ig);
    }
    if (in.has_forecast && !dom.forecast.empty()) {
      WARDEN_RETURN_IF_ERROR(w.Solution("Sn-forecast", in.forecast_summary, "forecast-hazard.json", "document",
                                        "/crossing_probability", "<= " + Sig(dom.forecast_max, 6)));
      w.Add({"G-" + Id(dom.id) + "-forecast", "goal",
             dom.id + ": the forecast gives at most " + Sig(dom.forecast_max, 6) + " probability of crossing " +
                 Sig(dom.threshold, 6) + " within the buffer",
             {"Sn-forecast"}});
      claims.push_back("G-" + Id(dom.id) + "-forecast");
    }
  }

  // Every safeguard the required levels demand.
  for (const policy::Level& level : p.levels) {
    for (const policy::Requirement& r : level.requires) {
      const int needed = r.stage == policy::Stage::kTraining ? d.required_training_level : d.required_level;
      if (level.id > needed) continue;
      const std::string gid = "G-req-" + Id(r.id);
      const std::string text = (r.text.empty() ? r.id : r.text) + " (level " + std::to_string(level.id) + ", " +
                               policy::StageName(r.stage) + ")";
      auto ptr = in.pointers.find(r.evidence);
      if (ptr == in.pointers.end()) {
        w.Add({gid, "goal", text + ": no evidence (" + r.evidence + ")", {}, {}, true});
      } else {
        const std::string sn = "Sn-" + Id(r.evidence);
        WARDEN_RETURN_IF_ERROR(w.Solution(sn, ptr->second.describe, ptr->second.path, ptr->second.record,
                                          ptr->second.selector, ConditionFor(r.condition)));
        w.Add({gid, "goal", text, {sn}});
      }
      claims.push_back(gid);
    }
  }

  // What this assessment does not examine: open, so the case cannot claim it.
  w.Add({"G-backdoor", "goal",
         "The model has no trigger-conditioned behaviour (backdoor): NOT EXAMINED by this assessment; "
         "automated red-teaming arrives with a later issue",
         {}, {}, true});
  claims.push_back("G-backdoor");

  w.Add({"S-main", "strategy",
         "Argue over the decision record, each risk domain and the integrity of its evaluation, each safeguard "
         "the required level demands, and the threats not yet examined",
         claims, {"J-conservative"}});
  w.Add({"C-policy", "context",
         "Policy " + p.name + " v" + p.version + " (sha256 " + p.sha256.substr(0, 16) + "...)"});
  w.Add({"C-model", "context", "Model " + in.model_dir + ", weights sha256 " + in.model_sha256.substr(0, 16) + "..."});
  w.Add({"A-heldout", "assumption",
         "The held-out prompts and items stand in for what the model will meet; they were never trained on"});
  w.Add({"J-conservative", "justification",
         "Capability is read at the upper end of its 95% interval and safeguards at the lower end"});
  w.Add({"G-root", "goal",
         in.subject + ": the decision " + std::string(policy::DecisionName(d.decision)) +
             " is justified by current evidence bound to its logs",
         {"S-main"}, {"C-policy", "C-model", "A-heldout"}});
  return w.Emit("assess-" + Id(in.subject), in.subject + ": safety case compiled by warden assess",
                "Compiled from the assessment's artifacts; unsigned until reviewers sign it (warden case sign).");
}

}  // namespace warden::assess::internal
