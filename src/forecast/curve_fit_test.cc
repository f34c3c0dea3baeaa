// Curves and their fits: parameters recovered from synthetic points, inversion, bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "test_util.h"
#include "warden/forecast/curve.h"

namespace warden::forecast {
namespace {

using testing::Normal;
using testing::Sigmoid;

FitData DataOn(const Curve& truth, const std::vector<double>& xs, double se, Rng* rng) {
  FitData d;
  for (double x : xs) {
    d.x.push_back(x);
    d.y.push_back(std::fmin(1.0, std::fmax(0.0, truth.Predict(x) + (rng ? se * Normal(*rng) : 0.0))));
    d.s.push_back(se);
  }
  return d;
}

TEST(Curve, SigmoidShapeAndInverse) {
  const Curve c = Sigmoid(0.25, 0.9, 2.0, 12.0);
  EXPECT_NEAR(c.Predict(12.0), 0.25 + 0.65 / 2, 1e-12);  // the midpoint is halfway
  EXPECT_NEAR(c.Predict(-100), 0.25, 1e-12);
  EXPECT_NEAR(c.Predict(100), 0.9, 1e-12);
  for (double t : {0.3, 0.5, 0.8, 0.89}) {
    double x = 0;
    ASSERT_EQ(c.CrossingX(t, &x), Curve::Crossing::kAt);
    EXPECT_NEAR(c.Predict(x), t, 1e-9) << t;
  }
  double x = 0;
  EXPECT_EQ(c.CrossingX(0.9, &x), Curve::Crossing::kNever);   // the ceiling is never reached
  EXPECT_EQ(c.CrossingX(0.95, &x), Curve::Crossing::kNever);
  EXPECT_EQ(c.CrossingX(0.2, &x), Curve::Crossing::kAlways);  // below the floor
}

TEST(Curve, LineIsClippedAndInverts) {
  Curve c;
  c.kind = CurveKind::kLinear;
  c.floor = 0.25;
  c.a = -2.0;
  c.b = 0.2;  // 0.5 at x = 12.5
  EXPECT_NEAR(c.Predict(12.5), 0.5, 1e-12);
  EXPECT_EQ(c.Predict(0), 0.25);
  EXPECT_EQ(c.Predict(100), 1.0);
  double x = 0;
  ASSERT_EQ(c.CrossingX(0.8, &x), Curve::Crossing::kAt);
  EXPECT_NEAR(x, 14.0, 1e-12);
  c.b = -0.1;
  EXPECT_EQ(c.CrossingX(0.8, &x), Curve::Crossing::kNever);  // falling with compute
}

TEST(CurveFit, RecoversExactSigmoid) {
  const Curve truth = Sigmoid(0.25, 0.85, 1.8, 12.3);
  const FitData d = DataOn(truth, {10.5, 11, 11.5, 12, 12.5, 13, 13.5, 14}, 0.02, nullptr);
  Result<CurveFit> f = FitCurve(CurveKind::kSigmoid, d, 0.25);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_NEAR(f->curve.ceiling, 0.85, 1e-4);
  EXPECT_NEAR(f->curve.k, 1.8, 1e-3);
  EXPECT_NEAR(f->curve.x0, 12.3, 1e-4);
  EXPECT_LT(f->rmse, 1e-6);
  EXPECT_EQ(f->dof, 5);
}

TEST(CurveFit, RecoversNoisySigmoidWithinErrors) {
  const Curve truth = Sigmoid(0.25, 0.8, 2.5, 12.0);
  std::vector<double> xs;
  for (int i = 0; i < 16; ++i) xs.push_back(10.8 + 0.16 * i);
  Rng rng(42);
  const FitData d = DataOn(truth, xs, 0.015, &rng);
  Result<CurveFit> f = FitCurve(CurveKind::kSigmoid, d, 0.25);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_NEAR(f->curve.ceiling, 0.8, 0.03);
  EXPECT_NEAR(f->curve.k, 2.5, 0.5);
  EXPECT_NEAR(f->curve.x0, 12.0, 0.08);
  // A good fit leaves residuals the size of the noise: chi^2 near its degrees of freedom.
  EXPECT_LT(f->chi2 / f->dof, 2.5);
  EXPECT_GT(f->rmse, 0.005);
}

TEST(CurveFit, LineMatchesWeightedLeastSquares) {
  FitData d;
  d.x = {1, 2, 3, 4};
  d.y = {0.3, 0.42, 0.5, 0.61};
  d.s = {0.01, 0.01, 0.01, 0.01};
  Result<CurveFit> f = FitCurve(CurveKind::kLinear, d, 0.0);
  ASSERT_TRUE(f.ok());
  // Ordinary least squares by hand (equal weights): slope = cov(x, y) / var(x).
  const double mx = 2.5, my = (0.3 + 0.42 + 0.5 + 0.61) / 4;
  double sxy = 0, sxx = 0;
  for (size_t i = 0; i < 4; ++i) {
    sxy += (d.x[i] - mx) * (d.y[i] - my);
    sxx += (d.x[i] - mx) * (d.x[i] - mx);
  }
  EXPECT_NEAR(f->curve.b, sxy / sxx, 1e-12);
  EXPECT_NEAR(f->curve.a, my - sxy / sxx * mx, 1e-12);
  EXPECT_EQ(f->dof, 2);
}

TEST(CurveFit, CeilingOneVariantFitsTwoParameters) {
  const Curve truth = Sigmoid(0.0, 1.0, 1.5, 12.0);
  const FitData d = DataOn(truth, {11, 11.5, 12, 12.5, 13}, 0.02, nullptr);
  Result<CurveFit> f = FitCurve(CurveKind::kSigmoidCeil1, d, 0.0);
  ASSERT_TRUE(f.ok());
  EXPECT_NEAR(f->curve.k, 1.5, 1e-4);
  EXPECT_NEAR(f->curve.x0, 12.0, 1e-5);
  EXPECT_EQ(f->dof, 3);
}

TEST(CurveFit, BadInputIsAnError) {
  FitData d;
  d.x = {1, 2};
  d.y = {0.3, 0.4};
  d.s = {0.01, 0.01};
  EXPECT_EQ(FitCurve(CurveKind::kSigmoid, d, 0.25).status().code(), StatusCode::kInvalidArgument);  // 2 points
  d.x.push_back(3);
  d.y.push_back(std::numeric_limits<double>::quiet_NaN());
  d.s.push_back(0.01);
  EXPECT_EQ(FitCurve(CurveKind::kSigmoid, d, 0.25).status().code(), StatusCode::kInvalidArgument);  // NaN
  d.y.back() = 0.5;
  d.s.back() = 0;
  EXPECT_EQ(FitCurve(CurveKind::kLinear, d, 0.25).status().code(), StatusCode::kInvalidArgument);  // s = 0
  d.s.back() = 0.01;
  EXPECT_EQ(FitCurve(CurveKind::kLinear, d, 1.0).status().code(), StatusCode::kInvalidArgument);  // floor 1
  d.y.pop_back();
  EXPECT_EQ(FitCurve(CurveKind::kLinear, d, 0.25).status().code(), StatusCode::kInvalidArgument);  // lengths
}

}  // namespace
}  // namespace warden::forecast
