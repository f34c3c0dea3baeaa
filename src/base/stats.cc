#include "warden/base/stats.h"

#include <gsl/gsl_cdf.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <unordered_map>

#include "warden/base/rng.h"

namespace warden {

Interval WilsonInterval(size_t hits, size_t n, double confidence) {
  Interval r;
  if (n == 0) return r;
  const double z = gsl_cdf_ugaussian_Pinv(1 - (1 - confidence) / 2);
  const double nn = static_cast<double>(n), p = static_cast<double>(hits) / nn;
  const double denom = 1 + z * z / nn;
  const double centre = (p + z * z / (2 * nn)) / denom;
  const double half = z * std::sqrt(p * (1 - p) / nn + z * z / (4 * nn * nn)) / denom;
  // Exact arithmetic puts p inside [low, high] (and low = 0 at p = 0); rounding may not.
  r.low = std::clamp(centre - half, 0.0, p);
  r.high = std::clamp(centre + half, p, 1.0);
  return r;
}

double QuantileSorted(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return std::nan("");
  const double pos = std::clamp(q, 0.0, 1.0) * static_cast<double>(sorted.size() - 1);
  const size_t i = static_cast<size_t>(std::floor(pos));
  if (i + 1 >= sorted.size()) return sorted.back();
  const double frac = pos - static_cast<double>(i);
  const double lo = sorted[i], hi = sorted[i + 1];
  // Interpolating towards an infinity gives an infinity or NaN: take the nearer order statistic.
  if (!std::isfinite(lo) || !std::isfinite(hi)) return frac < 0.5 ? lo : hi;
  return lo + frac * (hi - lo);
}

std::optional<Interval> BootstrapClusters(
    size_t clusters, const std::function<std::optional<double>(const std::vector<size_t>&)>& statistic,
    const BootstrapOptions& o) {
  if (clusters == 0) return std::nullopt;
  Rng rng(o.seed);
  std::vector<double> values;
  values.reserve(static_cast<size_t>(std::max(0, o.resamples)));
  std::vector<size_t> picked(clusters);
  for (int r = 0; r < o.resamples; ++r) {
    // Next() % k rather than Uniform(k): the bias is below k / 2^64, and it keeps every interval
    // warden has published reproducible.
    for (size_t& p : picked) p = static_cast<size_t>(rng.Next() % clusters);
    if (std::optional<double> v = statistic(picked)) values.push_back(*v);
  }
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  const double alpha = (1 - o.confidence) / 2;
  return Interval{QuantileSorted(values, alpha), QuantileSorted(values, 1 - alpha)};
}

std::vector<size_t> ClusterIndex(size_t rows, const std::vector<std::string>& clusters, size_t* count) {
  std::vector<size_t> index(rows);
  std::unordered_map<std::string, size_t> seen;
  size_t next = 0;
  for (size_t i = 0; i < rows; ++i) {
    if (clusters.empty() || clusters[i].empty()) {
      index[i] = next++;
      continue;
    }
    auto [it, fresh] = seen.emplace(clusters[i], next);
    if (fresh) ++next;
    index[i] = it->second;
  }
  *count = next;
  return index;
}

std::optional<Interval> BootstrapOverClusters(
    size_t rows, const std::vector<std::string>& clusters,
    const std::function<std::optional<double>(const std::vector<size_t>&)>& statistic, const BootstrapOptions& o) {
  size_t k = 0;
  const std::vector<size_t> index = ClusterIndex(rows, clusters, &k);
  std::vector<std::vector<size_t>> members(k);
  for (size_t i = 0; i < rows; ++i) members[index[i]].push_back(i);
  std::vector<size_t> sample;
  return BootstrapClusters(
      k,
      [&](const std::vector<size_t>& picked) {
        sample.clear();
        for (size_t c : picked) sample.insert(sample.end(), members[c].begin(), members[c].end());
        return statistic(sample);
      },
      o);
}

Result<double> Auroc(const std::vector<double>& scores, const std::vector<int>& labels) {
  if (scores.size() != labels.size()) {
    return Status::InvalidArgument("AUROC: " + std::to_string(scores.size()) + " scores but " +
                                   std::to_string(labels.size()) + " labels");
  }
  double pos = 0, neg = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] != 0 && labels[i] != 1) {
      return Status::InvalidArgument("AUROC: label " + std::to_string(labels[i]) + " at row " + std::to_string(i) +
                                     " is not 0 or 1");
    }
    (labels[i] == 1 ? pos : neg) += 1;
  }
  if (pos == 0 || neg == 0) {
    return Status::InvalidArgument("AUROC needs both classes (" + std::to_string(static_cast<int>(pos)) +
                                   " positive, " + std::to_string(static_cast<int>(neg)) + " negative)");
  }
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  // Mann-Whitney U with average ranks for ties.
  double rank_sum = 0;
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j < order.size() && scores[order[j]] == scores[order[i]]) ++j;
    const double avg_rank = (static_cast<double>(i) + static_cast<double>(j) + 1) / 2;  // 1-based
    for (size_t k = i; k < j; ++k) {
      if (labels[order[k]] == 1) rank_sum += avg_rank;
    }
    i = j;
  }
  return (rank_sum - pos * (pos + 1) / 2) / (pos * neg);
}

Result<AurocEstimate> AurocWithInterval(const std::vector<double>& scores, const std::vector<int>& labels,
                                        const std::vector<std::string>& clusters, const BootstrapOptions& o) {
  AurocEstimate e;
  WARDEN_ASSIGN_OR_RETURN(e.value, Auroc(scores, labels));
  if (!clusters.empty() && clusters.size() != scores.size()) {
    return Status::InvalidArgument("AUROC: " + std::to_string(clusters.size()) + " cluster labels for " +
                                   std::to_string(scores.size()) + " scores");
  }
  std::vector<double> s;
  std::vector<int> l;
  auto interval = BootstrapOverClusters(
      scores.size(), clusters,
      [&](const std::vector<size_t>& rows) -> std::optional<double> {
        s.clear();
        l.clear();
        for (size_t i : rows) {
          s.push_back(scores[i]);
          l.push_back(labels[i]);
        }
        auto a = Auroc(s, l);
        return a.ok() ? std::optional<double>(*a) : std::nullopt;
      },
      o);
  e.interval = interval.value_or(Interval{e.value, e.value});
  return e;
}

}  // namespace warden
