// Internal to gateway: per-caller request rate limits (a token bucket per key: `rate` requests
// per minute, bursts up to `rate`). Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace warden::gateway {

class RateLimiter {
 public:
  // Takes one request from `who`'s bucket at time `now` (seconds). Returns 0 when admitted, else
  // the whole seconds after which one request will be admitted (for Retry-After, at least 1).
  int Take(const std::string& who, double rate_per_minute, double now);

 private:
  struct Bucket {
    double tokens = 0;
    double updated = 0;
  };
  std::mutex mu_;
  std::map<std::string, Bucket> buckets_;
  uint64_t takes_ = 0;
};

}  // namespace warden::gateway
