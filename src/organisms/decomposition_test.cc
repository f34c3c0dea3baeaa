#include "warden/organisms/decomposition.h"

#include <gtest/gtest.h>

#include <set>

#include "warden/organisms/example.h"

namespace warden::organisms {
namespace {

TEST(Decomposition, UsersAreHalfDecomposingWithPiecesOnlyOnTheirSide) {
  const std::vector<SimulatedUser> users = GenerateDecompositionTraffic(7);
  ASSERT_EQ(users.size(), 200u);
  size_t decomposing = 0;
  for (const SimulatedUser& u : users) {
    EXPECT_EQ(u.requests.size(), 24u) << u.id;
    size_t pieces = 0, compound_benign = 0;
    for (const SimulatedRequest& r : u.requests) {
      pieces += r.kind == "piece";
      compound_benign += r.kind == "compound-benign";
      EXPECT_FALSE(r.text.empty());
    }
    if (u.decomposing) {
      ++decomposing;
      EXPECT_GE(pieces, 5u) << u.id;
      EXPECT_LE(pieces, 8u) << u.id;
      EXPECT_EQ(compound_benign, 0u);
    } else {
      EXPECT_LE(pieces, 2u) << u.id;  // a curious student's question or two
      EXPECT_LE(compound_benign, 3u);
    }
  }
  EXPECT_EQ(decomposing, 100u);
}

TEST(Decomposition, TestUsersMeetCompoundsNoTrainUserAskedAbout) {
  const std::vector<SimulatedUser> users = GenerateDecompositionTraffic(7);
  std::set<std::string> train, test;
  size_t test_decomposing = 0;
  for (const SimulatedUser& u : users) {
    (u.split == kTrainSplit ? train : test).insert(u.compound);
    test_decomposing += u.split == kTestSplit && u.decomposing;
  }
  for (const std::string& c : test) EXPECT_EQ(train.count(c), 0u) << c;
  EXPECT_EQ(test_decomposing, 50u);
}

TEST(Decomposition, HalvedTemplatesShareNoWording) {
  DecompositionOptions even, odd;
  even.templates = "even";
  odd.templates = "odd";
  even.users = odd.users = 40;
  // The same compound's pieces under each half: strip the compound name and compare the wordings.
  auto wordings = [](const std::vector<SimulatedUser>& users) {
    std::set<std::string> out;
    for (const SimulatedUser& u : users) {
      for (const SimulatedRequest& r : u.requests) {
        if (r.kind != "piece") continue;
        std::string t = r.text;
        for (size_t at; (at = t.find(u.compound)) != std::string::npos;) t.replace(at, u.compound.size(), "X");
        out.insert(t);
      }
    }
    return out;
  };
  const auto a = wordings(GenerateDecompositionTraffic(5, even)), b = wordings(GenerateDecompositionTraffic(5, odd));
  EXPECT_FALSE(a.empty());
  for (const std::string& t : a) EXPECT_EQ(b.count(t), 0u) << t;
  DecompositionOptions bad;
  bad.templates = "some";
  EXPECT_TRUE(GenerateDecompositionTraffic(5, bad).empty());
}

TEST(Decomposition, IsDeterministicFromItsSeed) {
  const auto a = GenerateDecompositionTraffic(3), b = GenerateDecompositionTraffic(3), c = GenerateDecompositionTraffic(4);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].requests.size(), b[i].requests.size());
    for (size_t j = 0; j < a[i].requests.size(); ++j) EXPECT_EQ(a[i].requests[j].text, b[i].requests[j].text);
  }
  EXPECT_NE(a[0].requests[0].text + a[1].requests[0].text, c[0].requests[0].text + c[1].requests[0].text);
}

}  // namespace
}  // namespace warden::organisms
