// The parametric (residual) bootstrap: see forecast.h for why it and not case resampling.
#include "bootstrap.h"

#include <gsl/gsl_randist.h>

#include <algorithm>
#include <cmath>

#include "warden/base/rng.h"

namespace warden::forecast::internal {

GaussianSource::GaussianSource(uint64_t seed, const std::string& purpose)
    : rng_(gsl_rng_alloc(gsl_rng_mt19937)) {
  // MT19937 takes a 32-bit seed in GSL; warden's Rng turns (seed, purpose) into one.
  const uint64_t mixed = Rng(seed).Fork(purpose).Next();
  gsl_rng_set(rng_.get(), static_cast<unsigned long>(mixed & 0xffffffffu));
}

double GaussianSource::Draw(double sd) { return gsl_ran_gaussian_ziggurat(rng_.get(), sd); }

Result<Bootstrapped> FitWithBootstrap(CurveKind kind, const FitData& d, double floor, int resamples,
                                      GaussianSource& noise) {
  Bootstrapped out;
  WARDEN_ASSIGN_OR_RETURN(out.central, FitCurve(kind, d, floor));
  if (out.central.dof > 0) out.noise_scale = std::sqrt(std::max(1.0, out.central.chi2 / out.central.dof));
  FitData star = d;
  out.curves.reserve(static_cast<size_t>(resamples));
  for (int r = 0; r < resamples; ++r) {
    for (size_t i = 0; i < d.x.size(); ++i) {
      star.y[i] = std::clamp(out.central.curve.Predict(d.x[i]) + noise.Draw(out.noise_scale * d.s[i]), 0.0, 1.0);
    }
    // Start from the central solution (fast, and the same basin); fall back to the full grid.
    Result<CurveFit> refit = FitCurve(kind, star, floor, &out.central.curve);
    if (!refit.ok()) refit = FitCurve(kind, star, floor);
    if (refit.ok()) {
      out.curves.push_back(refit->curve);
    } else {
      ++out.failed;
    }
  }
  return out;
}

}  // namespace warden::forecast::internal
