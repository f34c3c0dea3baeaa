// A small deterministic random number generator for synthetic data.
//
// Why not <random>'s distributions: std::uniform_int_distribution and friends are allowed to
// produce different numbers on different standard libraries, and warden promises the same bytes
// from the same seed everywhere. xoshiro256** (seeded through splitmix64) is fully specified,
// fast, and every derived operation below is written out here.
// Not for cryptography. Not thread-safe: one Rng per thread or stream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace warden {

// One step of splitmix64: advances *state and returns a well-mixed 64-bit value.
uint64_t SplitMix64(uint64_t* state);

// 64-bit FNV-1a of `bytes`: a stable hash for naming sub-streams (not for security).
uint64_t Fnv1a64(std::string_view bytes);

class Rng {
 public:
  explicit Rng(uint64_t seed);

  uint64_t Next();

  // Uniform in [0, n), without modulo bias. n must be > 0 (n == 0 returns 0).
  uint64_t Uniform(uint64_t n);

  // Uniform in [lo, hi] inclusive; requires lo <= hi.
  int64_t Range(int64_t lo, int64_t hi);

  // True with probability num/den.
  bool Chance(uint64_t num, uint64_t den) { return Uniform(den) < num; }

  // An independent generator for a named purpose: Fork("kb") from the same seed always gives the
  // same stream, and adding a new fork elsewhere does not shift the numbers of existing ones.
  Rng Fork(std::string_view label) const;

  template <class T>
  const T& Pick(const std::vector<T>& items) {
    return items[static_cast<size_t>(Uniform(items.size()))];
  }

  // Fisher-Yates with this generator's Uniform.
  template <class T>
  void Shuffle(std::vector<T>* items) {
    for (size_t i = items->size(); i > 1; --i) {
      std::swap((*items)[i - 1], (*items)[static_cast<size_t>(Uniform(i))]);
    }
  }

  uint64_t seed() const { return seed_; }

 private:
  uint64_t seed_;
  uint64_t s_[4];
};

}  // namespace warden
