// train_bench: training throughput (tokens/s) and the fraction of the machine's fp32 matmul
// peak it reaches.
//
// The baseline is measured in the same run: the best of several 2048 x 2048 x 2048 fp32
// torch::mm products at the same thread count (2 * n^3 FLOPs each). Training FLOP/s is
// tokens/s x TrainingFlopsPerToken (6 x parameters + 6 x layers x seq_len x d_model, see
// warden/engine/train.h), so the ratio is "model FLOPs utilisation" against torch's own gemm.
//
// Models: a random-init Llama (d_model 256, 4 layers, vocab 4096) and stories260K's shape
// (read from ../shared when present, else its known hyper-parameters), seq_len 256, batch 8,
// padded batches of full rows, from scratch. The first 2 steps are warm-up and not counted.
//
// Usage: train_bench [--steps N] [--threads T] [--shared DIR]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "engine/torch_pch.h"
#include "warden/engine/blas_kernel.h"
#include "warden/engine/torch/model.h"
#include "warden/engine/train.h"

using namespace warden::engine;
using Clock = std::chrono::steady_clock;

namespace {

double MatmulPeakFlops() {
  const int64_t n = 2048;
  torch::manual_seed(0);
  torch::Tensor a = torch::randn({n, n}), b = torch::randn({n, n});
  torch::mm(a, b);  // warm-up: thread pool, caches
  double best = 1e30;
  for (int rep = 0; rep < 5; ++rep) {
    auto t0 = Clock::now();
    torch::Tensor c = torch::mm(a, b);
    best = std::min(best, std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return 2.0 * n * n * n / best;
}

// The tiny zoo's organisms (organisms::BuiltinRecipe("tiny")): d_model 128, 4 layers, vocab 1024.
ModelConfig OrganismTiny() {
  ModelConfig c;
  c.vocab_size = 1024, c.d_model = 128, c.n_layers = 4, c.n_heads = 4, c.n_kv_heads = 4;
  c.d_head = 32, c.d_mlp = 384, c.n_ctx = 256, c.tied_embeddings = true;
  return c;
}

ModelConfig SmallLlama() {
  ModelConfig c;
  c.vocab_size = 4096, c.d_model = 256, c.n_layers = 4, c.n_heads = 8, c.n_kv_heads = 8;
  c.d_head = 32, c.d_mlp = 688, c.n_ctx = 256;
  return c;
}

ModelConfig StoriesShape(const std::string& shared) {
  auto m = Model::Load(shared + "/models/stories260K/stories260K.bin");
  if (m.ok()) return (*m)->config();
  std::fprintf(stderr, "stories260K not found (%s); using its known shape\n", m.status().ToString().c_str());
  ModelConfig c;
  c.vocab_size = 512, c.d_model = 64, c.n_layers = 5, c.n_heads = 8, c.n_kv_heads = 4;
  c.d_head = 8, c.d_mlp = 172, c.n_ctx = 512, c.tied_embeddings = true;
  return c;
}

// Median tokens/s over the counted steps.
double TrainTokensPerSecond(const ModelConfig& c, int64_t steps, int threads) {
  TrainOptions o;
  o.steps = steps + 2, o.batch_size = 8, o.seq_len = 256, o.lr = 1e-3, o.warmup_steps = 1;
  o.threads = threads;
  std::vector<TrainExample> data;
  for (int i = 0; i < 16; ++i) {
    TrainExample ex;
    for (int t = 0; t < o.seq_len; ++t) ex.tokens.push_back((i * 7919 + t * 104729) % c.vocab_size);
    data.push_back(ex);
  }
  std::vector<double> tps;
  auto r = TrainFromScratch(c, data, {}, o, [&](const TrainProgress& p) {
    if (p.step > 2) tps.push_back(p.tokens_per_s);
  });
  if (!r.ok()) {
    std::fprintf(stderr, "train_bench: %s\n", r.status().ToString().c_str());
    return 0;
  }
  std::sort(tps.begin(), tps.end());
  return tps[tps.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  warden::engine::ReexecWithBestBlasCore(argv);  // see blas_kernel.h
  int64_t steps = 8;
  int threads = 2;
  std::string shared = WARDEN_SHARED_DIR;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--steps") == 0 && i + 1 < argc) steps = std::max(1, std::atoi(argv[++i]));
    else if (std::strcmp(argv[i], "--threads") == 0 && i + 1 < argc) threads = std::max(1, std::atoi(argv[++i]));
    else if (std::strcmp(argv[i], "--shared") == 0 && i + 1 < argc) shared = argv[++i];
    else {
      std::fprintf(stderr, "usage: train_bench [--steps N] [--threads T] [--shared DIR]\n");
      return 2;
    }
  }
  torch::set_num_threads(threads);
  const double peak = MatmulPeakFlops();
  std::printf("train_bench: %d threads, median of %lld steps (batch 8 x 256 tokens)\n", threads,
              static_cast<long long>(steps));
  std::printf("baseline: fp32 torch::mm 2048^3 peak = %.2f GFLOP/s (OpenBLAS kernel %s)\n", peak / 1e9,
              warden::engine::BlasCoreName().c_str());
  std::printf("%-14s %10s %12s %12s %12s %9s\n", "model", "params", "tokens/s", "FLOP/token",
              "GFLOP/s", "of peak");
  for (const auto& [name, config] : {std::pair<std::string, ModelConfig>{"llama-d256-L4", SmallLlama()},
                                     {"organism-tiny", OrganismTiny()},
                                     {"stories260K", StoriesShape(shared)}}) {
    const double tps = TrainTokensPerSecond(config, steps, threads);
    const double per_token = TrainingFlopsPerToken(config, 256);
    std::printf("%-14s %9.2fM %12.0f %12.3g %12.2f %8.1f%%\n", name.c_str(),
                config.ParameterCount() / 1e6, tps, per_token, tps * per_token / 1e9,
                100.0 * tps * per_token / peak);
  }
  return 0;
}
