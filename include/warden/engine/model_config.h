// Hyper-parameters of a decoder-only transformer, from any of the formats warden reads.
// Torch-free.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "warden/base/status.h"

namespace warden::engine {

class GgufFile;

enum class Arch {
  kLlama,  // RMSNorm, RoPE, grouped-query attention, SwiGLU; tied or untied embeddings
  kQwen2,  // Llama plus biases on the q/k/v projections
  kGpt2,   // LayerNorm, learned positions, GELU (tanh approximation), fused biased projections
};
const char* ArchName(Arch a);  // "llama", "qwen2", "gpt2"
Result<Arch> ArchFromName(std::string_view name);

struct ModelConfig {
  Arch arch = Arch::kLlama;
  int64_t vocab_size = 0;
  int64_t d_model = 0;
  int64_t n_layers = 0;
  int64_t n_heads = 0;
  int64_t n_kv_heads = 0;  // == n_heads without grouped-query attention
  int64_t d_head = 0;      // usually d_model / n_heads
  int64_t d_mlp = 0;       // hidden size of the MLP
  int64_t n_ctx = 0;       // maximum positions
  double norm_eps = 1e-5;
  double rope_theta = 10000.0;  // rotary models only
  bool tied_embeddings = false;  // unembedding reuses the token embedding matrix
  int64_t bos_token_id = -1;     // -1: unknown
  int64_t eos_token_id = -1;

  // Checks every field is positive and consistent (heads divide d_model, kv heads divide heads,
  // sizes below sanity caps so a corrupt file cannot request terabytes). Error names the field.
  Status Validate() const;

  int64_t ParameterCount() const;  // including embeddings; tied counted once

  // Hugging Face config.json ("LlamaForCausalLM", "Qwen2ForCausalLM", "GPT2LMHeadModel").
  static Result<ModelConfig> FromHfConfigJson(std::string_view json_text, const std::string& source);
  nlohmann::json ToHfConfigJson() const;

  // GGUF metadata: general.architecture and "<arch>.*" keys ("llama", "qwen2", "gpt2").
  static Result<ModelConfig> FromGguf(const GgufFile& gguf);
};

}  // namespace warden::engine
