// Back-tests: hide the largest compute values, fit the rest, predict what was hidden.
#include "backtest.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <string>

#include "bootstrap.h"
#include "warden/base/stats.h"

namespace warden::forecast::internal {

FitData DataOf(const std::vector<Observation>& obs) {
  FitData d;
  for (const Observation& o : obs) {
    d.x.push_back(std::log10(o.flops));
    d.y.push_back(o.score);
    d.s.push_back(o.stderr_score);
  }
  return d;
}

namespace {

BacktestFit RunOne(CurveKind kind, const std::vector<Observation>& visible, const std::vector<Observation>& hidden,
                   const ForecastOptions& opt, int n_hidden) {
  BacktestFit bf;
  bf.kind = kind;
  const std::string purpose = std::string("backtest-") + std::to_string(n_hidden) + "-" + CurveKindName(kind);
  GaussianSource noise(opt.seed, purpose);
  Result<Bootstrapped> b = FitWithBootstrap(kind, DataOf(visible), opt.floor, opt.bootstrap, noise);
  if (!b.ok()) {
    bf.error = b.status().message();
    return bf;
  }
  bf.ok = true;
  const double lo_q = (1.0 - opt.band) / 2, hi_q = (1.0 + opt.band) / 2;
  double total_error = 0;
  for (const Observation& h : hidden) {
    BacktestPoint p;
    p.label = h.label;
    p.log10_flops = std::log10(h.flops);
    p.observed = h.score;
    p.stderr_score = h.stderr_score;
    p.predicted = b->central.curve.Predict(p.log10_flops);
    // What an observation at this compute could read: a bootstrap curve plus the point's own noise.
    std::vector<double> draws;
    draws.reserve(b->curves.size());
    for (const Curve& c : b->curves) {
      draws.push_back(std::clamp(c.Predict(p.log10_flops) + noise.Draw(h.stderr_score), 0.0, 1.0));
    }
    std::sort(draws.begin(), draws.end());
    p.low = QuantileSorted(draws, lo_q);
    p.high = QuantileSorted(draws, hi_q);
    p.abs_error = std::fabs(p.predicted - p.observed);
    p.in_band = p.observed >= p.low && p.observed <= p.high;
    total_error += p.abs_error;
    bf.in_band += p.in_band ? 1 : 0;
    bf.points.push_back(p);
  }
  bf.mean_abs_error = hidden.empty() ? 0 : total_error / static_cast<double>(hidden.size());
  return bf;
}

}  // namespace

std::vector<Backtest> RunBacktests(const std::vector<Observation>& obs, const ForecastOptions& opt,
                                   const std::vector<CurveKind>& kinds) {
  std::set<double> distinct;
  for (const Observation& o : obs) distinct.insert(o.flops);
  std::vector<double> compute(distinct.begin(), distinct.end());
  std::vector<Backtest> out;
  for (int h = 1; h <= opt.backtest_max_hidden; ++h) {
    Backtest bt;
    bt.hidden = h;
    const int visible_distinct = static_cast<int>(compute.size()) - h;
    if (visible_distinct < 3) {
      bt.reason = "hiding " + std::to_string(h) + " of " + std::to_string(compute.size()) +
                  " compute values leaves " + std::to_string(std::max(visible_distinct, 0)) + " (3 needed)";
      out.push_back(std::move(bt));
      continue;
    }
    const double cut = compute[static_cast<size_t>(visible_distinct)];  // smallest hidden compute
    std::vector<Observation> visible, hidden;
    for (const Observation& o : obs) (o.flops < cut ? visible : hidden).push_back(o);
    bt.ran = true;
    for (CurveKind kind : kinds) bt.fits.push_back(RunOne(kind, visible, hidden, opt, h));
    out.push_back(std::move(bt));
  }
  return out;
}

}  // namespace warden::forecast::internal
