// Metrics with their uncertainty: the mean of per-sample scores, its standard error (clustered
// when samples share a source item), and a bootstrap confidence interval.
//
// Clustering: samples of one cluster (several epochs of one item, paraphrases of one question)
// are not independent. The standard error is the cluster-robust one,
//   se^2 = sum_c (sum_{i in c} (x_i - mean))^2 / n^2,
// which equals the ordinary sqrt(p(1-p)/n) form when every cluster is one sample (Miller 2024,
// "Adding Error Bars to Evals", arXiv:2411.00640). The bootstrap resamples whole clusters
// (percentile interval, seeded: the same inputs give the same interval).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "warden/base/stats.h"

namespace warden::evals {

struct ScoredSample {
  double value = 0;     // in [0, 1]
  std::string cluster;  // "" counts as its own cluster
  std::string category;
};

struct Estimate {
  size_t n = 0;          // samples (errors excluded)
  size_t clusters = 0;
  double value = 0;      // mean score
  double std_error = 0;  // cluster-robust standard error
  double ci_low = 0, ci_high = 0;  // bootstrap percentile interval
  double confidence = 0.95;
};

// The project's one cluster bootstrap (base/stats.h).
using warden::BootstrapOptions;

Estimate EstimateMean(const std::vector<ScoredSample>& samples, const BootstrapOptions& options = {});

// The same per category (samples with an empty category are left out).
std::map<std::string, Estimate> EstimateByCategory(const std::vector<ScoredSample>& samples,
                                                   const BootstrapOptions& options = {});

}  // namespace warden::evals
