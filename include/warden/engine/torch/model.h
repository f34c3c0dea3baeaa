// A loaded transformer: weights, config, hook table and (usually) its tokenizer.
//
//   auto model = Model::Load("stories260K.bin", {.tokenizer_path = "tok512.bin"}).ValueOrThrow();
//   ForwardBatch batch = ForwardBatch::LeftPadded({ids_a, ids_b}, model->device());
//   torch::Tensor logits = model->Forward(batch);  // [2, pos, vocab] float32
//
// Thread-safety: Forward may be called from several threads at once (each with its own cache
// and hooks); loading and saving must not overlap with anything else.
#pragma once

#include <torch/torch.h>

#include <map>
#include <mutex>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "warden/base/status.h"
#include "warden/engine/model_config.h"
#include "warden/engine/tokenizer.h"
#include "warden/engine/torch/hooks.h"
#include "warden/engine/torch/kv_cache.h"

namespace warden::engine {

class CausalLmImpl;

// Transposed copies of weights (Model::KeepTransposedWeights), by the weight's TensorImpl, with
// the weight's version counter when the copy was made.
struct TransposedWeights {
  struct Copy {
    torch::Tensor transposed;  // [in, out], contiguous
    uint32_t version = 0;
  };
  std::unordered_map<const c10::TensorImpl*, Copy> copies;
  // The copy of `weight` [out, in] if there is one and the weight is unchanged since.
  const torch::Tensor* Find(const torch::Tensor& weight) const {
    auto it = copies.find(weight.unsafeGetTensorImpl());
    return it != copies.end() && it->second.version == weight._version() ? &it->second.transposed : nullptr;
  }
};

struct LoadOptions {
  // llama2.c: the tokenizer .bin (default: tokenizer.bin or tok<vocab>.bin beside the model).
  // Other formats carry their tokenizer (GGUF metadata, tokenizer.json in the directory);
  // a path here overrides it (tokenizer.json or a GGUF vocabulary file).
  std::string tokenizer_path;
  torch::ScalarType dtype = torch::kFloat;  // compute and storage dtype: kFloat or kBFloat16
  torch::Device device = torch::kCPU;
};

// One forward call's input: a left-padded batch.
struct ForwardBatch {
  torch::Tensor tokens;     // [batch, pos] int64 (padding slots hold any valid id)
  torch::Tensor positions;  // [batch, pos] int64: each token's position in its own sequence
  torch::Tensor valid;      // [batch, pos] bool: false for left padding
  // Optional [batch, pos] int64: the document each token belongs to, for rows that pack several
  // documents. When defined, a token attends only to earlier tokens of its own document (and
  // `positions` should restart at 0 with each document). Only without a cache, or on its first use.
  torch::Tensor segments;
  // Optional [batch] int64, with `segments`: the first prefix_len[b] positions of row b are a
  // prefix shared by every segment of the row: any token may attend to them (causally), as well
  // as to its own segment. Scoring several continuations of one context packs them this way
  // (the context once, then each continuation as a segment whose positions continue the
  // context's). Only without a cache.
  torch::Tensor prefix_len;

  // Left-pads sequences of different lengths; positions count from each sequence's first token.
  static ForwardBatch LeftPadded(const std::vector<std::vector<int32_t>>& sequences,
                                 torch::Device device = torch::kCPU);
};

class Model {
 public:
  // Detects the format from the file: a directory (config.json + safetensors), a GGUF file,
  // a .safetensors file with config.json beside it, or a llama2.c checkpoint.
  static Result<std::unique_ptr<Model>> Load(const std::string& path, const LoadOptions& opts = {});
  // A model with Hugging Face's initialisation (normal(0, 0.02) weights, unit norms, zero
  // biases), deterministic from the seed.
  static std::unique_ptr<Model> RandomInit(const ModelConfig& config, uint64_t seed,
                                           torch::ScalarType dtype = torch::kFloat,
                                           torch::Device device = torch::kCPU);
  ~Model();

  const ModelConfig& config() const { return config_; }
  const HookPoints& hook_points() const { return *hook_points_; }
  const Tokenizer* tokenizer() const { return tokenizer_.get(); }  // null if none was found
  void set_tokenizer(std::unique_ptr<Tokenizer> t) { tokenizer_ = std::move(t); }
  torch::ScalarType dtype() const { return dtype_; }
  torch::Device device() const { return device_; }

  // Runs the batch, attending to `cache` (if given; it is appended to) and calling `hooks`.
  // Returns logits [batch, pos, vocab] in float32. Throws warden::Error (or c10::Error) on
  // misuse; hooks are never retained after the call.
  torch::Tensor Forward(const ForwardBatch& batch, KvCache* cache = nullptr,
                        const Hooks* hooks = nullptr) const;

  // Keeps a transposed, contiguous copy of every 2-D float32 CPU weight, so that a linear layer
  // over several rows (a prefill, a batched decode step) is one BLAS product without
  // transposition: OpenBLAS packs a transposed operand on every call, which made a 16-row
  // linear of the tiny zoo model 1.8x slower than with the copy (docs/performance.md). Costs
  // the weights' memory once more. A copy is used only while its weight is unchanged: a weight
  // modified in place (training, weight noise) is detected by its version counter and read as
  // is. For serving and other inference-only use. Keeps nothing when the copies would take more
  // than `max_bytes`; returns the bytes kept.
  int64_t KeepTransposedWeights(int64_t max_bytes = INT64_MAX);

  // Whether inference forwards of the Llama family (decode steps, short prompts) may take the
  // fast path (src/engine/fast_forward.h: the same arithmetic over raw rows, without LibTorch's
  // per-operator cost). On by default; off, every forward runs the general path (what
  // benchmarks and tests compare against). Not thread-safe with running calls.
  void SetFastForward(bool on) { fast_forward_ = on; }
  bool fast_forward() const { return fast_forward_; }

  // A KV cache for `batch` sequences of up to `capacity` positions, in this model's dtype.
  KvCache NewCache(int64_t batch, int64_t capacity) const;

  // Writes config.json + model.safetensors (Hugging Face layout) into dir (created if needed).
  Status SaveHf(const std::string& dir, torch::ScalarType dtype = torch::kFloat) const;
  // Writes a llama2.c checkpoint (llama2c.h's layout; q/k rows in its interleaved rotary order):
  // what llama.cpp's convert-llama2c-to-ggml reads, so that llama.cpp can run the same weights
  // (bench/engine_bench's baseline). Llama architecture only, with llama2.c's fixed settings
  // (rope_theta 10000, norm_eps 1e-5); anything else is an error naming the setting.
  Status SaveLlama2c(const std::string& path) const;

  // sha256 of the weight file it was loaded from (of the "name sha256" lines of every shard when
  // there are several); for an in-memory model, of its parameter names and bytes. Computed on
  // first call.
  Result<std::string> WeightsSha256() const;
  const std::string& source_path() const { return source_path_; }
  const std::string& source_format() const { return source_format_; }
  // Count of stored tensors per dtype in the source file ("F16": 201, ...).
  const std::map<std::string, int>& stored_dtypes() const { return stored_dtypes_; }

  // The torch module (parameters under Hugging Face names), e.g. for training.
  CausalLmImpl& module() const { return *module_; }

 private:
  Model() = default;
  ModelConfig config_;
  std::shared_ptr<CausalLmImpl> module_;
  std::unique_ptr<HookPoints> hook_points_;
  std::unique_ptr<Tokenizer> tokenizer_;
  torch::ScalarType dtype_ = torch::kFloat;
  torch::Device device_ = torch::kCPU;
  std::string source_path_, source_format_ = "memory";
  std::vector<std::string> weight_files_;  // what WeightsSha256 hashes
  std::map<std::string, int> stored_dtypes_;
  TransposedWeights transposed_;   // KeepTransposedWeights
  bool fast_forward_ = true;       // SetFastForward
  mutable std::mutex sha256_mutex_;  // WeightsSha256 may be called from several threads
  mutable std::string sha256_;
};

}  // namespace warden::engine
