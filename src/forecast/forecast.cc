// FitForecast: validation, central fits, bootstrap bands, crossing figures (forecast.h).
#include "warden/forecast/forecast.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <set>
#include <string>

#include "backtest.h"
#include "bootstrap.h"
#include "warden/base/format.h"
#include "warden/base/stats.h"

namespace warden::forecast {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

Status CheckOptions(const ForecastOptions& o) {
  auto bad = [](const std::string& m) { return Status::InvalidArgument("forecast options: " + m); };
  if (!(o.floor >= 0 && o.floor < 1)) return bad("floor " + Sig(o.floor, 6) + " is outside [0, 1)");
  if (!(o.threshold > 0 && o.threshold <= 1)) return bad("threshold " + Sig(o.threshold, 6) + " is outside (0, 1]");
  if (!(o.buffer >= 1) || !std::isfinite(o.buffer)) return bad("buffer " + Sig(o.buffer, 6) + " must be a finite number >= 1");
  if (!(o.current_flops >= 0) || !std::isfinite(o.current_flops)) {
    return bad("current_flops " + Sig(o.current_flops, 6) + " must be finite and >= 0 (0: the largest observed)");
  }
  if (o.bootstrap < 20 || o.bootstrap > 1000000) return bad("bootstrap " + std::to_string(o.bootstrap) + " is outside [20, 1000000]");
  if (!(o.band > 0 && o.band < 1)) return bad("band " + Sig(o.band, 6) + " is outside (0, 1)");
  if (!(o.min_stderr > 0 && o.min_stderr <= 0.5)) return bad("min_stderr " + Sig(o.min_stderr, 6) + " is outside (0, 0.5]");
  if (o.backtest_max_hidden < 0 || o.backtest_max_hidden > 10) return bad("backtest_max_hidden is outside [0, 10]");
  if (o.band_points < 2 || o.band_points > 10000) return bad("band_points is outside [2, 10000]");
  return Status::Ok();
}

// Validated copies of the points, sorted by compute, each with the standard error the fits use.
Result<std::vector<Observation>> Prepare(const std::vector<Observation>& obs, const ForecastOptions& opt) {
  std::vector<Observation> out;
  std::set<double> distinct;
  for (size_t i = 0; i < obs.size(); ++i) {
    const Observation& o = obs[i];
    std::string where = "points[" + std::to_string(i) + "] '" + o.label + "'";
    if (!o.source.empty()) where += " (" + o.source + ")";
    if (!std::isfinite(o.flops) || o.flops <= 0) return Status::InvalidArgument(where + ": flops " + Sig(o.flops, 6) + " must be finite and > 0");
    if (!std::isfinite(o.score) || o.score < 0 || o.score > 1) return Status::InvalidArgument(where + ": score " + Sig(o.score, 6) + " is outside [0, 1]");
    if (!std::isfinite(o.stderr_score) || o.stderr_score < 0) {
      return Status::InvalidArgument(where + ": stderr " + Sig(o.stderr_score, 6) + " must be finite and >= 0");
    }
    if (o.n < 0) return Status::InvalidArgument(where + ": n " + std::to_string(o.n) + " is negative");
    Observation e = o;
    if (e.stderr_score == 0 && e.n > 0) {
      const double n = static_cast<double>(e.n);
      const double p = (e.score * n + 1.0) / (n + 2.0);
      e.stderr_score = std::sqrt(p * (1.0 - p) / (n + 2.0));
    }
    e.stderr_score = std::max(e.stderr_score, opt.min_stderr);
    distinct.insert(e.flops);
    out.push_back(std::move(e));
  }
  if (distinct.size() < 3) {
    return Status::InvalidArgument("forecast needs at least 3 distinct compute values, got " +
                                   std::to_string(distinct.size()) + " (" + std::to_string(obs.size()) + " points)");
  }
  std::stable_sort(out.begin(), out.end(), [](const Observation& a, const Observation& b) { return a.flops < b.flops; });
  return out;
}

double CrossingValue(const Curve& c, double threshold) {
  double x = 0;
  switch (c.CrossingX(threshold, &x)) {
    case Curve::Crossing::kAt: return x;
    case Curve::Crossing::kAlways: return -kInf;
    case Curve::Crossing::kNever: return kInf;
  }
  return kInf;
}

FitResult Summarise(internal::Bootstrapped b, const ForecastOptions& opt, double target_x, double band_lo, double band_hi) {
  FitResult r;
  r.fit = std::move(b.central);
  r.noise_scale = b.noise_scale;
  r.bootstrap_ok = static_cast<int>(b.curves.size());
  r.bootstrap_failed = b.failed;
  const double lo_q = (1.0 - opt.band) / 2, hi_q = (1.0 + opt.band) / 2;
  const Curve& central = r.fit.curve;

  std::vector<double> at_target, crossings;
  int above = 0;
  for (const Curve& c : b.curves) {
    const double v = c.Predict(target_x);
    at_target.push_back(v);
    above += v >= opt.threshold ? 1 : 0;
    crossings.push_back(CrossingValue(c, opt.threshold));
  }
  std::sort(at_target.begin(), at_target.end());
  std::sort(crossings.begin(), crossings.end());
  r.target_central = central.Predict(target_x);
  r.target_low = QuantileSorted(at_target, lo_q);
  r.target_high = QuantileSorted(at_target, hi_q);
  r.crossing_probability = b.curves.empty() ? 0 : static_cast<double>(above) / static_cast<double>(b.curves.size());
  r.crossing = central.CrossingX(opt.threshold, &r.crossing_log10_flops);
  r.crossing_median = QuantileSorted(crossings, 0.5);
  r.crossing_low = QuantileSorted(crossings, lo_q);
  r.crossing_high = QuantileSorted(crossings, hi_q);

  std::vector<double> column(b.curves.size());
  for (int g = 0; g < opt.band_points; ++g) {
    BandPoint p;
    p.log10_flops = band_lo + (band_hi - band_lo) * g / (opt.band_points - 1);
    for (size_t i = 0; i < b.curves.size(); ++i) column[i] = b.curves[i].Predict(p.log10_flops);
    std::sort(column.begin(), column.end());
    p.central = central.Predict(p.log10_flops);
    p.low = QuantileSorted(column, lo_q);
    p.high = QuantileSorted(column, hi_q);
    r.band.push_back(p);
  }
  return r;
}

void AddNotes(const Forecast& f, std::vector<std::string>* notes) {
  for (const FitResult& r : f.fits) {
    const std::string name = CurveKindName(r.fit.curve.kind);
    if (r.fit.dof == 0) notes->push_back(name + ": as many parameters as points: it passes through them, so its residual error says nothing");
    if (r.bootstrap_failed > 0) {
      notes->push_back(name + ": " + std::to_string(r.bootstrap_failed) + " of " + std::to_string(f.options.bootstrap) +
                       " bootstrap refits failed and are left out");
    }
    if (r.noise_scale > 1.5) {
      const std::string scale = StrFormat("%.2f", r.noise_scale);
      notes->push_back(name + ": the points scatter " + scale +
                       "x more than their standard errors allow; the bootstrap noise is inflated to match");
    }
  }
  if (!f.fits.empty() && f.fits[0].fit.curve.kind == CurveKind::kSigmoid && f.fits[0].fit.curve.ceiling > 0.995) {
    notes->push_back("sigmoid: the fitted ceiling is at its bound (1): the scores have not levelled off, so the data do not determine it");
  }
  for (const Observation& o : f.observations) {
    if (o.score < f.options.floor - 3 * o.stderr_score) {
      notes->push_back("'" + o.label + "' scores " + Sig(o.score, 6) + ", more than 3 standard errors below the floor " +
                       Sig(f.options.floor, 6) + ": is the floor (chance score) right for this metric?");
    }
  }
}

}  // namespace

const FitResult* FindFit(const Forecast& f, CurveKind kind) {
  for (const FitResult& r : f.fits) {
    if (r.fit.curve.kind == kind) return &r;
  }
  return nullptr;
}

Result<Forecast> FitForecast(const std::vector<Observation>& obs, const ForecastOptions& opt) {
  WARDEN_RETURN_IF_ERROR(CheckOptions(opt));
  Forecast f;
  f.options = opt;
  WARDEN_ASSIGN_OR_RETURN(f.observations, Prepare(obs, opt));
  f.current_flops = opt.current_flops > 0 ? opt.current_flops : f.observations.back().flops;
  f.target_flops = f.current_flops * opt.buffer;
  const double target_x = std::log10(f.target_flops);
  const double x_min = std::log10(f.observations.front().flops);
  const double x_max = std::max(target_x, std::log10(f.observations.back().flops));
  const double span = std::max(x_max - x_min, 0.5);
  const double band_lo = x_min - 0.1 * span, band_hi = x_max + 0.15 * span;

  const FitData data = internal::DataOf(f.observations);
  const std::vector<CurveKind> kinds = {CurveKind::kSigmoid, CurveKind::kSigmoidCeil1, CurveKind::kLinear};
  for (CurveKind kind : kinds) {
    internal::GaussianSource noise(opt.seed, std::string("forecast-") + CurveKindName(kind));
    Result<internal::Bootstrapped> b = internal::FitWithBootstrap(kind, data, opt.floor, opt.bootstrap, noise);
    if (!b.ok()) return b.status().WithContext(std::string(CurveKindName(kind)) + " fit");
    f.fits.push_back(Summarise(std::move(b).value(), opt, target_x, band_lo, band_hi));
  }
  const FitResult& primary = f.fits[0];
  f.crossing_probability = primary.crossing_probability;
  f.crossing = primary.crossing;
  f.crossing_flops = f.crossing == Curve::Crossing::kAt ? std::pow(10.0, primary.crossing_log10_flops) : 0;
  f.backtests = internal::RunBacktests(f.observations, opt, kinds);
  AddNotes(f, &f.notes);
  return f;
}

}  // namespace warden::forecast
