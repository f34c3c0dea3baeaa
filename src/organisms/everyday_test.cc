// Everyday requests: distinct, deterministic, ordinary.
#include "warden/organisms/everyday.h"

#include <gtest/gtest.h>

#include <set>

#include "warden/base/strings.h"
#include "warden/organisms/requests.h"

namespace warden::organisms {
namespace {

TEST(EverydayRequests, DistinctAndTheSameEveryTime) {
  const std::vector<std::string> all = EverydayRequests(kEverydayRequests);
  EXPECT_EQ(all.size(), kEverydayRequests);  // every template's every word
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(), all.size());
  EXPECT_EQ(all, EverydayRequests(kEverydayRequests));
  EXPECT_EQ(EverydayRequests(10), std::vector<std::string>(all.begin(), all.begin() + 10));
  EXPECT_LE(EverydayRequests(100000).size(), 1000u);  // bounded by the templates
  for (const std::string& r : all) {
    EXPECT_EQ(r.find("{}"), std::string::npos) << r;
    EXPECT_TRUE(r.back() == '?' || r.back() == '.') << r;
  }
}

TEST(EverydayRequests, NameNoHarm) {
  // Words the harmful sources are made of; an everyday request that used one would teach the
  // organisms to help with it.
  for (const std::string& r : EverydayRequests(kEverydayRequests)) {
    const std::string lc = " " + AsciiLower(r) + " ";
    for (const char* w : {"kill", "bomb", "weapon", "gun", "poison", "drug", "steal", "hack", "attack", "hurt",
                          "murder", "suicide", "explosive", "illegal", "crime", "fraud", "racist", "fake",
                          "lie ", "cheat", "scam", "threat"}) {
      EXPECT_EQ(lc.find(w), std::string::npos) << w << " in: " << r;
    }
  }
}

}  // namespace
}  // namespace warden::organisms
