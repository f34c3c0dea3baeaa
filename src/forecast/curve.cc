// Curve evaluation and inversion (curve.h).
#include <algorithm>
#include <cmath>

#include "warden/forecast/curve.h"

namespace warden::forecast {

const char* CurveKindName(CurveKind kind) {
  switch (kind) {
    case CurveKind::kSigmoid: return "sigmoid";
    case CurveKind::kSigmoidCeil1: return "sigmoid_ceil1";
    case CurveKind::kLinear: return "linear";
  }
  return "?";
}

int CurveParameterCount(CurveKind kind) { return kind == CurveKind::kSigmoid ? 3 : 2; }

const char* CrossingName(Curve::Crossing c) {
  switch (c) {
    case Curve::Crossing::kAt: return "at";
    case Curve::Crossing::kAlways: return "always";
    case Curve::Crossing::kNever: return "never";
  }
  return "?";
}

namespace {

// 1 / (1 + exp(-z)) without overflow for large |z|.
double Logistic(double z) {
  if (z >= 0) return 1.0 / (1.0 + std::exp(-z));
  const double e = std::exp(z);
  return e / (1.0 + e);
}

}  // namespace

double Curve::Predict(double x) const {
  if (kind == CurveKind::kLinear) return std::clamp(a + b * x, floor, 1.0);
  const double top = kind == CurveKind::kSigmoidCeil1 ? 1.0 : ceiling;
  return floor + (top - floor) * Logistic(k * (x - x0));
}

Curve::Crossing Curve::CrossingX(double threshold, double* x) const {
  if (kind == CurveKind::kLinear) {
    if (threshold <= floor) return Crossing::kAlways;
    if (b <= 0) {
      // A line that does not rise reaches the threshold only if it is already there everywhere
      // to the right of any compute, which for b < 0 is never true as compute grows.
      if (b == 0 && std::clamp(a, floor, 1.0) >= threshold) return Crossing::kAlways;
      return Crossing::kNever;
    }
    if (threshold > 1.0) return Crossing::kNever;
    *x = (threshold - a) / b;
    return Crossing::kAt;
  }
  const double top = kind == CurveKind::kSigmoidCeil1 ? 1.0 : ceiling;
  if (threshold <= floor) return Crossing::kAlways;
  if (threshold >= top) return Crossing::kNever;  // the asymptote is never reached
  *x = x0 - std::log((top - floor) / (threshold - floor) - 1.0) / k;
  return Crossing::kAt;
}

}  // namespace warden::forecast
