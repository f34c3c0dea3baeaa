// The project's statistics: one Wilson interval, one cluster bootstrap, AUROC with its interval.
//
// Every module that reports a figure with an interval calls these, so that "95% interval" means
// the same computation everywhere:
//   - a rate (hits out of n independent trials): WilsonInterval;
//   - anything else, or a rate over samples that share a source (paraphrases of one item, epochs
//     of one prompt): the cluster bootstrap, which resamples whole clusters with replacement and
//     takes the percentile interval with linear interpolation between order statistics
//     (Hyndman & Fan type 7, R's default). Seeded: the same inputs give the same interval.
//
// Not thread-safe across calls that share a `statistic` with state; otherwise pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "warden/base/status.h"

namespace warden {

// A two-sided interval [low, high]; both 0 when nothing could be estimated.
struct Interval {
  double low = 0, high = 0;
};

// The Wilson score interval for `hits` successes in `n` trials at `confidence` (0 < c < 1).
// It contains hits/n (clamped so that rounding cannot push the estimate outside), is [0, 0] for
// n == 0, and stays inside [0, 1]. Wilson 1927; Brown, Cai & DasGupta 2001 recommend it over the
// normal ("Wald") interval for small n and rates near 0 or 1.
Interval WilsonInterval(size_t hits, size_t n, double confidence = 0.95);

// The `q`-quantile (q clamped to [0, 1]) of ascending `sorted` by linear interpolation between
// order statistics (type 7). Where a neighbour is infinite (a forecast's "never crosses"), the
// nearer order statistic instead. NaN when `sorted` is empty.
double QuantileSorted(const std::vector<double>& sorted, double q);

struct BootstrapOptions {
  int resamples = 1000;
  double confidence = 0.95;  // the interval's level
  uint64_t seed = 0;
};

// The percentile bootstrap over `clusters` units: each of `options.resamples` resamples draws
// `clusters` unit indices with replacement (warden::Rng seeded with `options.seed`) and passes
// them to `statistic`; a resample where `statistic` has no value (nullopt: e.g. AUROC with one
// class) is dropped. Returns the central `confidence` interval of the values, or nullopt when
// there are no clusters or every resample was dropped.
std::optional<Interval> BootstrapClusters(
    size_t clusters, const std::function<std::optional<double>(const std::vector<size_t>& picked)>& statistic,
    const BootstrapOptions& options = {});

// Rows grouped by `clusters[row]` (rows with the same non-empty label move together; an empty
// `clusters` vector, or an empty label, makes each row its own cluster; clusters are numbered in
// order of first appearance). `statistic` gets the row indices of one resample (rows repeat).
// `clusters` must be empty or have `rows` entries.
std::optional<Interval> BootstrapOverClusters(
    size_t rows, const std::vector<std::string>& clusters,
    const std::function<std::optional<double>(const std::vector<size_t>& rows)>& statistic,
    const BootstrapOptions& options = {});

// The cluster index of each row under the rule above, and the number of clusters.
std::vector<size_t> ClusterIndex(size_t rows, const std::vector<std::string>& clusters, size_t* count);

// Area under the ROC curve of `scores` (higher: more positive) against 0/1 `labels`, ties
// counted half (the Mann-Whitney U statistic). InvalidArgument when the lengths differ, a label
// is not 0/1, or a class is missing.
Result<double> Auroc(const std::vector<double>& scores, const std::vector<int>& labels);

// AUROC and its cluster-bootstrap interval (resamples with one class are dropped).
struct AurocEstimate {
  double value = 0;
  Interval interval;
};
Result<AurocEstimate> AurocWithInterval(const std::vector<double>& scores, const std::vector<int>& labels,
                                        const std::vector<std::string>& clusters,
                                        const BootstrapOptions& options = {});

}  // namespace warden
