// llama2.c checkpoint reader (the legacy "version 0" format of karpathy/llama2.c run.c).
// Torch-free.
//
// Layout: a header of 7 int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size,
// seq_len; a negative vocab_size means the classifier is NOT shared with the embedding), then
// f32 arrays in order: token_embedding [vocab, dim], rms_att [L, dim], wq [L, dim, dim],
// wk [L, kv_dim, dim], wv [L, kv_dim, dim], wo [L, dim, dim], rms_ffn [L, dim],
// w1 [L, hidden, dim], w2 [L, dim, hidden], w3 [L, hidden, dim], rms_final [dim],
// freq_cis_real/imag [seq_len, head_size/2] (skipped), then wcls [vocab, dim] if unshared.
// The file size must match exactly; anything else is corrupt.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "warden/base/file.h"
#include "warden/base/status.h"
#include "warden/engine/model_config.h"
#include "warden/engine/tensor_ref.h"

namespace warden::engine {

class Llama2cFile : public WeightFile {
 public:
  static Result<std::unique_ptr<Llama2cFile>> Open(const std::string& path);
  static Result<std::unique_ptr<Llama2cFile>> Parse(const uint8_t* bytes, size_t size,
                                                    const std::string& source);

  // arch kLlama; tied_embeddings from the sign of vocab_size; rope_theta 10000; norm_eps 1e-5.
  const ModelConfig& config() const { return config_; }

  // Tensors are exposed per layer under Hugging Face Llama names ("model.embed_tokens.weight",
  // "model.layers.{i}.self_attn.q_proj.weight", ..., "lm_head.weight" only when unshared).
  // q_proj/k_proj rows keep llama2.c's interleaved rotary layout; the engine converts them.
  const std::vector<TensorRef>& tensors() const override { return tensors_; }
  std::string format() const override { return "llama2c"; }
  std::string path() const override { return source_; }

 private:
  Llama2cFile() = default;
  std::unique_ptr<MappedFile> file_;
  std::string source_;
  ModelConfig config_;
  std::vector<TensorRef> tensors_;
};

}  // namespace warden::engine
