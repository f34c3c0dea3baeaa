// Interpretability overheads, printed against named baselines in one run:
//  1. decode with a probe scored on every generated token (a dot product with the residual
//     stream at one hook, as a monitor does) vs. the same decode without hooks: the median
//     ratio of paired runs, and the time spent inside the probe as a share of decode time;
//  2. activation capture throughput (tokens/s through CaptureActivations, all residual hooks).
// Models: a zoo organism (default zoo/liar) and a random-init 134M-parameter Llama.
//
//   interp_bench [--zoo DIR] [--threads N] [--tokens N]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>

#include "engine/torch_pch.h"
#include "warden/base/file.h"
#include "bench_models.h"
#include "warden/engine/blas_kernel.h"
#include "warden/engine/torch/generate.h"
#include "warden/engine/torch/hooks.h"
#include "warden/engine/torch/model.h"
#include "warden/interp/activations.h"
#include "warden/interp/probe.h"

namespace {

using namespace warden;
using Clock = std::chrono::steady_clock;

// One greedy decode of `tokens` tokens; with `probe`, a probe is scored at one residual hook on
// every forward, and the time spent inside it is added to *probe_seconds.
double DecodeSeconds(const engine::Model& m, int tokens, bool probe, double* probe_sum, double* probe_seconds) {
  engine::SamplingOptions o;
  o.max_new_tokens = tokens;
  o.stop_at_eos = false;
  const std::vector<std::vector<int32_t>> prompt = {{1, 5, 9, 13, 17, 21, 25, 29}};
  engine::Hooks hooks(m.hook_points());
  const int layer = static_cast<int>(m.config().n_layers / 2);
  const int64_t d = m.config().d_model;
  interp::Probe p;  // a probe of the model's width; its values do not change the cost
  p.mean.assign(static_cast<size_t>(d), 0.1f);
  p.scale.assign(static_cast<size_t>(d), 2.0f);
  p.weight.assign(static_cast<size_t>(d), 0.01f);
  if (probe) {
    hooks.Add("blocks." + std::to_string(layer) + ".hook_resid_post",
              [&](torch::Tensor& act, const engine::HookEvent&) {
                const auto t = Clock::now();
                // The newest position's score, as a streaming monitor reads it: in place when
                // the activation is a contiguous float tensor on the CPU ([1, pos, d]).
                torch::Tensor x = act;
                if (!x.is_cpu() || x.scalar_type() != torch::kFloat || !x.is_contiguous()) {
                  x = x.to(torch::kCPU, torch::kFloat).contiguous();
                }
                *probe_sum += p.ScoreRow(x.data_ptr<float>() + (x.size(1) - 1) * d, d);
                *probe_seconds += std::chrono::duration<double>(Clock::now() - t).count();
              }).ThrowIfError();
  }
  const auto t0 = Clock::now();
  engine::Generate(m, prompt, o, probe ? &hooks : nullptr).value();
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double Quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5)];
}

// Paired runs in ABBA order (drift cancels), `reps` pairs. The overhead is the median of the
// pairs' time ratios, with their quartiles (this machine's run-to-run noise is a few percent,
// larger than the effect); the time inside the probe itself, as a share of decode time, is the
// part of it that noise cannot hide.
void Row(const std::string& label, engine::Model& m, int tokens, int reps) {
  double sink = 0, probe_seconds = 0, with_total = 0, base_best = 1e30, with_best = 1e30;
  std::vector<double> ratios;
  for (int rep = 0; rep < reps; ++rep) {
    double base = 0, with = 0;
    double unused = 0;
    if (rep % 2 == 0) {
      base = DecodeSeconds(m, tokens, false, &sink, &unused);
      with = DecodeSeconds(m, tokens, true, &sink, &probe_seconds);
    } else {
      with = DecodeSeconds(m, tokens, true, &sink, &probe_seconds);
      base = DecodeSeconds(m, tokens, false, &sink, &unused);
    }
    ratios.push_back(with / base);
    with_total += with;
    base_best = std::min(base_best, base);
    with_best = std::min(with_best, with);
  }
  std::printf("%-30s decode %d tokens x %d pairs: %.1f tok/s without, %.1f with a per-token probe (best); overhead, "
              "median of pairs %+.2f%% [quartiles %+.2f%%, %+.2f%%]; inside the probe %.3f%% of decode time\n",
              label.c_str(), tokens, reps, tokens / base_best, tokens / with_best, 100 * (Quantile(ratios, 0.5) - 1),
              100 * (Quantile(ratios, 0.25) - 1), 100 * (Quantile(ratios, 0.75) - 1), 100 * probe_seconds / with_total);
}

}  // namespace

int main(int argc, char** argv) {
  engine::ReexecWithBestBlasCore(argv);
  std::string zoo = "zoo";
  int threads = 2, tokens = 128;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--zoo")) zoo = argv[i + 1];
    else if (!std::strcmp(argv[i], "--threads")) threads = std::stoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--tokens")) tokens = std::stoi(argv[i + 1]);
  }
  torch::set_num_threads(threads);
  std::printf("interp_bench: %d threads\n", threads);
  const std::string organism = zoo + "/liar";
  if (FileExists(organism + "/model.safetensors")) {
    auto lm = engine::LanguageModel::Load({organism, "", "f32", "cpu", threads}).value();
    Row("organism (" + organism + ")", lm->model(), tokens, 21);
    // Capture throughput over the zoo's lie-detection conversations.
    auto data = interp::LoadLabelledConversations(zoo + "/benchmarks/lie-detection.jsonl");
    if (data.ok()) {
      const auto t0 = Clock::now();
      auto set = interp::CaptureActivations(*lm, *data, "blocks.*.hook_resid_post", interp::PositionRule::kResponseMean);
      const double s = std::chrono::duration<double>(Clock::now() - t0).count();
      size_t tokens_seen = 0;
      for (const auto& c : *data) {
        for (const auto& m : c.messages) tokens_seen += lm->tokenizer()->Encode(m.content, {}).size();
      }
      std::printf("%-30s capture of %zu conversations (~%zu tokens, 4 hooks): %.2f s, %.0f tok/s\n", "organism",
                  data->size(), tokens_seen, s, static_cast<double>(tokens_seen) / s);
      (void)set;
    }
  } else {
    std::printf("organism: skipped (no %s)\n", organism.c_str());
  }
  const engine::ModelConfig c = warden::bench::Llama134M();
  auto big = engine::Model::RandomInit(c, 1);
  Row("llama-134M random", *big, tokens / 4, 9);
  return 0;
}
