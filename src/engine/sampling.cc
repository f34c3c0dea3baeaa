// Token sampling: greedy, temperature, top-k, top-p, deterministic per (seed, row).
#include <algorithm>
#include <cmath>
#include <numeric>

#include "engine/transformer.h"
#include "warden/engine/torch/generate.h"

namespace warden::engine {
namespace {
uint64_t SplitMix64(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}
}  // namespace

TokenSampler::TokenSampler(const SamplingOptions& opts, uint64_t stream) : opts_(opts) {
  uint64_t s = opts.seed;
  state_ = SplitMix64(s) ^ (stream * 0xD1B54A32D192ED03ULL);
}

double TokenSampler::Uniform() { return static_cast<double>(SplitMix64(state_) >> 11) * 0x1.0p-53; }

int32_t TokenSampler::Sample(const float* logits, int64_t vocab) {
  if (opts_.temperature <= 0.0) {
    return static_cast<int32_t>(std::max_element(logits, logits + vocab) - logits);
  }
  std::vector<int32_t> ids(vocab);
  std::iota(ids.begin(), ids.end(), 0);
  auto by_logit = [&](int32_t a, int32_t b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); };
  int64_t keep = vocab;
  if (opts_.top_k > 0 && opts_.top_k < vocab) {
    keep = opts_.top_k;
    std::partial_sort(ids.begin(), ids.begin() + keep, ids.end(), by_logit);
  } else {
    std::sort(ids.begin(), ids.end(), by_logit);
  }
  std::vector<double> p(keep);
  double max_logit = logits[ids[0]], total = 0.0;
  for (int64_t i = 0; i < keep; ++i) {
    p[i] = std::exp((logits[ids[i]] - max_logit) / opts_.temperature);
    total += p[i];
  }
  if (opts_.top_p < 1.0) {
    double cum = 0.0;
    int64_t cut = keep;
    for (int64_t i = 0; i < keep; ++i) {
      cum += p[i] / total;
      if (cum >= opts_.top_p) {
        cut = i + 1;
        break;
      }
    }
    keep = cut;
    total = std::accumulate(p.begin(), p.begin() + keep, 0.0);
  }
  double u = Uniform() * total;
  for (int64_t i = 0; i < keep; ++i) {
    u -= p[i];
    if (u < 0) return ids[i];
  }
  return ids[keep - 1];
}

}  // namespace warden::engine
