// engine_bench: inference throughput of the engine, and the cost of hooks.
//
// For each model (stories260K from ../shared, and a random-init 134M-parameter Llama), dtype
// (f32, bf16) and thread count (1, 2) it measures, in one run:
//   prefill tokens/s        one 128-token prompt, batch 1
//   decode tokens/s         64 greedy steps after that prompt, batch 1, with the KV cache
//   batch-16 decode tok/s   64 steps of 16 sequences at once (16 x 64 tokens / time)
//   hooks (a)               decode with every hook site checked (one no-op subscriber on
//                           blocks.0.hook_resid_pre) vs. no Hooks object at all
//   hooks (b)               decode while capturing one residual hook (middle layer) to an
//                           ActivationCache vs. no hooks
// and prints ratios against the llama.cpp figures quoted in issue 2 (F32, same machine class:
// stories260K 1 thread ~9,500 prefill / ~7,500 decode tok/s; 134M 2 threads ~600 / ~75).
//
// Usage: engine_bench [--quick] [--shared DIR]
//   --quick: f32 only, fewer repetitions (for a smoke run).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "engine/torch_pch.h"
#include "bench_models.h"
#include "warden/engine/blas_kernel.h"
#include "warden/engine/torch/hooks.h"
#include "warden/engine/torch/model.h"

using namespace warden::engine;
using Clock = std::chrono::steady_clock;

namespace {

struct Timing {
  double prefill_tps = 0, decode_tps = 0, batch16_tps = 0;
  double hooks_idle_ratio = 0, hooks_capture_ratio = 0;
};

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

std::vector<int32_t> Prompt(int64_t n, int64_t vocab) {
  std::vector<int32_t> p(n);
  for (int64_t i = 0; i < n; ++i) p[i] = static_cast<int32_t>(1 + (i * 7919) % (vocab - 1));
  return p;
}

// Prefills `batch` copies of a 128-token prompt and returns the cache; times the prefill.
double Prefill(const Model& m, int64_t batch, KvCache& cache) {
  std::vector<std::vector<int32_t>> prompts(batch, Prompt(128, m.config().vocab_size));
  ForwardBatch fb = ForwardBatch::LeftPadded(prompts, m.device());
  auto t0 = Clock::now();
  m.Forward(fb, &cache);
  return Seconds(t0, Clock::now());
}

// Seconds for `steps` greedy decode steps of a batch (after a 128-token prefill).
double Decode(const Model& m, int64_t batch, int64_t steps, const Hooks* hooks) {
  KvCache cache = m.NewCache(batch, 128 + steps);
  Prefill(m, batch, cache);
  torch::Tensor tok = torch::full({batch, 1}, 5, torch::kLong);
  torch::Tensor valid = torch::ones({batch, 1}, torch::kBool);
  auto t0 = Clock::now();
  for (int64_t s = 0; s < steps; ++s) {
    torch::Tensor pos = torch::full({batch, 1}, 128 + s, torch::kLong);
    torch::Tensor logits = m.Forward({tok, pos, valid}, &cache, hooks);
    tok = logits.select(1, 0).argmax(-1, /*keepdim=*/true);
  }
  return Seconds(t0, Clock::now());
}

template <class F>
double Best(int reps, F f) {
  double best = 1e30;
  for (int i = 0; i < reps; ++i) best = std::min(best, f());
  return best;
}

Timing Measure(const Model& m, int reps) {
  c10::InferenceMode guard;
  Timing t;
  const int64_t steps = 64;
  Decode(m, 1, 8, nullptr);  // warm-up
  t.prefill_tps = 128.0 / Best(reps, [&] {
    KvCache cache = m.NewCache(1, 128);
    return Prefill(m, 1, cache);
  });
  double plain = Best(reps, [&] { return Decode(m, 1, steps, nullptr); });
  t.decode_tps = steps / plain;
  t.batch16_tps = 16.0 * steps / Best(reps, [&] { return Decode(m, 16, steps, nullptr); });

  Hooks idle(m.hook_points());
  idle.Add("blocks.0.hook_resid_pre", [](torch::Tensor&, const HookEvent&) {}).ThrowIfError();
  Hooks capture(m.hook_points());
  ActivationCache acts;
  std::string mid = "blocks." + std::to_string(m.config().n_layers / 2) + ".hook_resid_post";
  capture.Capture(mid, &acts).ThrowIfError();
  // Interleave the three variants so that drift in machine speed hits them alike.
  double base = 1e30, with_idle = 1e30, with_capture = 1e30;
  for (int i = 0; i < reps + 1; ++i) {
    base = std::min(base, Decode(m, 1, steps, nullptr));
    with_idle = std::min(with_idle, Decode(m, 1, steps, &idle));
    acts.Clear();
    with_capture = std::min(with_capture, Decode(m, 1, steps, &capture));
  }
  t.hooks_idle_ratio = with_idle / base;
  t.hooks_capture_ratio = with_capture / base;
  return t;
}

using warden::bench::Llama134M;

}  // namespace

int main(int argc, char** argv) {
  warden::engine::ReexecWithBestBlasCore(argv);  // see blas_kernel.h
  bool quick = false;
  std::string shared = WARDEN_SHARED_DIR;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) quick = true;
    else if (std::strcmp(argv[i], "--shared") == 0 && i + 1 < argc) shared = argv[++i];
    else {
      std::fprintf(stderr, "usage: engine_bench [--quick] [--shared DIR]\n");
      return 2;
    }
  }
  const int reps = quick ? 1 : 3;
  struct Baseline { double prefill, decode; int threads; };
  std::printf("engine_bench: best of %d; baseline = llama.cpp F32 figures quoted in issue 2\n", reps);
  std::printf("%-12s %-5s %3s | %10s %10s %12s %7s | %8s %8s | %9s %9s\n", "model", "dtype", "thr",
              "prefill/s", "decode/s", "b16 dec/s", "b16/1", "(a)hooks", "(b)capt", "vs lcpp pf",
              "vs lcpp dec");

  std::vector<std::pair<std::string, std::unique_ptr<Model>>> models;
  LoadOptions opts;
  opts.tokenizer_path = shared + "/models/stories260K/tok512.bin";
  auto stories = Model::Load(shared + "/models/stories260K/stories260K.bin", opts);
  if (stories.ok()) {
    models.emplace_back("stories260K", std::move(stories).value());
  } else {
    std::fprintf(stderr, "skipping stories260K: %s\n", stories.status().ToString().c_str());
  }
  models.emplace_back("llama-134M", Model::RandomInit(Llama134M(), 1));
  std::printf("(llama-134M: %.1fM parameters, random init)\n", Llama134M().ParameterCount() / 1e6);

  for (auto& [name, f32] : models) {
    Baseline base = name == "stories260K" ? Baseline{9500, 7500, 1} : Baseline{600, 75, 2};
    for (torch::ScalarType dtype : {torch::kFloat, torch::kBFloat16}) {
      if (quick && dtype != torch::kFloat) continue;
      std::unique_ptr<Model> converted;
      const Model* m = f32.get();
      if (dtype != torch::kFloat) {
        std::string dir = "/tmp/engine_bench_" + name;
        f32->SaveHf(dir, dtype).ThrowIfError();
        LoadOptions o;
        o.dtype = dtype;
        converted = Model::Load(dir, o).ValueOrThrow();
        m = converted.get();
      }
      for (int threads : {1, 2}) {
        torch::set_num_threads(threads);
        Timing t = Measure(*m, reps);
        bool comparable = dtype == torch::kFloat && threads == base.threads;
        char vs_pf[16] = "-", vs_dec[16] = "-";
        if (comparable) {
          std::snprintf(vs_pf, sizeof vs_pf, "%.2fx", t.prefill_tps / base.prefill);
          std::snprintf(vs_dec, sizeof vs_dec, "%.2fx", t.decode_tps / base.decode);
        }
        std::printf("%-12s %-5s %3d | %10.0f %10.1f %12.1f %6.2fx | %+7.1f%% %+7.1f%% | %9s %9s\n",
                    name.c_str(), dtype == torch::kFloat ? "f32" : "bf16", threads, t.prefill_tps,
                    t.decode_tps, t.batch16_tps, t.batch16_tps / t.decode_tps,
                    100 * (t.hooks_idle_ratio - 1), 100 * (t.hooks_capture_ratio - 1), vs_pf, vs_dec);
        std::fflush(stdout);
      }
    }
  }
  return 0;
}
