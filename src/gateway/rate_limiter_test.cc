#include "gateway/rate_limiter.h"

#include <gtest/gtest.h>

namespace warden::gateway {
namespace {

TEST(RateLimiter, ABucketOfRatePerMinuteRefillsContinuouslyAndSaysWhenToRetry) {
  RateLimiter r;
  for (int i = 0; i < 6; ++i) EXPECT_EQ(r.Take("k", 6, 100.0), 0) << i;  // a burst of the whole rate
  EXPECT_EQ(r.Take("k", 6, 100.0), 10);   // one token per 10 s
  EXPECT_EQ(r.Take("k", 6, 105.0), 5);
  EXPECT_EQ(r.Take("k", 6, 110.0), 0);
  EXPECT_EQ(r.Take("other", 6, 110.0), 0);  // callers do not share buckets
  EXPECT_EQ(r.Take("k", 0, 110.0), 0);      // rate 0: no limit
}

TEST(RateLimiter, ForgettingIdleCallersChangesNoAnswer) {
  RateLimiter r;
  for (int i = 0; i < 2000; ++i) EXPECT_EQ(r.Take("caller" + std::to_string(i), 1, 0.0), 0);
  // Long idle: every bucket is full again, whether it was kept or forgotten.
  for (int i = 0; i < 2000; ++i) EXPECT_EQ(r.Take("caller" + std::to_string(i), 1, 1000.0), 0);
  EXPECT_EQ(r.Take("caller0", 1, 1000.0), 60);
}

}  // namespace
}  // namespace warden::gateway
