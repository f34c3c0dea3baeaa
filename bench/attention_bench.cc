// Attention for decode steps and short prompts: the fused loop (src/engine/fused_attention.cc)
// against the LibTorch arithmetic it replaces (matmul, scale, mask, softmax, matmul; the
// baseline), on shapes from the zoo's models and from a 134M Llama with long contexts. Prints
// the time of each and the ratio baseline / fused (above 1: the fused loop is faster), all in
// one run, so that CanFuseAttention's limits can be checked on the machine at hand.
//   build/release/bench/attention_bench [--threads N]
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "engine/transformer.h"

namespace {

using Clock = std::chrono::steady_clock;
using warden::engine::FusedAttention;

torch::Tensor Baseline(const torch::Tensor& q, const torch::Tensor& keys, const torch::Tensor& values,
                       const torch::Tensor& mask) {
  const int64_t B = q.size(0), T = q.size(1), H = q.size(2), Dh = q.size(3), KV = keys.size(1), G = H / KV;
  const int64_t S = keys.size(2);
  torch::Tensor qg = q.view({B, T, KV, G, Dh}).permute({0, 2, 3, 1, 4}).reshape({B, KV, G * T, Dh});
  torch::Tensor scores = torch::matmul(qg, keys.transpose(2, 3)).mul_(1.0 / std::sqrt(double(Dh))).view({B, H, T, S});
  if (mask.defined()) scores.add_(mask);
  torch::Tensor p = torch::softmax(scores, -1);
  return torch::matmul(p.reshape({B, KV, G * T, S}), values).view({B, KV, G, T, Dh}).permute({0, 3, 1, 2, 4}).reshape({B, T, H, Dh});
}

template <typename F>
double MedianMicros(F f) {
  for (int i = 0; i < 5; ++i) f();  // warm-up
  std::vector<double> t;
  for (int rep = 0; rep < 15; ++rep) {
    const auto t0 = Clock::now();
    int n = 0;
    do {
      f();
      ++n;
    } while (std::chrono::duration<double>(Clock::now() - t0).count() < 0.02);
    t.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / n);
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

struct Shape {
  const char* name;
  int64_t batch, pos, heads, kv_heads, d_head, slots;
};

}  // namespace

int main(int argc, char** argv) {
  int threads = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--threads")) threads = std::atoi(argv[i + 1]);
  }
  torch::set_num_threads(threads);
  torch::NoGradGuard no_grad;
  torch::manual_seed(1);
  const Shape shapes[] = {
      {"zoo decode, 1 row, 100 slots", 1, 1, 4, 4, 32, 100},
      {"zoo decode, 16 rows, 130 slots", 16, 1, 4, 4, 32, 130},
      {"zoo prefill, 1 row, 16 tokens", 1, 16, 4, 4, 32, 16},
      {"134M decode, 1 row, 512 slots", 1, 1, 12, 12, 64, 512},
      {"134M decode, 1 row, 2048 slots", 1, 1, 12, 12, 64, 2048},
      {"134M decode, 16 rows, 512 slots", 16, 1, 12, 12, 64, 512},
      {"GQA 8:2 decode, 4 rows, 1024 slots", 4, 1, 8, 2, 64, 1024},
  };
  std::printf("attention_bench: %d thread(s); baseline = LibTorch matmul/softmax/matmul\n", threads);
  std::printf("  %-36s %12s %12s %8s %10s\n", "shape", "baseline us", "fused us", "ratio", "max diff");
  for (const Shape& s : shapes) {
    torch::Tensor q = torch::randn({s.batch, s.pos, s.heads, s.d_head});
    torch::Tensor cache_k = torch::randn({s.batch, s.kv_heads, s.slots + 32, s.d_head});
    torch::Tensor cache_v = torch::randn({s.batch, s.kv_heads, s.slots + 32, s.d_head});
    torch::Tensor k = cache_k.narrow(2, 0, s.slots), v = cache_v.narrow(2, 0, s.slots);
    torch::Tensor mask;
    if (s.pos > 1) {  // causal over the prompt
      mask = torch::full({s.batch, 1, s.pos, s.slots}, -std::numeric_limits<float>::infinity()).triu(1 + s.slots - s.pos);
    }
    const double base = MedianMicros([&] { Baseline(q, k, v, mask); });
    const double fused = MedianMicros([&] { FusedAttention(q, k, v, mask); });
    const float diff = (Baseline(q, k, v, mask) - FusedAttention(q, k, v, mask)).abs().max().item<float>();
    std::printf("  %-36s %12.1f %12.1f %7.2fx %10.1e\n", s.name, base, fused, base / fused, diff);
  }
}
