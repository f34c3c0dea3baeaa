// ForecastText (plot.h): the terminal tables.
#include <cmath>
#include <string>

#include "warden/base/format.h"
#include "warden/forecast/plot.h"

namespace warden::forecast {
namespace {

std::string Flops(double log10_flops) { return Sig(std::pow(10.0, log10_flops), 3); }

std::string Parameters(const Curve& c) {
  if (c.kind == CurveKind::kLinear) {
    return StrFormat("%.3f %+.3f per decade from 1e0 FLOPs, clipped to [%.2f, 1]", c.a, c.b, c.floor);
  }
  return StrFormat("floor %.2f  ceiling %.3f  k %.3g/decade  midpoint %s FLOPs", c.floor,
                   c.kind == CurveKind::kSigmoidCeil1 ? 1.0 : c.ceiling, c.k, Flops(c.x0).c_str());
}

std::string CrossingText(Curve::Crossing c, double x, double current_flops) {
  if (c == Curve::Crossing::kNever) return "never (the fit stays below the threshold)";
  if (c == Curve::Crossing::kAlways) return "always (the threshold is at or below the floor)";
  return StrFormat("%s FLOPs (%.3gx current)", Flops(x).c_str(), std::pow(10.0, x) / current_flops);
}

std::string QuantileText(double x) {
  if (std::isinf(x)) return x > 0 ? "never" : "always";
  return Flops(x);
}

}  // namespace

std::string ForecastText(const Forecast& f) {
  const ForecastOptions& o = f.options;
  std::string out;
  StrAppendFormat(&out, "points:\n  %-40s %10s %7s %6s %6s %5s\n", "label", "FLOPs", "log10", "score", "s.e.", "n");
  for (const Observation& p : f.observations) {
    StrAppendFormat(&out, "  %-40s %10.3g %7.3f %6.3f %6.3f %5lld\n", p.label.c_str(), p.flops, std::log10(p.flops), p.score,
           p.stderr_score, static_cast<long long>(p.n));
  }
  StrAppendFormat(&out, "\nfits (weighted by 1/s.e.^2; rmse in score units):\n");
  for (const FitResult& r : f.fits) {
    const CurveFit& c = r.fit;
    StrAppendFormat(&out, "  %-14s %s\n  %-14s rmse %.4f  chi2 %.3g on %d dof%s\n", CurveKindName(c.curve.kind),
           Parameters(c.curve).c_str(), "", c.rmse, c.chi2, c.dof, c.converged ? "" : "  (not converged)");
  }
  StrAppendFormat(&out, "\nat %gx current compute (%.3g -> %.3g FLOPs), threshold %.3g, %.0f%% bands, %d bootstrap refits:\n",
         o.buffer, f.current_flops, f.target_flops, o.threshold, o.band * 100, o.bootstrap);
  StrAppendFormat(&out, "  %-14s %-22s %-9s %s\n", "fit", "score [band]", "P(cross)", "central fit crosses at");
  for (const FitResult& r : f.fits) {
    const std::string band = WithInterval(r.target_central, r.target_low, r.target_high);
    StrAppendFormat(&out, "  %-14s %-22s %-9.3f %s\n", CurveKindName(r.fit.curve.kind), band.c_str(), r.crossing_probability,
           CrossingText(r.crossing, r.crossing_log10_flops, f.current_flops).c_str());
    StrAppendFormat(&out, "  %-14s bootstrap crossing: median %s, band [%s, %s]\n", "", QuantileText(r.crossing_median).c_str(),
           QuantileText(r.crossing_low).c_str(), QuantileText(r.crossing_high).c_str());
  }
  StrAppendFormat(&out, "\nback-tests (hide the largest compute values, fit the rest, predict them):\n");
  StrAppendFormat(&out, "  %-6s %-14s %-32s %8s %9s %-17s %7s %s\n", "hidden", "fit", "point", "observed", "predicted",
         "interval", "|error|", "in");
  for (const Backtest& b : f.backtests) {
    if (!b.ran) {
      StrAppendFormat(&out, "  %-6d not run: %s\n", b.hidden, b.reason.c_str());
      continue;
    }
    for (const BacktestFit& bf : b.fits) {
      if (!bf.ok) {
        StrAppendFormat(&out, "  %-6d %-14s failed: %s\n", b.hidden, CurveKindName(bf.kind), bf.error.c_str());
        continue;
      }
      for (const BacktestPoint& p : bf.points) {
        const std::string interval = StrFormat("[%.3f, %.3f]", p.low, p.high);
        StrAppendFormat(&out, "  %-6d %-14s %-32s %8.3f %9.3f %-17s %7.3f %s\n", b.hidden, CurveKindName(bf.kind),
               p.label.c_str(), p.observed, p.predicted, interval.c_str(), p.abs_error, p.in_band ? "yes" : "no");
      }
      StrAppendFormat(&out, "  %-6d %-14s mean |error| %.3f, %d of %zu in interval\n", b.hidden, CurveKindName(bf.kind),
             bf.mean_abs_error, bf.in_band, bf.points.size());
    }
  }
  const char* primary = f.fits.empty() ? "?" : CurveKindName(f.fits[0].fit.curve.kind);
  StrAppendFormat(&out, "\nP(score >= %.3g at %gx current compute) = %.3f (%s bootstrap)\n", o.threshold, o.buffer,
         f.crossing_probability, primary);
  StrAppendFormat(&out, "central %s fit crosses %.3g: %s\n", primary, o.threshold,
         CrossingText(f.crossing, f.crossing == Curve::Crossing::kAt ? std::log10(f.crossing_flops) : 0, f.current_flops).c_str());
  if (!f.notes.empty()) {
    StrAppendFormat(&out, "\nnotes:\n");
    for (const std::string& n : f.notes) StrAppendFormat(&out, "  - %s\n", n.c_str());
  }
  return out;
}

}  // namespace warden::forecast
