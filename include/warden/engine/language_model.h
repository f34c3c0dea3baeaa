// LanguageModel: the engine's torch-free seam. Code outside the ML modules (the CLI, and later
// evaluations and the gateway) loads, generates, scores and captures activations through this
// header and never sees a torch type. ML modules can reach the torch-facing Model through
// model() (include warden/engine/torch/model.h to use it).
//
// Thread-safety: Generate/Score/Capture may run concurrently; Load must finish first.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "warden/base/status.h"
#include "warden/engine/generation.h"
#include "warden/engine/model_config.h"
#include "warden/engine/tokenizer.h"

namespace warden::engine {

class Model;

struct LoadSpec {
  std::string path;       // GGUF file, Hugging Face directory, .safetensors, or llama2.c .bin
  std::string tokenizer;  // optional override (see LoadOptions in torch/model.h)
  std::string dtype = "f32";   // "f32" | "bf16"
  std::string device = "cpu";  // "cpu" | "cuda" (an error if LibTorch has no usable CUDA)
  int threads = 0;             // CPU threads for LibTorch; 0 leaves its default
};

struct HookInfo {
  std::string name;                // e.g. "blocks.0.attn.hook_q"
  std::vector<std::string> shape;  // e.g. {"batch", "pos", "8", "8"}
};

struct CapturedTensor {
  std::string name;
  std::vector<int64_t> shape;
};

class LanguageModel {
 public:
  static Result<std::unique_ptr<LanguageModel>> Load(const LoadSpec& spec);
  explicit LanguageModel(std::unique_ptr<Model> model);
  ~LanguageModel();

  const ModelConfig& config() const;
  const Tokenizer* tokenizer() const;  // null if the model came without one
  const std::string& format() const;   // "gguf" | "safetensors" | "llama2c" | "memory"
  const std::map<std::string, int>& stored_dtypes() const;
  Result<std::string> WeightsSha256() const;

  Result<std::vector<Generation>> Generate(const std::vector<std::vector<int32_t>>& prompts,
                                           const SamplingOptions& opts,
                                           const TokenCallback& on_token = {}) const;
  Result<std::vector<ContinuationScore>> Score(const std::vector<ScoreRequest>& requests,
                                               int64_t max_batch_tokens = 8192) const;

  // The hook points matching a pattern (exact names, globs, comma-separated), with shapes.
  Result<std::vector<HookInfo>> Hooks(const std::string& pattern) const;
  // Runs `ids` once and writes the activations of the matching hooks to a safetensors file,
  // float32, one tensor per hook named by the hook ([1, pos, ...]), with `metadata` plus the
  // model's sha256 and the token ids in the file's metadata.
  Result<std::vector<CapturedTensor>> CaptureToSafetensors(
      const std::vector<int32_t>& ids, const std::string& pattern, const std::string& out_path,
      std::map<std::string, std::string> metadata = {}) const;

  // Weight-noise injection, for sandbagging checks (Tice et al. 2024, arXiv:2412.01784): every
  // parameter tensor w becomes w0 + sigma * rms(w0) * N(0, 1) from a generator seeded with
  // `seed`, where w0 is the loaded weight; sigma 0 restores w0 exactly. The first call keeps a
  // copy of the weights (memory doubles). Not thread-safe: nothing else may run on the model
  // meanwhile. WeightsSha256 keeps naming the loaded file.
  Status SetWeightNoise(double relative_sigma, uint64_t seed);

  // Model::KeepTransposedWeights: float32 linears over several rows (prefills, batched decode)
  // about 1.8x faster for the weights' memory once more (nothing is kept when that would be
  // more than `max_bytes`; returns the bytes kept). For serving. Not thread-safe: call before
  // anything runs on the model.
  int64_t KeepTransposedWeights(int64_t max_bytes = INT64_MAX);

  // Activation steering: from now on every Generate and Score adds scale * vector to the hook's
  // activation at every position (vector broadcasts over the last axis: [d_model] on the
  // residual stream). Several may be active; ClearSteering removes them. The hook must exist
  // and the vector's length must match its last axis. Not thread-safe with running calls.
  Status AddSteering(const std::string& hook, std::vector<float> vector, double scale);
  void ClearSteering();

  Model& model() const { return *model_; }

 private:
  struct NoiseState;
  struct Steer {
    std::string hook;
    std::vector<float> vector;
    double scale;
  };
  std::unique_ptr<Model> model_;
  std::unique_ptr<NoiseState> noise_;
  std::vector<Steer> steering_;
};

}  // namespace warden::engine
