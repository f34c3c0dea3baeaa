#include "warden/base/stats.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

namespace warden {
namespace {

TEST(WilsonInterval, MatchesTheClosedFormAtNinetyFivePercent) {
  // 8 of 10 at 95%: the score interval is [0.4902, 0.9433] (Newcombe 1998, Table I method 3).
  const Interval r = WilsonInterval(8, 10);
  EXPECT_NEAR(r.low, 0.4902, 1e-4);
  EXPECT_NEAR(r.high, 0.9433, 1e-4);
}

TEST(WilsonInterval, EdgesStayInsideTheUnitIntervalAndContainTheRate) {
  EXPECT_EQ(WilsonInterval(0, 0).low, 0);
  EXPECT_EQ(WilsonInterval(0, 0).high, 0);
  const Interval none = WilsonInterval(0, 20), all = WilsonInterval(20, 20);
  EXPECT_EQ(none.low, 0);
  EXPECT_GT(none.high, 0);
  EXPECT_EQ(all.high, 1);
  EXPECT_LT(all.low, 1);
}

TEST(WilsonInterval, WiderAtHigherConfidence) {
  const Interval a = WilsonInterval(30, 100, 0.90), b = WilsonInterval(30, 100, 0.99);
  EXPECT_LT(b.low, a.low);
  EXPECT_GT(b.high, a.high);
}

TEST(QuantileSorted, InterpolatesBetweenOrderStatistics) {
  const std::vector<double> v{1, 2, 3, 4};
  EXPECT_DOUBLE_EQ(QuantileSorted(v, 0), 1);
  EXPECT_DOUBLE_EQ(QuantileSorted(v, 1), 4);
  EXPECT_DOUBLE_EQ(QuantileSorted(v, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(QuantileSorted(v, 0.25), 1.75);  // R: quantile(1:4, 0.25) == 1.75
}

TEST(BootstrapOverClusters, SeededAndCoversTheMean) {
  std::vector<double> x(200);
  for (size_t i = 0; i < x.size(); ++i) x[i] = (i % 10) / 10.0;
  auto mean = [&](const std::vector<size_t>& rows) -> std::optional<double> {
    double s = 0;
    for (size_t r : rows) s += x[r];
    return s / static_cast<double>(rows.size());
  };
  const auto a = BootstrapOverClusters(x.size(), {}, mean), b = BootstrapOverClusters(x.size(), {}, mean);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->low, b->low);
  EXPECT_EQ(a->high, b->high);
  EXPECT_LT(a->low, 0.45);
  EXPECT_GT(a->high, 0.45);
  // Standard error of the mean is about 0.2 (the sd of x ~0.287 over sqrt(200)); the 95% interval
  // is about +-1.96 se.
  EXPECT_NEAR(a->high - a->low, 2 * 1.96 * 0.287 / std::sqrt(200.0), 0.02);
}

TEST(BootstrapOverClusters, ClustersMoveTogether) {
  // Two clusters of 50 identical rows: every resample's mean is 0, 0.5 or 1.
  std::vector<std::string> clusters(100);
  std::vector<double> x(100);
  for (size_t i = 0; i < 100; ++i) {
    clusters[i] = i < 50 ? "a" : "b";
    x[i] = i < 50 ? 0 : 1;
  }
  BootstrapOptions o;
  o.resamples = 400;
  const auto r = BootstrapOverClusters(
      x.size(), clusters,
      [&](const std::vector<size_t>& rows) -> std::optional<double> {
        EXPECT_EQ(rows.size(), 100u);
        double s = 0;
        for (size_t i : rows) s += x[i];
        return s / 100;
      },
      o);
  ASSERT_TRUE(r);
  EXPECT_DOUBLE_EQ(r->low, 0);
  EXPECT_DOUBLE_EQ(r->high, 1);
}

TEST(BootstrapOverClusters, NothingToEstimate) {
  EXPECT_FALSE(BootstrapOverClusters(0, {}, [](const std::vector<size_t>&) { return std::optional<double>(1); }));
  EXPECT_FALSE(BootstrapOverClusters(5, {}, [](const std::vector<size_t>&) { return std::optional<double>(); }));
}

TEST(Auroc, RanksWithTiesCountingHalf) {
  EXPECT_DOUBLE_EQ(*Auroc({0.1, 0.2, 0.8, 0.9}, {0, 0, 1, 1}), 1.0);
  EXPECT_DOUBLE_EQ(*Auroc({0.9, 0.8, 0.2, 0.1}, {0, 0, 1, 1}), 0.0);
  EXPECT_DOUBLE_EQ(*Auroc({0.5, 0.5}, {0, 1}), 0.5);
  // 3 positives (0.4, 0.3, 0.7) x 2 negatives (0.1, 0.5): 4 of the 6 pairs ordered correctly.
  EXPECT_NEAR(*Auroc({0.1, 0.4, 0.5, 0.3, 0.7}, {0, 1, 0, 1, 1}), 4.0 / 6.0, 1e-12);
}

TEST(Auroc, BadInputIsAnError) {
  EXPECT_FALSE(Auroc({0.1, 0.2}, {0}).ok());
  EXPECT_FALSE(Auroc({0.1, 0.2}, {1, 1}).ok());
  const auto bad = Auroc({0.1, 0.2}, {0, 2});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("row 1"), std::string::npos);
}

TEST(AurocWithInterval, IntervalContainsTheEstimate) {
  std::vector<double> s;
  std::vector<int> y;
  for (int i = 0; i < 60; ++i) {
    y.push_back(i % 2);
    s.push_back((i % 2) * 0.6 + (i % 7) / 10.0);
  }
  const auto e = AurocWithInterval(s, y, {});
  ASSERT_TRUE(e.ok());
  EXPECT_LE(e->interval.low, e->value);
  EXPECT_GE(e->interval.high, e->value);
  EXPECT_LT(e->interval.low, e->interval.high);
  EXPECT_FALSE(AurocWithInterval(s, y, {"a"}).ok());
}

}  // namespace
}  // namespace warden
