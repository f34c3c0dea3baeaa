#include "warden/base/format.h"
#include "warden/evals/consistency.h"

#include <algorithm>
#include <cstdio>
#include <map>

namespace warden::evals {
namespace {

struct Variant {
  std::string name;
  bool numbered = false;
  // new position -> original index
  std::vector<size_t> (*order)(size_t n);
};

std::vector<size_t> Identity(size_t n) {
  std::vector<size_t> o(n);
  for (size_t i = 0; i < n; ++i) o[i] = i;
  return o;
}
std::vector<size_t> Reversed(size_t n) {
  std::vector<size_t> o = Identity(n);
  std::reverse(o.begin(), o.end());
  return o;
}
std::vector<size_t> Rotated(size_t n) {
  std::vector<size_t> o(n);
  for (size_t i = 0; i < n; ++i) o[i] = (i + 1) % n;
  return o;
}

}  // namespace

nlohmann::json ConsistencyReport::ToJson() const {
  nlohmann::json vs = nlohmann::json::array();
  for (const VariantResult& v : variants) {
    vs.push_back({{"name", v.name}, {"accuracy", v.accuracy.value}, {"ci_low", v.accuracy.ci_low},
                  {"ci_high", v.accuracy.ci_high}, {"n", v.accuracy.n}, {"errors", v.errors}});
  }
  return {{"task", task},   {"variants", vs}, {"items", items},       {"agreement", agreement},
          {"swing", swing}, {"flagged", flagged}, {"evidence", evidence}};
}

Result<ConsistencyReport> CheckConsistency(const Task& task, ModelBackend& backend, const ConsistencyOptions& o) {
  if (task.solver.kind == SolverKind::kGenerate || !task.solver.list_choices) {
    return Status::InvalidArgument("task " + task.name +
                                   ": consistency checks need a multiple-choice task whose choices warden lists "
                                   "(its input must not already list them)");
  }
  const std::vector<Variant> variants = {
      {"original", false, Identity}, {"reversed", false, Reversed}, {"rotated", false, Rotated}, {"numbered", true, Identity}};
  ConsistencyReport report;
  report.task = task.name;
  // item id -> original index chosen, per variant (-1: no choice or error)
  std::vector<std::map<std::string, int>> chosen(variants.size());
  for (size_t v = 0; v < variants.size(); ++v) {
    Task t;
    t.name = task.name + "#" + variants[v].name;
    t.version = task.version;
    t.dataset.path = task.dataset.path;
    t.dataset.sha256 = task.dataset.sha256;
    t.solver = task.solver;
    t.solver.numbered_labels = variants[v].numbered;
    t.scorer = task.scorer;
    t.metric = task.metric;
    std::map<std::string, std::vector<size_t>> orders;
    for (const Sample& s : task.dataset.samples) {
      if (o.limit > 0 && t.dataset.samples.size() >= o.limit) break;
      if (s.choices.empty()) return Status::InvalidArgument("sample " + s.id + " has no choices");
      Sample c = s;
      const std::vector<size_t> order = variants[v].order(s.choices.size());
      c.choices.clear();
      const int target = s.target.empty() ? -1 : s.target[0] - 'A';
      for (size_t i = 0; i < order.size(); ++i) {
        c.choices.push_back(s.choices[order[i]]);
        if (static_cast<int>(order[i]) == target) c.target = ChoiceLabel(i);
      }
      orders[s.id] = order;
      t.dataset.samples.push_back(std::move(c));
    }
    RunOptions ro;
    ro.on_sample = [&](const Sample& s, int, const std::string&, const Result<Score>& score) {
      int original = -1;
      if (score.ok() && !score->answer.empty()) {
        const size_t pos = static_cast<size_t>(score->answer[0] - 'A');
        if (pos < orders[s.id].size()) original = static_cast<int>(orders[s.id][pos]);
      }
      chosen[v][s.id] = score.ok() ? original : -2;
    };
    WARDEN_ASSIGN_OR_RETURN(TaskResult r, RunTask(t, backend, ro));
    report.variants.push_back({variants[v].name, r.estimate, r.errors});
  }
  size_t same = 0;
  for (const auto& [id, first] : chosen[0]) {
    bool all_answered = first != -2, all_same = true;
    for (size_t v = 1; v < variants.size(); ++v) {
      auto it = chosen[v].find(id);
      if (it == chosen[v].end() || it->second == -2) {
        all_answered = false;
        break;
      }
      all_same &= it->second == first;
    }
    if (!all_answered) continue;
    ++report.items;
    same += all_same && first >= 0 ? 1 : 0;
  }
  report.agreement = report.items == 0 ? 0 : static_cast<double>(same) / static_cast<double>(report.items);
  double lo = 1, hi = 0;
  for (const VariantResult& v : report.variants) {
    lo = std::min(lo, v.accuracy.value);
    hi = std::max(hi, v.accuracy.value);
  }
  report.swing = hi - lo;
  report.flagged = report.swing > o.max_swing || report.agreement < o.min_agreement;
  report.evidence = "accuracy " + Fixed(lo) + " to " + Fixed(hi) + " over " + std::to_string(variants.size()) +
                    " formats (swing " + Fixed(report.swing) + (report.swing > o.max_swing ? " > " : " <= ") +
                    Fixed(o.max_swing) + "); same choice in every format on " + Fixed(report.agreement) + " of " +
                    std::to_string(report.items) + " items (" + (report.agreement < o.min_agreement ? "< " : ">= ") +
                    Fixed(o.min_agreement) + ")";
  return report;
}

}  // namespace warden::evals
