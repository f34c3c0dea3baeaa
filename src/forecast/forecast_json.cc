// ForecastToJson (forecast.h).
#include <cmath>

#include "warden/forecast/forecast.h"

namespace warden::forecast {
namespace {

using Json = nlohmann::json;

// log10 FLOPs as JSON: a number, or null for +-infinity (the caller adds what infinity meant).
Json Log10OrNull(double x) { return std::isfinite(x) ? Json(x) : Json(nullptr); }
Json FlopsOrNull(double x) { return std::isfinite(x) ? Json(std::pow(10.0, x)) : Json(nullptr); }
const char* InfinityWord(double x) { return x > 0 ? "never" : "always"; }

Json CurveJson(const Curve& c) {
  Json j = {{"kind", CurveKindName(c.kind)}, {"floor", c.floor}};
  if (c.kind == CurveKind::kLinear) {
    j["intercept"] = c.a;
    j["slope_per_decade"] = c.b;
  } else {
    j["ceiling"] = c.kind == CurveKind::kSigmoidCeil1 ? 1.0 : c.ceiling;
    j["k_per_decade"] = c.k;
    j["midpoint_log10_flops"] = c.x0;
  }
  return j;
}

Json CrossingQuantile(double x) {
  Json j = {{"log10_flops", Log10OrNull(x)}, {"flops", FlopsOrNull(x)}};
  if (!std::isfinite(x)) j["crosses"] = InfinityWord(x);
  return j;
}

Json FitJson(const FitResult& r) {
  const CurveFit& f = r.fit;
  Json band = Json::array();
  for (const BandPoint& p : r.band) band.push_back({p.log10_flops, p.central, p.low, p.high});
  Json central_crossing = {{"crosses", CrossingName(r.crossing)}};
  if (r.crossing == Curve::Crossing::kAt) {
    central_crossing["log10_flops"] = r.crossing_log10_flops;
    central_crossing["flops"] = std::pow(10.0, r.crossing_log10_flops);
  }
  return {{"curve", CurveJson(f.curve)},
          {"residuals", f.residuals},
          {"rmse", f.rmse},
          {"chi2", f.chi2},
          {"dof", f.dof},
          {"converged", f.converged},
          {"noise_scale", r.noise_scale},
          {"bootstrap_ok", r.bootstrap_ok},
          {"bootstrap_failed", r.bootstrap_failed},
          {"at_target", {{"central", r.target_central}, {"low", r.target_low}, {"high", r.target_high}}},
          {"crossing_probability", r.crossing_probability},
          {"central_crossing", central_crossing},
          {"bootstrap_crossing",
           {{"median", CrossingQuantile(r.crossing_median)},
            {"low", CrossingQuantile(r.crossing_low)},
            {"high", CrossingQuantile(r.crossing_high)}}},
          {"band_columns", {"log10_flops", "central", "low", "high"}},
          {"band", band}};
}

Json BacktestJson(const Backtest& b) {
  Json j = {{"hidden", b.hidden}, {"ran", b.ran}};
  if (!b.ran) {
    j["reason"] = b.reason;
    return j;
  }
  Json fits = Json::array();
  for (const BacktestFit& f : b.fits) {
    Json fj = {{"kind", CurveKindName(f.kind)}, {"ok", f.ok}};
    if (!f.ok) {
      fj["error"] = f.error;
      fits.push_back(fj);
      continue;
    }
    Json points = Json::array();
    for (const BacktestPoint& p : f.points) {
      points.push_back({{"label", p.label}, {"log10_flops", p.log10_flops}, {"observed", p.observed},
                        {"stderr", p.stderr_score}, {"predicted", p.predicted}, {"low", p.low},
                        {"high", p.high}, {"abs_error", p.abs_error}, {"in_band", p.in_band}});
    }
    fj["points"] = points;
    fj["mean_abs_error"] = f.mean_abs_error;
    fj["in_band"] = f.in_band;
    fits.push_back(fj);
  }
  j["fits"] = fits;
  return j;
}

}  // namespace

nlohmann::json ForecastToJson(const Forecast& f) {
  const ForecastOptions& o = f.options;
  Json points = Json::array();
  for (const Observation& p : f.observations) {
    points.push_back({{"label", p.label}, {"flops", p.flops}, {"log10_flops", std::log10(p.flops)},
                      {"score", p.score}, {"stderr", p.stderr_score}, {"n", p.n}, {"source", p.source}});
  }
  Json fits = Json::array();
  for (const FitResult& r : f.fits) fits.push_back(FitJson(r));
  Json backtests = Json::array();
  for (const Backtest& b : f.backtests) backtests.push_back(BacktestJson(b));
  Json crossing = {{"crosses", CrossingName(f.crossing)}};
  if (f.crossing == Curve::Crossing::kAt) {
    crossing["flops"] = f.crossing_flops;
    crossing["log10_flops"] = std::log10(f.crossing_flops);
  }
  return {{"format", "warden-forecast/1"},
          {"options",
           {{"floor", o.floor}, {"threshold", o.threshold}, {"buffer", o.buffer}, {"current_flops", o.current_flops},
            {"bootstrap", o.bootstrap}, {"seed", o.seed}, {"band", o.band}, {"min_stderr", o.min_stderr}}},
          {"bootstrap_method", "parametric: refits to f(x_i) + N(0, (m s_i)^2), m = sqrt(max(1, chi2/dof))"},
          {"points", points},
          {"current_flops", f.current_flops},
          {"target_flops", f.target_flops},
          {"primary", CurveKindName(f.fits.empty() ? CurveKind::kSigmoid : f.fits[0].fit.curve.kind)},
          {"crossing_probability", f.crossing_probability},
          {"central_crossing", crossing},
          {"fits", fits},
          {"backtests", backtests},
          {"notes", f.notes}};
}

}  // namespace warden::forecast
