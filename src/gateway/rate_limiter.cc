#include "gateway/rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <iterator>

namespace warden::gateway {

int RateLimiter::Take(const std::string& who, double rate, double now) {
  if (rate <= 0) return 0;
  std::lock_guard<std::mutex> lock(mu_);
  // Forget callers whose bucket has refilled completely (a minute idle at most): they would start
  // full anyway, and the map stays the size of the recent callers.
  if (++takes_ % 1024 == 0) {
    for (auto i = buckets_.begin(); i != buckets_.end();) i = now - i->second.updated > 60 ? buckets_.erase(i) : std::next(i);
  }
  auto [it, fresh] = buckets_.try_emplace(who);
  Bucket& b = it->second;
  if (fresh) b.tokens = rate, b.updated = now;
  b.tokens = std::min(rate, b.tokens + (now - b.updated) * rate / 60.0);
  b.updated = now;
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return 0;
  }
  return std::max(1, static_cast<int>(std::ceil((1 - b.tokens) * 60.0 / rate)));
}

}  // namespace warden::gateway
