#include "warden/guard/cascade.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace warden::guard {
namespace {

void Count(Rates* r, bool harmful, bool blocked) {
  if (harmful) {
    ++r->harmful;
    r->blocked_harmful += blocked;
  } else {
    ++r->benign;
    r->blocked_benign += blocked;
  }
}

void Finish(Rates* r) {
  r->recall = WilsonInterval(r->blocked_harmful, r->harmful);
  r->fpr = WilsonInterval(r->blocked_benign, r->benign);
}

}  // namespace

Result<CascadeResult> EvaluateCascade(const std::vector<CascadeRow>& rows, const CascadeOptions& o) {
  if (!(o.target_escalation > 0 && o.target_escalation <= 1)) return Status::InvalidArgument("target_escalation must be in (0, 1]");
  if (!(o.strong_fpr >= 0 && o.strong_fpr < 1)) return Status::InvalidArgument("strong_fpr must be in [0, 1)");
  std::vector<double> eligible_risks, benign_strong;
  for (const CascadeRow& r : rows) {
    if (!r.calibration) continue;
    if (!(r.cheap_risk > 0)) eligible_risks.push_back(r.cheap_risk);
    if (!r.harmful) benign_strong.push_back(r.strong);
  }
  if (eligible_risks.empty() || benign_strong.empty()) {
    return Status::InvalidArgument("the calibration rows need requests no cheap safeguard blocked, and benign ones");
  }
  CascadeResult res;
  // The escalation threshold: the risk at or above which target_escalation of the eligible rows lie.
  std::sort(eligible_risks.begin(), eligible_risks.end(), std::greater<double>());
  const size_t k = std::max<size_t>(1, static_cast<size_t>(std::llround(o.target_escalation * static_cast<double>(eligible_risks.size()))));
  // Risks below -1e9 (nothing scored the request) count as -1e9, as in the served stage
  // (safeguards.h: cascade), so that the threshold is one a safeguards file can hold.
  for (double& x : eligible_risks) x = std::max(x, -1e9);
  res.escalation_threshold = eligible_risks[std::min(k, eligible_risks.size()) - 1];
  res.calibration_escalation = static_cast<double>(std::count_if(eligible_risks.begin(), eligible_risks.end(),
                                                                 [&](double x) { return x >= res.escalation_threshold; })) /
                               static_cast<double>(eligible_risks.size());
  // The guard model's threshold: the smallest score above which at most strong_fpr of benign rows lie.
  std::sort(benign_strong.begin(), benign_strong.end(), std::greater<double>());
  const size_t allowed = static_cast<size_t>(std::floor(o.strong_fpr * static_cast<double>(benign_strong.size())));
  res.strong_threshold = benign_strong[std::min(allowed, benign_strong.size() - 1)];

  std::map<std::string, CascadeGroup> groups;
  for (const CascadeRow& r : rows) {
    if (r.calibration) continue;
    for (const std::string& name : {r.group, std::string("all")}) {
      CascadeGroup& g = groups[name];
      g.group = name;
      ++g.rows;
      const bool cheap = r.cheap_risk > 0;
      const bool escalated = !cheap && std::max(r.cheap_risk, -1e9) >= res.escalation_threshold;
      const bool strong = r.strong > res.strong_threshold;
      g.eligible += !cheap;
      g.escalated += escalated;
      Count(&g.cheap, r.harmful, cheap);
      Count(&g.cascade, r.harmful, cheap || (escalated && strong));
      Count(&g.strong, r.harmful, strong);
      Count(&g.both, r.harmful, cheap || strong);
    }
  }
  if (groups.empty()) return Status::InvalidArgument("no rows outside calibration to measure on");
  for (auto& [name, g] : groups) {
    g.escalation = g.eligible ? static_cast<double>(g.escalated) / static_cast<double>(g.eligible) : 0;
    for (Rates* r : {&g.cheap, &g.cascade, &g.strong, &g.both}) Finish(r);
    if (name != "all") res.groups.push_back(g);
  }
  res.groups.push_back(groups.at("all"));
  return res;
}

}  // namespace warden::guard
