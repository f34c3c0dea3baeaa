// FitForecast: bands that cover the truth, crossing probabilities at the extremes, back-tests,
// determinism, JSON and SVG output, errors for bad points and options.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <limits>

#include "test_util.h"
#include "warden/forecast/forecast.h"
#include "warden/forecast/plot.h"

namespace warden::forecast {
namespace {

using testing::PointsOn;
using testing::Sigmoid;

const std::vector<double> kRungs = {11.0, 11.5, 12.0, 12.5, 13.0};

ForecastOptions Quick(int bootstrap = 300) {
  ForecastOptions o;
  o.floor = 0.25;
  o.bootstrap = bootstrap;
  return o;
}

TEST(FitForecast, BandCoversTheTruth) {
  // Over many noisy data sets from one known sigmoid, the 90% band at the largest rung and at the
  // 4x target should contain the true curve most of the time (exactly 90% is not promised: the
  // percentile bootstrap of a nonlinear fit on 5 points is approximate).
  const Curve truth = Sigmoid(0.25, 0.9, 2.0, 12.2);
  ForecastOptions o = Quick(200);
  o.backtest_max_hidden = 0;
  const double target_x = 13.0 + std::log10(4.0);
  int covered_last = 0, covered_target = 0;
  const int trials = 40;
  for (int t = 0; t < trials; ++t) {
    Rng rng(1000 + t);
    o.seed = 7 + t;
    Result<Forecast> f = FitForecast(PointsOn(truth, kRungs, 0.03, &rng), o);
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    const FitResult& s = f->fits[0];
    EXPECT_EQ(s.fit.curve.kind, CurveKind::kSigmoid);
    // The band point nearest each x.
    auto covered = [&](double x) {
      const BandPoint* best = &s.band[0];
      for (const BandPoint& p : s.band) {
        if (std::fabs(p.log10_flops - x) < std::fabs(best->log10_flops - x)) best = &p;
      }
      const double v = truth.Predict(best->log10_flops);
      return v >= best->low && v <= best->high;
    };
    covered_last += covered(13.0) ? 1 : 0;
    const double v = truth.Predict(target_x);
    covered_target += (v >= s.target_low && v <= s.target_high) ? 1 : 0;
  }
  std::printf("90%% band covered the truth: %d of %d at the largest rung, %d of %d at 4x beyond\n", covered_last,
              trials, covered_target, trials);
  EXPECT_GE(covered_last, trials * 75 / 100) << covered_last << " of " << trials;
  EXPECT_GE(covered_target, trials * 75 / 100) << covered_target << " of " << trials;
}

TEST(FitForecast, CrossingProbabilityAtTheExtremes) {
  const Curve truth = Sigmoid(0.25, 0.7, 2.0, 12.0);
  Rng rng(5);
  const std::vector<Observation> pts = PointsOn(truth, kRungs, 0.02, &rng);
  ForecastOptions o = Quick();
  o.backtest_max_hidden = 0;
  o.threshold = 0.26;  // below every point: every bootstrap curve is above it at the target
  Result<Forecast> low = FitForecast(pts, o);
  ASSERT_TRUE(low.ok()) << low.status().ToString();
  EXPECT_GE(low->crossing_probability, 0.99);
  EXPECT_EQ(low->crossing, Curve::Crossing::kAt);
  EXPECT_LT(low->crossing_flops, pts.back().flops);  // crossed long ago

  o.threshold = 0.98;  // far above a ceiling of 0.7 that the points pin down
  Result<Forecast> high = FitForecast(pts, o);
  ASSERT_TRUE(high.ok());
  EXPECT_LE(high->crossing_probability, 0.01);
  EXPECT_EQ(high->crossing, Curve::Crossing::kNever);
  EXPECT_EQ(high->crossing_flops, 0);
  const FitResult* line = FindFit(*high, CurveKind::kLinear);
  ASSERT_NE(line, nullptr);
  EXPECT_LE(line->crossing_probability, 0.05);
}

TEST(FitForecast, CentralCrossingMatchesTheFit) {
  const Curve truth = Sigmoid(0.25, 0.95, 1.5, 13.2);
  ForecastOptions o = Quick();
  o.threshold = 0.8;
  Result<Forecast> f = FitForecast(PointsOn(truth, {11.5, 12, 12.5, 13, 13.5, 14}, 0.01, nullptr), o);
  ASSERT_TRUE(f.ok());
  double true_x = 0;
  ASSERT_EQ(truth.CrossingX(0.8, &true_x), Curve::Crossing::kAt);
  ASSERT_EQ(f->crossing, Curve::Crossing::kAt);
  EXPECT_NEAR(std::log10(f->crossing_flops), true_x, 0.01);
  EXPECT_NEAR(f->fits[0].fit.curve.Predict(std::log10(f->crossing_flops)), 0.8, 1e-9);
}

TEST(FitForecast, BacktestOnExactSigmoidIsAccurate) {
  const Curve truth = Sigmoid(0.25, 0.9, 2.0, 12.0);
  Result<Forecast> f = FitForecast(PointsOn(truth, {11, 11.4, 11.8, 12.2, 12.6, 13.0}, 0.01, nullptr), Quick(200));
  ASSERT_TRUE(f.ok());
  ASSERT_EQ(f->backtests.size(), 2u);
  for (const Backtest& b : f->backtests) {
    ASSERT_TRUE(b.ran) << b.reason;
    const BacktestFit& s = b.fits[0];
    ASSERT_EQ(s.kind, CurveKind::kSigmoid);
    ASSERT_TRUE(s.ok) << s.error;
    EXPECT_EQ(s.points.size(), static_cast<size_t>(b.hidden));
    EXPECT_LT(s.mean_abs_error, 0.01) << "hidden " << b.hidden;
    EXPECT_EQ(s.in_band, b.hidden);
    // The hidden points are the largest compute values.
    EXPECT_NEAR(s.points.back().log10_flops, 13.0, 1e-12);
  }
  // A straight line cannot follow the bend: its back-test error is larger.
  EXPECT_GT(f->backtests[0].fits[2].mean_abs_error, f->backtests[0].fits[0].mean_abs_error);
}

TEST(FitForecast, BacktestNeedsThreeVisibleComputeValues) {
  const Curve truth = Sigmoid(0.25, 0.9, 2.0, 12.0);
  // Four compute values, two points at the largest: hiding 2 leaves 2.
  std::vector<Observation> pts = PointsOn(truth, {11, 11.5, 12, 12.5, 12.5}, 0.02, nullptr);
  Result<Forecast> f = FitForecast(pts, Quick(50));
  ASSERT_TRUE(f.ok());
  ASSERT_EQ(f->backtests.size(), 2u);
  EXPECT_TRUE(f->backtests[0].ran);
  EXPECT_EQ(f->backtests[0].fits[0].points.size(), 2u);  // both points at the largest compute
  EXPECT_FALSE(f->backtests[1].ran);
  EXPECT_NE(f->backtests[1].reason.find("leaves 2"), std::string::npos) << f->backtests[1].reason;
}

TEST(FitForecast, SameSeedSameForecast) {
  Rng rng(9);
  const std::vector<Observation> pts = PointsOn(Sigmoid(0.25, 0.8, 2, 12), kRungs, 0.03, &rng);
  const Forecast a = *FitForecast(pts, Quick(100));
  const Forecast b = *FitForecast(pts, Quick(100));
  EXPECT_EQ(ForecastToJson(a).dump(), ForecastToJson(b).dump());
  ForecastOptions other = Quick(100);
  other.seed = 2;
  EXPECT_NE(ForecastToJson(*FitForecast(pts, other)).dump(), ForecastToJson(a).dump());
}

TEST(FitForecast, ZeroStderrUsesTheBinomialError) {
  std::vector<Observation> pts = PointsOn(Sigmoid(0, 0.8, 2, 12), kRungs, 0.03, nullptr);
  pts[0].score = 0;
  pts[0].stderr_score = 0;
  pts[0].n = 50;
  pts[1].stderr_score = 0;  // no n: the minimum
  Result<Forecast> f = FitForecast(pts, Quick(50));
  ASSERT_TRUE(f.ok());
  EXPECT_NEAR(f->observations[0].stderr_score, std::sqrt((1.0 / 52) * (51.0 / 52) / 52), 1e-12);
  EXPECT_EQ(f->observations[1].stderr_score, 0.01);
}

TEST(FitForecast, BadPointsAreErrors) {
  const std::vector<Observation> good = PointsOn(Sigmoid(0.25, 0.8, 2, 12), kRungs, 0.03, nullptr);
  auto code = [](const std::vector<Observation>& p, const ForecastOptions& o = Quick(50)) {
    return FitForecast(p, o).status();
  };
  std::vector<Observation> p = good;
  p.resize(2);
  EXPECT_NE(code(p).message().find("at least 3 distinct compute"), std::string::npos);
  p = good;
  for (Observation& o : p) o.flops = 1e12;  // 5 points, one compute value
  EXPECT_EQ(code(p).code(), StatusCode::kInvalidArgument);
  p = good;
  p[2].score = 1.2;
  const Status s = code(p);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("points[2] 'p2'"), std::string::npos) << s.message();
  p = good;
  p[1].flops = std::numeric_limits<double>::infinity();
  EXPECT_EQ(code(p).code(), StatusCode::kInvalidArgument);
  p = good;
  p[1].flops = -5;
  EXPECT_EQ(code(p).code(), StatusCode::kInvalidArgument);
  p = good;
  p[3].stderr_score = std::nan("");
  EXPECT_EQ(code(p).code(), StatusCode::kInvalidArgument);
  p = good;
  p[3].score = std::nan("");
  EXPECT_EQ(code(p).code(), StatusCode::kInvalidArgument);

  ForecastOptions o = Quick(50);
  o.floor = 1.0;
  EXPECT_NE(code(good, o).message().find("floor"), std::string::npos);
  o = Quick(50);
  o.buffer = 0.5;
  EXPECT_NE(code(good, o).message().find("buffer"), std::string::npos);
  o = Quick(5);
  EXPECT_NE(code(good, o).message().find("bootstrap"), std::string::npos);
  o = Quick(50);
  o.band = 1.0;
  EXPECT_NE(code(good, o).message().find("band"), std::string::npos);
  o = Quick(50);
  o.threshold = 1.5;
  EXPECT_NE(code(good, o).message().find("threshold"), std::string::npos);
}

TEST(ForecastOutput, JsonAndSvgCarryTheResults) {
  Rng rng(3);
  std::vector<Observation> pts = PointsOn(Sigmoid(0.25, 0.9, 2, 12), kRungs, 0.03, &rng);
  pts[0].label = "rung <0> & \"small\"";
  const Forecast f = *FitForecast(pts, Quick(60));
  const nlohmann::json j = ForecastToJson(f);
  EXPECT_EQ(j["format"], "warden-forecast/1");
  EXPECT_EQ(j["points"].size(), 5u);
  EXPECT_EQ(j["fits"].size(), 3u);
  EXPECT_EQ(j["fits"][0]["curve"]["kind"], "sigmoid");
  EXPECT_DOUBLE_EQ(j["crossing_probability"].get<double>(), f.crossing_probability);
  EXPECT_DOUBLE_EQ(j["target_flops"].get<double>(), 4 * 1e13);
  EXPECT_EQ(j["backtests"].size(), 2u);
  EXPECT_EQ(j["fits"][0]["band"].size(), static_cast<size_t>(f.options.band_points));

  const std::string svg = ForecastSvg(f, "hazard <benchmark>");
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_NE(svg.find("hazard &lt;benchmark&gt;"), std::string::npos);
  EXPECT_NE(svg.find("rung &lt;0&gt; &amp; &quot;small&quot;"), std::string::npos);
  EXPECT_EQ(svg.find("<0>"), std::string::npos);
  EXPECT_NE(svg.find("<polygon"), std::string::npos);             // the band
  EXPECT_NE(svg.find("threshold 0.80"), std::string::npos);       // the threshold line's legend
  EXPECT_NE(svg.find("10<tspan dy=\"-6\" font-size=\"9\">13</tspan>"), std::string::npos);  // a tick
  size_t circles = 0;
  for (size_t at = svg.find("<circle"); at != std::string::npos; at = svg.find("<circle", at + 1)) ++circles;
  EXPECT_EQ(circles, 5u + 1u);  // the points and the legend's swatch

  const std::string text = ForecastText(f);
  EXPECT_NE(text.find("sigmoid_ceil1"), std::string::npos);
  EXPECT_NE(text.find("back-tests"), std::string::npos);
  EXPECT_NE(text.find("P(score >= 0.8 at 4x current compute)"), std::string::npos);
}

}  // namespace
}  // namespace warden::forecast
