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
  // Cluster bootstrap.
  Rng rng(o.seed);
  std::vector<double> means;
  means.reserve(static_cast<size_t>(std::max(0, o.resamples)));
  const size_t k = sum.size();
  for (int r = 0; r < o.resamples; ++r) {
    double s = 0, c = 0;
    for (size_t j = 0; j < k; ++j) {
      const size_t pick = static_cast<size_t>(rng.Next() % k);
      s += sum[pick];
      c += count[pick];
    }
    means.push_back(s / c);
  }
  if (means.empty()) {
    e.ci_low = e.ci_high = e.value;
    return e;
  }
  std::sort(means.begin(), means.end());
  const double alpha = (1 - o.confidence) / 2;
  auto at = [&](double q) {
    const double pos = q * static_cast<double>(means.size() - 1);
    const size_t lo = static_cast<size_t>(std::floor(pos));
    const size_t hi = std::min(means.size() - 1, lo + 1);
    return means[lo] + (pos - static_cast<double>(lo)) * (means[hi] - means[lo]);
  };
  e.ci_low = std::min(at(alpha), e.value);
  e.ci_high = std::max(at(1 - alpha), e.value);
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
