// Scaling curves: score as a function of training compute, and their weighted least-squares fits.
//
// Every curve is a function of x = log10(training FLOPs). Scores are fractions in [0, 1] (an
// accuracy, a refusal rate); `floor` is the score of a model that knows nothing (chance: 0.25 on
// four-choice items, 0 for free-text answers), fixed by the caller, never fitted.
//
//   kSigmoid       score = floor + (ceiling - floor) / (1 + exp(-k (x - x0))),
//                  floor < ceiling <= 1, k > 0 (per decade of compute), x0 = the midpoint.
//   kSigmoidCeil1  the same with ceiling fixed at 1 (two parameters: k, x0).
//   kLinear        score = clamp(a + b x, floor, 1): a straight line in log-compute, clipped.
//
// Fits minimise sum_i ((f(x_i) - y_i) / s_i)^2 with s_i each point's standard error. The sigmoids
// are fitted with GSL's trust-region nonlinear least squares (gsl_multifit_nlinear,
// Levenberg-Marquardt) over unconstrained parameters (ceiling through a logistic map into
// (floor, 1], k through exp), from several starts; the line with GSL's gsl_fit_wlinear.
// Thread-safe: no shared state.
#pragma once

#include <string>
#include <vector>

#include "warden/base/status.h"

namespace warden::forecast {

enum class CurveKind { kSigmoid, kSigmoidCeil1, kLinear };

// "sigmoid", "sigmoid_ceil1", "linear".
const char* CurveKindName(CurveKind kind);
// The parameter count: 3, 2, 2.
int CurveParameterCount(CurveKind kind);

struct Curve {
  CurveKind kind = CurveKind::kSigmoid;
  double floor = 0;    // fixed chance score
  double ceiling = 1;  // sigmoids: the asymptote as compute grows (1 for kSigmoidCeil1)
  double k = 1;        // sigmoids: steepness, per decade of compute (> 0)
  double x0 = 0;       // sigmoids: log10 FLOPs where the score is halfway from floor to ceiling
  double a = 0, b = 0;  // linear: intercept and slope per decade (before clipping)

  // The score at log10 FLOPs `x` (in [floor, 1] for the line; in [floor, ceiling] for sigmoids).
  double Predict(double x) const;

  // Where the curve first reaches `threshold`, as log10 FLOPs.
  //   kAt:     at *x (may lie below the compute already observed);
  //   kAlways: threshold <= the curve's lowest value (the floor): every compute reaches it;
  //   kNever:  the curve never gets there (sigmoid ceiling below the threshold; a line that does
  //            not rise; threshold above 1).
  enum class Crossing { kAt, kAlways, kNever };
  Crossing CrossingX(double threshold, double* x) const;
};

const char* CrossingName(Curve::Crossing c);  // "at", "always", "never"

// Inputs to one fit: parallel arrays, all finite, s_i > 0, at least CurveParameterCount(kind)
// points (a sigmoid through 3 points fits them exactly: zero degrees of freedom).
struct FitData {
  std::vector<double> x;  // log10 FLOPs
  std::vector<double> y;  // scores
  std::vector<double> s;  // standard errors (> 0)
};

struct CurveFit {
  Curve curve;
  double chi2 = 0;      // sum of squared standardised residuals
  int dof = 0;          // points minus parameters (may be 0)
  double rmse = 0;      // root-mean-square residual, in score units
  std::vector<double> residuals;  // y_i - f(x_i), in score units
  int iterations = 0;   // of the best start (0 for the line)
  bool converged = true;
};

// Fits `kind` to `data` with the fixed `floor` (in [0, 1)). `start`, when given (same kind),
// is the only starting point tried: for bootstrap refits near a known solution; otherwise a grid
// of starts spread over the data's range is tried and the lowest chi^2 kept.
// Errors: InvalidArgument for mismatched/too few/non-finite inputs; Internal when no start
// produced finite parameters.
Result<CurveFit> FitCurve(CurveKind kind, const FitData& data, double floor, const Curve* start = nullptr);

}  // namespace warden::forecast
