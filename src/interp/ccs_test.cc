// CCS on synthetic contrast pairs with a planted truth axis: found without labels, the hook
// sweep chooses the hook that carries it, and the intervals cover the reported accuracy.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "warden/base/rng.h"
#include "warden/interp/ccs.h"

namespace warden::interp {
namespace {

double Uniform(Rng& rng) { return static_cast<double>(rng.Next() % 1000) / 1000 - 0.5; }

// Activations of `n` pairs in `d` dimensions; axis 0 carries the truth (+gap on the true side)
// when `truth` is set, and only noise otherwise.
void PlantedPairs(const std::vector<int>& first_true, int d, double gap, bool truth, uint64_t seed, Matrix* a,
                  Matrix* b) {
  Rng rng(seed);
  const int64_t n = static_cast<int64_t>(first_true.size());
  *a = Matrix{n, d, {}};
  *b = Matrix{n, d, {}};
  for (int64_t i = 0; i < n; ++i) {
    const double sign = first_true[static_cast<size_t>(i)] ? 1 : -1;
    for (int j = 0; j < d; ++j) {
      const double axis = truth && j == 0 ? gap : 0;
      a->data.push_back(static_cast<float>(Uniform(rng) + sign * axis));
      b->data.push_back(static_cast<float>(Uniform(rng) - sign * axis));
    }
  }
}

TEST(Ccs, FindsAConsistentDirectionWithoutLabels) {
  Rng rng(3);
  std::vector<int> first_true;
  for (int i = 0; i < 200; ++i) first_true.push_back(static_cast<int>(rng.Next() % 2));
  Matrix a, b;
  PlantedPairs(first_true, 8, 2, true, 4, &a, &b);
  CcsOptions o;
  o.restarts = 3;
  o.steps = 300;
  CcsProbe p = TrainCcs(a, b, o).value();
  const double acc = PairAccuracy(p.PredictFirstTrue(a, b), first_true);
  EXPECT_GT(std::max(acc, 1 - acc), 0.95);  // the sign is not identified: either way round
  EXPECT_FALSE(TrainCcs(a, Matrix{1, 8, std::vector<float>(8, 0)}).ok());
}

// 120 pairs in 40 clusters of 3: clusters 0-29 train, 30-39 test (category "new" and "old").
ContrastPairs SyntheticPairs() {
  ContrastPairs pairs;
  Rng rng(11);
  for (int i = 0; i < 120; ++i) {
    LabelledConversation c;
    c.id = "pair" + std::to_string(i);
    c.cluster = "fact" + std::to_string(i / 3);
    c.split = i / 3 < 30 ? "train" : "test";
    c.category = i / 3 < 30 ? "" : i % 2 ? "new" : "old";
    pairs.first.push_back(c);
    pairs.second.push_back(c);
    pairs.first_is_true.push_back(static_cast<int>(rng.Next() % 2));
  }
  return pairs;
}

ActivationSet Sides(const ContrastPairs& pairs, bool first_side) {
  ActivationSet set;
  for (int h = 0; h < 2; ++h) {
    Matrix a, b;
    PlantedPairs(pairs.first_is_true, 6, 2, /*truth=*/h == 1, 20 + h, &a, &b);
    set.hooks.push_back({"blocks." + std::to_string(h) + ".hook_resid_post", first_side ? a : b});
  }
  return set;
}

TEST(CcsSweep, ChoosesTheHookThatCarriesTruthWithoutLabels) {
  ContrastPairs pairs = SyntheticPairs();
  CcsOptions o;
  o.restarts = 3;
  o.steps = 300;
  CcsSweep s = SweepCcs(Sides(pairs, true), Sides(pairs, false), pairs, o).value();
  EXPECT_EQ(s.fit_pairs + s.validation_pairs, 90u);
  EXPECT_GT(s.validation_pairs, 0u);
  EXPECT_EQ(s.test_pairs, 30u);
  ASSERT_EQ(s.hooks.size(), 2u);
  EXPECT_EQ(s.chosen, 1u);  // noise alone is neither consistent nor confident on held-out pairs
  EXPECT_LT(s.hooks[1].validation_loss, s.hooks[0].validation_loss);
  const CcsAccuracy& t = s.hooks[1].test.all;
  EXPECT_GT(t.value, 0.95);
  EXPECT_EQ(t.pairs, 30u);
  EXPECT_LE(t.ci.low, t.value);
  EXPECT_GE(t.ci.high, t.value);
  EXPECT_LT(s.hooks[0].test.all.value, 0.8);  // the noise hook is near chance
  const auto& by = s.hooks[1].test.by_category;
  ASSERT_EQ(by.size(), 2u);
  EXPECT_EQ(by.at("new").pairs + by.at("old").pairs, 30u);
  // As found and with the sign from the train labels agree or are mirror images.
  const double as_found = s.hooks[1].test_as_found.value;
  EXPECT_TRUE(std::abs(as_found - t.value) < 1e-12 || std::abs(1 - as_found - t.value) < 1e-12);
}

TEST(CcsSweep, RefusesDataItCannotSplit) {
  ContrastPairs pairs = SyntheticPairs();
  ContrastPairs no_test = pairs;
  for (auto* side : {&no_test.first, &no_test.second}) {
    for (LabelledConversation& c : *side) c.split = "train";
  }
  auto r = SweepCcs(Sides(no_test, true), Sides(no_test, false), no_test);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("test pairs (0)"), std::string::npos) << r.status().message();
  ActivationSet short_side = Sides(pairs, false);
  short_side.hooks[0].values.rows -= 1;
  short_side.hooks[0].values.data.resize(short_side.hooks[0].values.data.size() - 6);
  EXPECT_FALSE(SweepCcs(Sides(pairs, true), short_side, pairs).ok());
}

TEST(Ccs, JointNormalisationDoesNotDependOnThePairsOrder) {
  Rng rng(5);
  std::vector<int> first_true;
  for (int i = 0; i < 120; ++i) first_true.push_back(static_cast<int>(rng.Next() % 2));
  Matrix a, b;
  PlantedPairs(first_true, 6, 0.3, true, 6, &a, &b);  // a weak axis: some pairs are borderline
  // The same pairs with every third one the other way round.
  Matrix a2 = a, b2 = b;
  std::vector<int> first_true2 = first_true;
  for (int64_t i = 0; i < a.rows; i += 3) {
    std::copy(b.Row(i), b.Row(i) + b.cols, a2.data.begin() + i * a.cols);
    std::copy(a.Row(i), a.Row(i) + a.cols, b2.data.begin() + i * a.cols);
    first_true2[static_cast<size_t>(i)] = 1 - first_true[static_cast<size_t>(i)];
  }
  CcsOptions o;
  o.restarts = 2;
  o.steps = 300;
  o.l2 = 0.01;
  const double acc = PairAccuracy(TrainCcs(a, b, o).value().PredictFirstTrue(a, b), first_true);
  const double acc2 = PairAccuracy(TrainCcs(a2, b2, o).value().PredictFirstTrue(a2, b2), first_true2);
  EXPECT_NEAR(std::max(acc, 1 - acc), std::max(acc2, 1 - acc2), 1e-9);
}

TEST(Ccs, PerSideNormalisationRemovesTheForm) {
  // Every first side says "Yes" (a large offset on axis 1), every second "No": consistent and
  // confident along the form alone. Normalised per side, only the truth axis is left.
  Rng rng(7);
  std::vector<int> first_true;
  for (int i = 0; i < 200; ++i) first_true.push_back(static_cast<int>(rng.Next() % 2));
  Matrix a, b;
  PlantedPairs(first_true, 6, 1, true, 8, &a, &b);
  for (int64_t i = 0; i < a.rows; ++i) {
    a.data[static_cast<size_t>(i * a.cols + 1)] += 5;
    b.data[static_cast<size_t>(i * b.cols + 1)] -= 5;
  }
  CcsOptions o;
  o.restarts = 3;
  o.steps = 300;
  o.per_side = true;
  const double acc = PairAccuracy(TrainCcs(a, b, o).value().PredictFirstTrue(a, b), first_true);
  EXPECT_GT(std::max(acc, 1 - acc), 0.95);
}

TEST(CcsSweep, OwnAnswerBaselineScoresTheLargerMargin) {
  ContrastPairs pairs = SyntheticPairs();
  std::vector<double> first(pairs.size()), second(pairs.size());
  for (size_t i = 0; i < pairs.size(); ++i) {
    // Right on every test pair except those in category "new".
    const bool right = pairs.first[i].category != "new";
    const bool first_larger = (pairs.first_is_true[i] == 1) == right;
    first[i] = first_larger ? 2 : -1;
    second[i] = first_larger ? -1 : 2;
  }
  PairTestAccuracy a = OwnAnswerAccuracy(first, second, pairs).value();
  EXPECT_EQ(a.all.pairs, 30u);
  EXPECT_DOUBLE_EQ(a.by_category.at("old").value, 1.0);
  EXPECT_DOUBLE_EQ(a.by_category.at("new").value, 0.0);
  EXPECT_DOUBLE_EQ(a.all.value, static_cast<double>(a.by_category.at("old").pairs) / 30);
  first.pop_back();
  EXPECT_FALSE(OwnAnswerAccuracy(first, second, pairs).ok());  // a missing margin is an error, not a guess
}

}  // namespace
}  // namespace warden::interp
