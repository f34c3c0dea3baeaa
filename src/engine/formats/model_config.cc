// ModelConfig: names, validation, parameter counts, and reading it from GGUF metadata.
// The Hugging Face config.json side lives in model_config_hf.cc.
#include "warden/engine/model_config.h"

#include <cmath>

#include "warden/engine/gguf.h"

namespace warden::engine {
namespace {

// Sanity caps: generous for any real model, small enough that sizes derived from them
// (vocab x d_model, layers x d_model x d_mlp) stay far from overflow.
constexpr int64_t kMaxVocab = int64_t{1} << 22;
constexpr int64_t kMaxDModel = 65536;
constexpr int64_t kMaxLayers = 1024;
constexpr int64_t kMaxHeads = 1024;
constexpr int64_t kMaxDHead = 4096;
constexpr int64_t kMaxDMlp = int64_t{1} << 20;
constexpr int64_t kMaxCtx = int64_t{1} << 22;

Status CheckRange(const char* field, int64_t v, int64_t lo, int64_t hi) {
  if (v < lo || v > hi) {
    return Status::InvalidArgument(std::string(field) + " is " + std::to_string(v) + ", expected " +
                                   std::to_string(lo) + ".." + std::to_string(hi));
  }
  return Status::Ok();
}

bool IsRotary(Arch a) { return a == Arch::kLlama || a == Arch::kQwen2; }

}  // namespace

const char* ArchName(Arch a) {
  switch (a) {
    case Arch::kLlama: return "llama";
    case Arch::kQwen2: return "qwen2";
    case Arch::kGpt2: return "gpt2";
  }
  return "?";
}

Result<Arch> ArchFromName(std::string_view name) {
  for (Arch a : {Arch::kLlama, Arch::kQwen2, Arch::kGpt2}) {
    if (name == ArchName(a)) return a;
  }
  return Status::Unsupported("architecture '" + std::string(name) +
                             "' is not supported (llama, qwen2, gpt2 are)");
}

Status ModelConfig::Validate() const {
  WARDEN_RETURN_IF_ERROR(CheckRange("vocab_size", vocab_size, 1, kMaxVocab));
  WARDEN_RETURN_IF_ERROR(CheckRange("d_model", d_model, 1, kMaxDModel));
  WARDEN_RETURN_IF_ERROR(CheckRange("n_layers", n_layers, 1, kMaxLayers));
  WARDEN_RETURN_IF_ERROR(CheckRange("n_heads", n_heads, 1, kMaxHeads));
  WARDEN_RETURN_IF_ERROR(CheckRange("n_kv_heads", n_kv_heads, 1, n_heads));
  WARDEN_RETURN_IF_ERROR(CheckRange("d_head", d_head, 1, kMaxDHead));
  WARDEN_RETURN_IF_ERROR(CheckRange("d_mlp", d_mlp, 1, kMaxDMlp));
  WARDEN_RETURN_IF_ERROR(CheckRange("n_ctx", n_ctx, 1, kMaxCtx));
  WARDEN_RETURN_IF_ERROR(CheckRange("bos_token_id", bos_token_id, -1, vocab_size - 1));
  WARDEN_RETURN_IF_ERROR(CheckRange("eos_token_id", eos_token_id, -1, vocab_size - 1));
  if (d_model % n_heads != 0) {
    return Status::InvalidArgument("d_model " + std::to_string(d_model) +
                                   " is not a multiple of n_heads " + std::to_string(n_heads));
  }
  if (n_heads % n_kv_heads != 0) {
    return Status::InvalidArgument("n_heads " + std::to_string(n_heads) +
                                   " is not a multiple of n_kv_heads " +
                                   std::to_string(n_kv_heads));
  }
  // Llama-family configs may set head_dim explicitly; the others derive it.
  if (arch != Arch::kLlama && d_head != d_model / n_heads) {
    return Status::InvalidArgument("d_head " + std::to_string(d_head) +
                                   " is not d_model / n_heads (" +
                                   std::to_string(d_model / n_heads) + ")");
  }
  if (arch == Arch::kGpt2 && n_kv_heads != n_heads) {
    return Status::InvalidArgument(
        "gpt2 has no grouped-query attention: n_kv_heads must equal n_heads");
  }
  if (IsRotary(arch) && d_head % 2 != 0) {
    return Status::InvalidArgument("d_head " + std::to_string(d_head) +
                                   " is odd; rotary embeddings need it even");
  }
  if (!(norm_eps > 0 && norm_eps < 1)) {
    return Status::InvalidArgument("norm_eps " + std::to_string(norm_eps) + " is outside (0, 1)");
  }
  if (IsRotary(arch) && !(rope_theta > 0 && std::isfinite(rope_theta))) {
    return Status::InvalidArgument("rope_theta " + std::to_string(rope_theta) +
                                   " is not a positive number");
  }
  return Status::Ok();
}

int64_t ModelConfig::ParameterCount() const {
  const int64_t D = d_model, L = n_layers, F = d_mlp, V = vocab_size;
  if (arch == Arch::kGpt2) {
    const int64_t block = 2 * D                    // ln_1 weight, bias
                          + D * 3 * D + 3 * D      // c_attn (fused q, k, v) weight, bias
                          + D * D + D              // attn c_proj weight, bias
                          + 2 * D                  // ln_2
                          + D * F + F              // mlp c_fc
                          + F * D + D;             // mlp c_proj
    return V * D + n_ctx * D + L * block + 2 * D;  // wte (tied with the unembedding), wpe, ln_f
  }
  const int64_t q = n_heads * d_head, kv = n_kv_heads * d_head;
  int64_t block = D * q + 2 * D * kv + q * D      // q, k, v, o projections
                  + 3 * D * F                     // gate, up, down
                  + 2 * D;                        // input and post-attention RMSNorm
  if (arch == Arch::kQwen2) block += q + 2 * kv;  // q, k, v biases
  return V * D + L * block + D + (tied_embeddings ? 0 : V * D);
}

Result<ModelConfig> ModelConfig::FromGguf(const GgufFile& gguf) {
  ModelConfig c;
  WARDEN_ASSIGN_OR_RETURN(std::string arch_name, gguf.GetString("general.architecture"));
  Result<Arch> arch = ArchFromName(arch_name);
  if (!arch.ok()) return arch.status().WithContext(gguf.path());
  c.arch = *arch;
  const std::string p = arch_name + ".";
  WARDEN_ASSIGN_OR_RETURN(c.n_ctx, gguf.GetInt(p + "context_length"));
  WARDEN_ASSIGN_OR_RETURN(c.d_model, gguf.GetInt(p + "embedding_length"));
  WARDEN_ASSIGN_OR_RETURN(c.n_layers, gguf.GetInt(p + "block_count"));
  WARDEN_ASSIGN_OR_RETURN(c.d_mlp, gguf.GetInt(p + "feed_forward_length"));
  WARDEN_ASSIGN_OR_RETURN(c.n_heads, gguf.GetInt(p + "attention.head_count"));
  c.n_kv_heads = c.n_heads;
  if (gguf.Find(p + "attention.head_count_kv")) {
    WARDEN_ASSIGN_OR_RETURN(c.n_kv_heads, gguf.GetInt(p + "attention.head_count_kv"));
  }
  const char* eps_key =
      c.arch == Arch::kGpt2 ? "attention.layer_norm_epsilon" : "attention.layer_norm_rms_epsilon";
  WARDEN_ASSIGN_OR_RETURN(c.norm_eps, gguf.GetFloat(p + eps_key));
  if (gguf.Find(p + "rope.freq_base")) {
    WARDEN_ASSIGN_OR_RETURN(c.rope_theta, gguf.GetFloat(p + "rope.freq_base"));
  }
  if (gguf.Find(p + "rope.scaling.type")) {
    WARDEN_ASSIGN_OR_RETURN(std::string scaling, gguf.GetString(p + "rope.scaling.type"));
    if (scaling != "none") {
      return Status::Unsupported(gguf.path() + ": " + p + "rope.scaling.type '" + scaling +
                                 "' is not supported");
    }
  }
  c.d_head = c.n_heads > 0 ? c.d_model / c.n_heads : 0;
  if (gguf.Find(p + "attention.key_length")) {
    WARDEN_ASSIGN_OR_RETURN(c.d_head, gguf.GetInt(p + "attention.key_length"));
  }
  if (gguf.Find(p + "rope.dimension_count")) {
    WARDEN_ASSIGN_OR_RETURN(int64_t rope_dims, gguf.GetInt(p + "rope.dimension_count"));
    if (rope_dims != c.d_head) {
      return Status::Unsupported(gguf.path() + ": " + p + "rope.dimension_count " +
                                 std::to_string(rope_dims) + " differs from the head size " +
                                 std::to_string(c.d_head) + " (partial rotary is not supported)");
    }
  }
  if (gguf.Find(p + "vocab_size")) {
    WARDEN_ASSIGN_OR_RETURN(c.vocab_size, gguf.GetInt(p + "vocab_size"));
  } else if (gguf.Find("tokenizer.ggml.tokens")) {
    WARDEN_ASSIGN_OR_RETURN(auto tokens, gguf.GetStringArray("tokenizer.ggml.tokens"));
    c.vocab_size = static_cast<int64_t>(tokens->size());
  } else if (const TensorRef* embd = gguf.FindTensor("token_embd.weight");
             embd != nullptr && !embd->shape.empty()) {
    c.vocab_size = embd->shape[0];
  }
  c.tied_embeddings = c.arch == Arch::kGpt2 || gguf.FindTensor("output.weight") == nullptr;
  if (gguf.Find("tokenizer.ggml.bos_token_id")) {
    WARDEN_ASSIGN_OR_RETURN(c.bos_token_id, gguf.GetInt("tokenizer.ggml.bos_token_id"));
  }
  if (gguf.Find("tokenizer.ggml.eos_token_id")) {
    WARDEN_ASSIGN_OR_RETURN(c.eos_token_id, gguf.GetInt("tokenizer.ggml.eos_token_id"));
  }
  Status valid = c.Validate();
  if (!valid.ok())
    return Status::Corrupt(gguf.path() + ": model hyper-parameters: " + valid.message());
  return c;
}

}  // namespace warden::engine
