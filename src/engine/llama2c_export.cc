// Model::SaveLlama2c: the inverse of the llama2.c reader (formats/llama2c.cc).
#include <cmath>

#include "engine/transformer.h"
#include "warden/base/file.h"
#include "warden/engine/torch/model.h"

namespace warden::engine {

Status Model::SaveLlama2c(const std::string& path) const {
  const ModelConfig& c = config_;
  if (c.arch != Arch::kLlama) return Status::InvalidArgument(path + ": llama2.c files hold the Llama architecture only");
  if (c.rope_theta != 10000.0) return Status::InvalidArgument(path + ": llama2.c files assume rope_theta 10000, not " + std::to_string(c.rope_theta));
  if (std::fabs(c.norm_eps - 1e-5) > 1e-12) return Status::InvalidArgument(path + ": llama2.c files assume norm_eps 1e-5, not " + std::to_string(c.norm_eps));
  if (c.d_head * c.n_heads != c.d_model) return Status::InvalidArgument(path + ": llama2.c files need d_head * n_heads == d_model");
  torch::NoGradGuard no_grad;
  std::map<std::string, torch::Tensor> params;
  for (const auto& p : module_->named_parameters()) params[p.key()] = p.value().detach().to(torch::kCPU, torch::kFloat).contiguous();
  std::string out;
  const int32_t header[7] = {static_cast<int32_t>(c.d_model), static_cast<int32_t>(c.d_mlp), static_cast<int32_t>(c.n_layers),
                             static_cast<int32_t>(c.n_heads), static_cast<int32_t>(c.n_kv_heads),
                             static_cast<int32_t>(c.tied_embeddings ? c.vocab_size : -c.vocab_size),
                             static_cast<int32_t>(c.n_ctx)};
  out.append(reinterpret_cast<const char*>(header), sizeof header);
  auto put = [&out](const torch::Tensor& t) { out.append(static_cast<const char*>(t.data_ptr()), t.numel() * sizeof(float)); };
  // Hugging Face's half-split rotary rows back to llama2.c's interleaved pairs, per head.
  auto interleave = [&c](const torch::Tensor& w, int64_t heads) {
    return w.view({heads, 2, c.d_head / 2, w.size(1)}).transpose(1, 2).reshape({heads * c.d_head, w.size(1)}).contiguous();
  };
  auto layer = [&params](int64_t l, const std::string& rest) { return params.at("model.layers." + std::to_string(l) + "." + rest); };
  put(params.at("model.embed_tokens.weight"));
  for (int64_t l = 0; l < c.n_layers; ++l) put(layer(l, "input_layernorm.weight"));
  for (int64_t l = 0; l < c.n_layers; ++l) put(interleave(layer(l, "self_attn.q_proj.weight"), c.n_heads));
  for (int64_t l = 0; l < c.n_layers; ++l) put(interleave(layer(l, "self_attn.k_proj.weight"), c.n_kv_heads));
  for (int64_t l = 0; l < c.n_layers; ++l) put(layer(l, "self_attn.v_proj.weight"));
  for (int64_t l = 0; l < c.n_layers; ++l) put(layer(l, "self_attn.o_proj.weight"));
  for (int64_t l = 0; l < c.n_layers; ++l) put(layer(l, "post_attention_layernorm.weight"));
  for (int64_t l = 0; l < c.n_layers; ++l) put(layer(l, "mlp.gate_proj.weight"));
  for (int64_t l = 0; l < c.n_layers; ++l) put(layer(l, "mlp.down_proj.weight"));
  for (int64_t l = 0; l < c.n_layers; ++l) put(layer(l, "mlp.up_proj.weight"));
  put(params.at("model.norm.weight"));
  out.append(static_cast<size_t>(c.n_ctx * c.d_head) * sizeof(float), '\0');  // freq_cis real and imag: unused
  if (!c.tied_embeddings) put(params.at("lm_head.weight"));
  return WriteFileAtomic(path, out);
}

}  // namespace warden::engine
