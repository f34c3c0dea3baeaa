// Scaling forecasts: when will an evaluation score cross a threshold as training compute grows?
//
// Given a few (label, training FLOPs, score, standard error) points, FitForecast
//  1. fits each curve of curve.h (a bounded sigmoid, the same with ceiling 1, a clipped line),
//     weighted by the points' standard errors, and reports each fit's residual error;
//  2. draws a parametric bootstrap: B synthetic data sets y*_i = f(x_i) + e_i, e_i ~ N(0, (m s_i)^2),
//     around each central fit f, with m = sqrt(max(1, chi^2 / dof)) inflating the stated errors
//     when the curve misses the points by more than they allow (m = 1 at zero dof). Each is refit.
//     Why not resampling points: with ~5 points, case resampling drops whole rungs and often
//     leaves fewer distinct compute values than parameters; the residual bootstrap keeps every
//     rung and respects each point's own uncertainty;
//  3. gives the band (the `band` central quantile range of bootstrap curves) over compute, the
//     probability that the score reaches `threshold` at current_flops * buffer (the fraction of
//     bootstrap curves at or above it there), and the compute at which the central fit crosses;
//  4. back-tests: hides the largest 1 and then 2 compute values (all points at them), fits the
//     rest the same way, and compares predictions with the hidden points.
//
// All functions are pure: the same inputs and seed give the same Forecast. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "warden/base/status.h"
#include "warden/forecast/curve.h"

namespace warden::forecast {

struct Observation {
  std::string label;        // a checkpoint or model name, for tables and plots
  double flops = 0;         // training compute, FLOPs (> 0)
  double score = 0;         // in [0, 1]
  double stderr_score = 0;  // standard error of `score` (>= 0; 0: unknown, see ForecastOptions)
  int64_t n = 0;            // samples behind the score (0: unknown)
  std::string source;       // where it came from (an eval log path, a CSV line), for provenance
};

struct ForecastOptions {
  double floor = 0.25;       // chance score, in [0, 1)
  double threshold = 0.8;    // the capability threshold, in (0, 1]
  double buffer = 4.0;       // effective-compute buffer: forecast at current_flops * buffer (>= 1)
  double current_flops = 0;  // 0: the largest observed compute
  int bootstrap = 1000;      // bootstrap refits per curve (>= 20)
  uint64_t seed = 1;
  double band = 0.90;        // central probability of the band, in (0, 1)
  // Each point's standard error is max(its own, min_stderr); a point with stderr 0 and n > 0
  // (e.g. 0 of 50 correct) gets the binomial error of (k+1)/(n+2) instead, so that a perfect or
  // null score does not pin the curve with infinite weight.
  double min_stderr = 0.01;
  int backtest_max_hidden = 2;  // back-tests hide 1..this many largest compute values
  int band_points = 81;         // grid points of the band
};

// The band at one compute value.
struct BandPoint {
  double log10_flops = 0;
  double central = 0;  // the central fit
  double low = 0, high = 0;  // quantiles (1 - band)/2 and (1 + band)/2 of bootstrap curves
};

// One curve fitted to all points, with its bootstrap.
struct FitResult {
  CurveFit fit;
  double noise_scale = 1;          // m above
  int bootstrap_ok = 0;            // refits that produced a curve
  int bootstrap_failed = 0;        // refits that did not (left out of every bootstrap figure)
  double target_central = 0;       // the central fit's score at the target compute
  double target_low = 0, target_high = 0;  // its band there
  double crossing_probability = 0;  // fraction of bootstrap curves >= threshold at the target
  Curve::Crossing crossing = Curve::Crossing::kNever;  // the central fit's crossing
  double crossing_log10_flops = 0;  // valid when crossing == kAt
  // Quantiles (0.5, and the band's ends) of the bootstrap curves' crossing compute, log10 FLOPs;
  // +infinity where that quantile never crosses, -infinity where it always does.
  double crossing_median = 0, crossing_low = 0, crossing_high = 0;
  std::vector<BandPoint> band;
};

struct BacktestPoint {
  std::string label;
  double log10_flops = 0;
  double observed = 0, stderr_score = 0;
  double predicted = 0;          // the central fit on the visible points
  double low = 0, high = 0;      // prediction interval for an observation: bootstrap curve plus
                                 // the hidden point's own noise N(0, s^2) clamped to [0, 1],
                                 // `band` quantiles
  double abs_error = 0;          // |predicted - observed|
  bool in_band = false;          // observed within [low, high]
};

struct BacktestFit {
  CurveKind kind = CurveKind::kSigmoid;
  bool ok = false;
  std::string error;             // why this fit could not be made (when !ok)
  std::vector<BacktestPoint> points;
  double mean_abs_error = 0;
  int in_band = 0;               // how many hidden points fell in their interval
};

struct Backtest {
  int hidden = 0;                // how many of the largest compute values were hidden
  bool ran = false;
  std::string reason;            // why it did not run (too few visible compute values)
  std::vector<BacktestFit> fits;  // one per curve kind, in Forecast::fits order
};

struct Forecast {
  ForecastOptions options;
  std::vector<Observation> observations;   // sorted by flops; stderr_score as used in the fits
  double current_flops = 0;                // options.current_flops or the largest observed
  double target_flops = 0;                 // current_flops * buffer
  std::vector<FitResult> fits;             // kSigmoid (the primary), kSigmoidCeil1, kLinear
  // The primary (sigmoid) forecast, copied from fits[0] for callers that want one number.
  double crossing_probability = 0;
  Curve::Crossing crossing = Curve::Crossing::kNever;
  double crossing_flops = 0;               // FLOPs (not log10); valid when crossing == kAt
  std::vector<Backtest> backtests;         // hidden = 1, 2, ...
  std::vector<std::string> notes;          // caveats worth printing (failed refits, zero dof ...)
};

// Validates and fits. Errors (InvalidArgument, naming the point by index and label): fewer than
// 3 distinct compute values, non-finite or non-positive flops, scores outside [0, 1], negative or
// non-finite standard errors, options out of range.
Result<Forecast> FitForecast(const std::vector<Observation>& obs, const ForecastOptions& opt);

// Everything in `f`, with FLOPs both raw and as log10; infinities as null plus a "never"/"always".
nlohmann::json ForecastToJson(const Forecast& f);

// The fit of `kind` in `f`, or nullptr.
const FitResult* FindFit(const Forecast& f, CurveKind kind);

}  // namespace warden::forecast
