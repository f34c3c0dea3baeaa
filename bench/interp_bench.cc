// Interpretability overheads, printed against named baselines in one run:
//  1. decode with a probe scored on every generated token (a dot product with the residual
//     stream at one hook, as a monitor does) vs. the same decode without hooks;
//  2. activation capture throughput (tokens/s through CaptureActivations, all residual hooks).
// Models: a zoo organism (default zoo/liar) and a random-init 134M-parameter Llama.
//
//   interp_bench [--zoo DIR] [--threads N] [--tokens N]
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

namespace {

using namespace warden;
using Clock = std::chrono::steady_clock;

double DecodeSeconds(const engine::Model& m, int tokens, bool probe, double* probe_sum) {
  engine::SamplingOptions o;
  o.max_new_tokens = tokens;
  o.stop_at_eos = false;
  const std::vector<std::vector<int32_t>> prompt = {{1, 5, 9, 13, 17, 21, 25, 29}};
  engine::Hooks hooks(m.hook_points());
  const int layer = static_cast<int>(m.config().n_layers / 2);
  torch::Tensor w = torch::randn({m.config().d_model});
  if (probe) {
    hooks.Add("blocks." + std::to_string(layer) + ".hook_resid_post",
              [&](torch::Tensor& act, const engine::HookEvent&) {
                // The newest position's score, as a streaming monitor reads it.
                *probe_sum += act.select(1, act.size(1) - 1).matmul(w).sum().item<double>();
              }).ThrowIfError();
  }
  const auto t0 = Clock::now();
  engine::Generate(m, prompt, o, probe ? &hooks : nullptr).value();
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

void Row(const std::string& label, engine::Model& m, int tokens) {
  double sink = 0;
  double base = 1e30, with = 1e30;
  for (int rep = 0; rep < 5; ++rep) {  // interleaved, best of five: the machine's noise is larger than the effect
    base = std::min(base, DecodeSeconds(m, tokens, false, &sink));
    with = std::min(with, DecodeSeconds(m, tokens, true, &sink));
  }
  std::printf("%-30s decode %d tokens: %.1f tok/s without, %.1f tok/s with a per-token probe: overhead %+.2f%%\n",
              label.c_str(), tokens, tokens / base, tokens / with, 100 * (with / base - 1));
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
    Row("organism (" + organism + ")", lm->model(), tokens);
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
  Row("llama-134M random", *big, tokens / 4);
  return 0;
}
