#include "warden/evals/metrics.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "warden/base/rng.h"

namespace warden::evals {

Estimate EstimateMean(const std::vector<ScoredSample>& samples, const BootstrapOptions& o) {
  Estimate e;
  e.confidence = o.confidence;
  e.n = samples.size();
  if (samples.empty()) return e;
  // Per-cluster sums and counts, in first-seen order.
  std::unordered_map<std::string, size_t> index;
  std::vector<double> sum;
  std::vector<double> count;
  for (size_t i = 0; i < samples.size(); ++i) {
    const std::string key = samples[i].cluster.empty() ? "\x01" + std::to_string(i) : samples[i].cluster;
    auto [it, fresh] = index.emplace(key, sum.size());
    if (fresh) {
      sum.push_back(0);
      count.push_back(0);
    }
    sum[it->second] += samples[i].value;
    count[it->second] += 1;
  }
  const double n = static_cast<double>(samples.size());
  double total = 0;
  for (double s : sum) total += s;
  e.value = total / n;
  e.clusters = sum.size();
  double var = 0;
  for (size_t c = 0; c < sum.size(); ++c) {
    const double dev = sum[c] - count[c] * e.value;
    var += dev * dev;
  }
  e.std_error = std::sqrt(var) / n;
  // Cluster bootstrap of the mean: a resample's mean is its picked clusters' total over their size.
  const std::optional<Interval> ci = BootstrapClusters(
      sum.size(),
      [&](const std::vector<size_t>& picked) -> std::optional<double> {
        double s = 0, c = 0;
        for (size_t j : picked) {
          s += sum[j];
          c += count[j];
        }
        return s / c;
      },
      o);
  if (!ci) {
    e.ci_low = e.ci_high = e.value;
    return e;
  }
  // The percentile interval need not contain the estimate when the resampled means are skewed;
  // the report never shows an estimate outside its own interval.
  e.ci_low = std::min(ci->low, e.value);
  e.ci_high = std::max(ci->high, e.value);
  return e;
}
std::map<std::string, Estimate> EstimateByCategory(const std::vector<ScoredSample>& samples,
                                                   const BootstrapOptions& options) {
  std::map<std::string, std::vector<ScoredSample>> by;
  for (const ScoredSample& s : samples) {
    if (!s.category.empty()) by[s.category].push_back(s);
  }
  std::map<std::string, Estimate> out;
  for (const auto& [cat, group] : by) out[cat] = EstimateMean(group, options);
  return out;
}

}  // namespace warden::evals
