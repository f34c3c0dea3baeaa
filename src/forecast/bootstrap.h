// Internal to the forecast module: the parametric bootstrap shared by FitForecast and the
// back-tests, and quantiles that tolerate infinities.
#pragma once

#include <gsl/gsl_rng.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "warden/base/status.h"
#include "warden/forecast/curve.h"

namespace warden::forecast::internal {

// Normal draws from GSL's MT19937 (fully specified, so a seed gives the same numbers everywhere).
class GaussianSource {
 public:
  // The stream for `purpose` under `seed` (a different purpose gives an independent stream).
  GaussianSource(uint64_t seed, const std::string& purpose);
  double Draw(double sd);

 private:
  struct Free {
    void operator()(gsl_rng* r) const { gsl_rng_free(r); }
  };
  std::unique_ptr<gsl_rng, Free> rng_;
};

struct Bootstrapped {
  CurveFit central;
  double noise_scale = 1;      // sqrt(max(1, chi2/dof)); 1 at zero dof
  std::vector<Curve> curves;   // the refits that succeeded
  int failed = 0;
};

// Fits `kind` to `d`, then refits it `resamples` times to y*_i = clamp(f(x_i) + N(0, (m s_i)^2), 0, 1).
Result<Bootstrapped> FitWithBootstrap(CurveKind kind, const FitData& d, double floor, int resamples,
                                      GaussianSource& noise);

}  // namespace warden::forecast::internal
