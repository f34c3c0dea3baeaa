// Weighted least-squares fits of the curves (curve.h): GSL's nonlinear trust-region solver for
// the sigmoids, gsl_fit_wlinear for the line.
#include <gsl/gsl_errno.h>
#include <gsl/gsl_fit.h>
#include <gsl/gsl_multifit_nlinear.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>

#include "warden/forecast/curve.h"

namespace warden::forecast {
namespace {

// The solver works on unconstrained parameters u, mapped onto the curve's:
//   sigmoid:       u = (a, b, c): ceiling = floor + (1 - floor) * logistic(a), k = exp(b), x0 = c
//   sigmoid_ceil1: u = (b, c)
// Clamping keeps exp() and the logistic finite when the data do not pin a direction down (a
// ceiling above every point, a step-like jump); the clamped region has zero gradient, so the
// solver simply stops there.
constexpr double kMaxA = 40, kMinB = -12, kMaxB = 12;

double Logistic(double z) {
  if (z >= 0) return 1.0 / (1.0 + std::exp(-z));
  const double e = std::exp(z);
  return e / (1.0 + e);
}

double Logit(double p) { return std::log(p / (1.0 - p)); }

struct Problem {
  CurveKind kind;
  const FitData* data;
  double floor;
};

Curve CurveFromU(const Problem& pr, const double* u) {
  Curve c;
  c.kind = pr.kind;
  c.floor = pr.floor;
  size_t i = 0;
  if (pr.kind == CurveKind::kSigmoid) {
    c.ceiling = pr.floor + (1.0 - pr.floor) * Logistic(std::clamp(u[i++], -kMaxA, kMaxA));
  } else {
    c.ceiling = 1.0;
  }
  c.k = std::exp(std::clamp(u[i++], kMinB, kMaxB));
  c.x0 = u[i];
  return c;
}

int Residuals(const gsl_vector* u, void* params, gsl_vector* f) {
  const Problem& pr = *static_cast<const Problem*>(params);
  const Curve c = CurveFromU(pr, u->data);
  for (size_t i = 0; i < pr.data->x.size(); ++i) {
    gsl_vector_set(f, i, (c.Predict(pr.data->x[i]) - pr.data->y[i]) / pr.data->s[i]);
  }
  return GSL_SUCCESS;
}

int Jacobian(const gsl_vector* u, void* params, gsl_matrix* J) {
  const Problem& pr = *static_cast<const Problem*>(params);
  const Curve c = CurveFromU(pr, u->data);
  const bool three = pr.kind == CurveKind::kSigmoid;
  const double a = three ? gsl_vector_get(u, 0) : 0;
  const double b = gsl_vector_get(u, three ? 1 : 0);
  const double span = c.ceiling - c.floor;
  for (size_t i = 0; i < pr.data->x.size(); ++i) {
    const double x = pr.data->x[i], s = pr.data->s[i];
    const double g = Logistic(c.k * (x - c.x0));
    const double dg = g * (1.0 - g);
    size_t col = 0;
    if (three) {
      const double sa = Logistic(a);
      const double d_ceiling = std::fabs(a) < kMaxA ? (1.0 - pr.floor) * sa * (1.0 - sa) : 0.0;
      gsl_matrix_set(J, i, col++, d_ceiling * g / s);
    }
    const double d_k = (b > kMinB && b < kMaxB) ? c.k : 0.0;  // dk/db
    gsl_matrix_set(J, i, col++, span * dg * (x - c.x0) * d_k / s);
    gsl_matrix_set(J, i, col, -span * dg * c.k / s);
  }
  return GSL_SUCCESS;
}

struct WorkspaceDeleter {
  void operator()(gsl_multifit_nlinear_workspace* w) const { gsl_multifit_nlinear_free(w); }
};

CurveFit Finish(Curve curve, const FitData& d) {
  CurveFit r;
  r.curve = curve;
  r.dof = static_cast<int>(d.x.size()) - CurveParameterCount(curve.kind);
  double sq = 0;
  for (size_t i = 0; i < d.x.size(); ++i) {
    const double e = d.y[i] - curve.Predict(d.x[i]);
    r.residuals.push_back(e);
    sq += e * e;
    r.chi2 += (e / d.s[i]) * (e / d.s[i]);
  }
  r.rmse = std::sqrt(sq / static_cast<double>(d.x.size()));
  return r;
}

// One solve from `u0`; false when GSL failed outright or produced non-finite numbers.
bool SolveFrom(const Problem& pr, const std::vector<double>& u0, CurveFit* out) {
  const size_t n = pr.data->x.size(), p = u0.size();
  gsl_multifit_nlinear_fdf fdf{};
  fdf.f = Residuals;
  fdf.df = Jacobian;
  fdf.fvv = nullptr;
  fdf.n = n;
  fdf.p = p;
  fdf.params = const_cast<Problem*>(&pr);
  gsl_multifit_nlinear_parameters params = gsl_multifit_nlinear_default_parameters();
  std::unique_ptr<gsl_multifit_nlinear_workspace, WorkspaceDeleter> w(
      gsl_multifit_nlinear_alloc(gsl_multifit_nlinear_trust, &params, n, p));
  if (!w) return false;
  gsl_vector_const_view start = gsl_vector_const_view_array(u0.data(), p);
  if (gsl_multifit_nlinear_init(&start.vector, &fdf, w.get()) != GSL_SUCCESS) return false;
  int info = 0;
  const int status = gsl_multifit_nlinear_driver(/*maxiter=*/200, /*xtol=*/1e-10, /*gtol=*/1e-10,
                                                 /*ftol=*/0.0, nullptr, nullptr, &info, w.get());
  if (status != GSL_SUCCESS && status != GSL_EMAXITER && status != GSL_ENOPROG) return false;
  const gsl_vector* u = gsl_multifit_nlinear_position(w.get());
  for (size_t j = 0; j < p; ++j) {
    if (!std::isfinite(gsl_vector_get(u, j))) return false;
  }
  CurveFit r = Finish(CurveFromU(pr, u->data), *pr.data);
  if (!std::isfinite(r.chi2)) return false;
  r.iterations = static_cast<int>(gsl_multifit_nlinear_niter(w.get()));
  r.converged = status == GSL_SUCCESS;
  *out = std::move(r);
  return true;
}

std::vector<double> UFromCurve(const Curve& c, double floor) {
  std::vector<double> u;
  if (c.kind == CurveKind::kSigmoid) {
    const double frac = std::clamp((c.ceiling - floor) / (1.0 - floor), 1e-12, 1.0 - 1e-12);
    u.push_back(std::clamp(Logit(frac), -kMaxA, kMaxA));
  }
  u.push_back(std::clamp(std::log(c.k), kMinB, kMaxB));
  u.push_back(c.x0);
  return u;
}

Result<CurveFit> FitSigmoid(const Problem& pr, const Curve* start) {
  static const bool handler_off = [] {
    gsl_set_error_handler_off();  // GSL's default handler aborts the process; we check statuses
    return true;
  }();
  (void)handler_off;
  const FitData& d = *pr.data;
  std::vector<std::vector<double>> starts;
  if (start != nullptr) {
    starts.push_back(UFromCurve(*start, pr.floor));
  } else {
    const auto [lo, hi] = std::minmax_element(d.x.begin(), d.x.end());
    const double span = std::max(*hi - *lo, 0.5);
    // The ceiling-1 sigmoid ignores the ceiling: one pass over the other starts.
    const std::vector<double> ceilings =
        pr.kind == CurveKind::kSigmoid ? std::vector<double>{0.5, 0.9, 0.99} : std::vector<double>{1.0};
    for (double ceiling_frac : ceilings) {
      for (double k_span : {2.0, 6.0}) {
        for (double where : {0.25, 0.5, 0.75, 1.0, 1.5}) {
          Curve c;
          c.kind = pr.kind;
          c.ceiling = pr.floor + (1.0 - pr.floor) * ceiling_frac;
          c.k = k_span / span;
          c.x0 = *lo + span * where;
          starts.push_back(UFromCurve(c, pr.floor));
        }
      }
    }
  }
  bool any = false;
  CurveFit best;
  for (const std::vector<double>& u0 : starts) {
    CurveFit r;
    if (!SolveFrom(pr, u0, &r)) continue;
    if (!any || r.chi2 < best.chi2) best = std::move(r);
    any = true;
  }
  if (!any) return Status::Internal(std::string(CurveKindName(pr.kind)) + " fit: no starting point converged");
  return best;
}

Result<CurveFit> FitLine(const FitData& d, double floor) {
  std::vector<double> w(d.s.size());
  for (size_t i = 0; i < w.size(); ++i) w[i] = 1.0 / (d.s[i] * d.s[i]);
  double c0 = 0, c1 = 0, cov00 = 0, cov01 = 0, cov11 = 0, sumsq = 0;
  const int status = gsl_fit_wlinear(d.x.data(), 1, w.data(), 1, d.y.data(), 1, d.x.size(), &c0, &c1,
                                     &cov00, &cov01, &cov11, &sumsq);
  if (status != GSL_SUCCESS || !std::isfinite(c0) || !std::isfinite(c1)) {
    return Status::Internal("linear fit failed (are all compute values equal?)");
  }
  Curve c;
  c.kind = CurveKind::kLinear;
  c.floor = floor;
  c.a = c0;
  c.b = c1;
  return Finish(c, d);
}

}  // namespace

Result<CurveFit> FitCurve(CurveKind kind, const FitData& data, double floor, const Curve* start) {
  const size_t n = data.x.size();
  if (data.y.size() != n || data.s.size() != n) {
    return Status::InvalidArgument("fit: x, y and s differ in length");
  }
  const size_t p = static_cast<size_t>(CurveParameterCount(kind));
  if (n < p) {
    return Status::InvalidArgument(std::string(CurveKindName(kind)) + " fit: " + std::to_string(n) +
                                   " points for " + std::to_string(p) + " parameters");
  }
  if (!(floor >= 0 && floor < 1)) return Status::InvalidArgument("fit: floor must be in [0, 1)");
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(data.x[i]) || !std::isfinite(data.y[i]) || !std::isfinite(data.s[i]) || data.s[i] <= 0) {
      return Status::InvalidArgument("fit: point " + std::to_string(i) + " is not finite or has s <= 0");
    }
  }
  if (kind == CurveKind::kLinear) return FitLine(data, floor);
  if (start != nullptr && start->kind != kind) return Status::InvalidArgument("fit: start of another kind");
  Problem pr{kind, &data, floor};
  return FitSigmoid(pr, start);
}

}  // namespace warden::forecast
