// "What would change the decision": each key the policy reads, moved across each boundary it
// is compared with, decided again on the checked evidence.
#include <cmath>
#include <cstdio>
#include <set>

#include "decide_internal.h"
#include "warden/base/format.h"
#include "warden/policy/decision.h"

namespace warden::policy {
namespace {

struct Probe {
  std::string key;
  bool is_bool = false;
  std::set<double> bounds;  // numbers the key is compared with
};

// The keys the policy reads, with the boundaries each is compared against.
std::map<std::string, Probe> KeysOf(const Policy& p) {
  std::map<std::string, Probe> keys;
  auto add = [&](const std::string& key, bool is_bool, double bound) {
    Probe& pr = keys[key];
    pr.key = key;
    pr.is_bool = is_bool;
    if (!is_bool) pr.bounds.insert(bound);
  };
  for (const Domain& d : p.domains) {
    add(d.capability, false, d.threshold);
    add(d.capability, false, d.early_warning);
    if (!d.forecast.empty()) add(d.forecast, false, d.forecast_max);
    for (const std::string& k : d.integrity) add(k, true, 0);
  }
  for (const Level& l : p.levels) {
    for (const Requirement& r : l.requires) add(r.evidence, r.condition.op == Condition::Op::kEquals, r.condition.number);
  }
  return keys;
}

}  // namespace

std::vector<Counterfactual> Explain(const Policy& policy, const EvidenceBundle& evidence, const CheckOptions& options) {
  const CheckedEvidence checked = CheckEvidence(evidence, options);
  const Decision actual = internal::DecideChecked(policy, evidence, checked, options, "").decision;
  std::vector<Counterfactual> out;
  for (const auto& [key, probe] : KeysOf(policy)) {
    auto usable = checked.usable.find(key);
    const bool have = usable != checked.usable.end() && usable->second.is_bool == probe.is_bool;
    EvidenceItem base;
    if (have) {
      base = usable->second;
    } else {
      base.key = key;
      base.is_bool = probe.is_bool;
      base.model_sha256 = evidence.subject_sha256;
    }
    std::string from;
    if (have) {
      from = base.ValueText();
    } else if (auto p = checked.problems.find(key); p != checked.problems.end()) {
      from = std::string("(") + ProblemKindName(p->second.kind) + ")";
    } else {
      from = "(missing)";
    }
    std::vector<EvidenceItem> trials;
    if (probe.is_bool) {
      for (bool v : {false, true}) {
        if (have && base.boolean == v) continue;
        EvidenceItem t = base;
        t.boolean = v;
        trials.push_back(t);
      }
    } else {
      for (double b : probe.bounds) {
        const double eps = 1e-6 * std::max(1.0, std::fabs(b));
        for (double v : {b - eps, b}) {
          EvidenceItem t = base;
          t.number = v;
          t.interval.reset();  // the counterfactual is an exact reading
          trials.push_back(t);
        }
      }
    }
    std::set<int> seen;  // one line per resulting decision, the smallest change first
    std::sort(trials.begin(), trials.end(), [&](const EvidenceItem& a, const EvidenceItem& b) {
      return std::fabs(a.number - base.number) < std::fabs(b.number - base.number);
    });
    for (const EvidenceItem& t : trials) {
      CheckedEvidence changed = checked;
      changed.problems.erase(key);
      changed.usable[key] = t;
      const Decision d = internal::DecideChecked(policy, evidence, changed, options, "").decision;
      if (d == actual || !seen.insert(static_cast<int>(d)).second) continue;
      // Six significant digits, not the module's four: a trial just below a threshold (0.599999
      // against 0.6) must not print as the threshold itself.
      out.push_back({key, key + " " + from + " -> " + (t.is_bool ? (t.boolean ? "true" : "false") : Sig(t.number, 6)), d});
    }
  }
  return out;
}

}  // namespace warden::policy
