// The Llama family: RMSNorm, rotary positions, grouped-query attention, SwiGLU MLP, tied or
// untied embeddings. Qwen2 (qwen2.cc) is this architecture with biases on q/k/v.
//
// Parameter names are Hugging Face's LlamaForCausalLM names.
#include "engine/fast_forward.h"
#include "engine/transformer.h"
#include "warden/engine/torch/model.h"  // TransposedWeights

namespace warden::engine {
namespace {

torch::Tensor Param(torch::nn::Module& m, const std::string& name, std::vector<int64_t> shape) {
  return m.register_parameter(name, torch::zeros(shape));
}

struct LlamaAttentionImpl : torch::nn::Module {
  LlamaAttentionImpl(const ModelConfig& c, bool qkv_bias) {
    int64_t q_dim = c.n_heads * c.d_head, kv_dim = c.n_kv_heads * c.d_head;
    q_proj = register_module("q_proj", torch::nn::Linear(torch::nn::LinearOptions(c.d_model, q_dim).bias(qkv_bias)));
    k_proj = register_module("k_proj", torch::nn::Linear(torch::nn::LinearOptions(c.d_model, kv_dim).bias(qkv_bias)));
    v_proj = register_module("v_proj", torch::nn::Linear(torch::nn::LinearOptions(c.d_model, kv_dim).bias(qkv_bias)));
    o_proj = register_module("o_proj", torch::nn::Linear(torch::nn::LinearOptions(q_dim, c.d_model).bias(false)));
  }
  torch::nn::Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr};
};
TORCH_MODULE(LlamaAttention);

struct LlamaMlpImpl : torch::nn::Module {
  explicit LlamaMlpImpl(const ModelConfig& c) {
    gate_proj = register_module("gate_proj", torch::nn::Linear(torch::nn::LinearOptions(c.d_model, c.d_mlp).bias(false)));
    up_proj = register_module("up_proj", torch::nn::Linear(torch::nn::LinearOptions(c.d_model, c.d_mlp).bias(false)));
    down_proj = register_module("down_proj", torch::nn::Linear(torch::nn::LinearOptions(c.d_mlp, c.d_model).bias(false)));
  }
  torch::nn::Linear gate_proj{nullptr}, up_proj{nullptr}, down_proj{nullptr};
};
TORCH_MODULE(LlamaMlp);

struct RmsNormWeightImpl : torch::nn::Module {
  explicit RmsNormWeightImpl(int64_t d) { weight = register_parameter("weight", torch::ones({d})); }
  torch::Tensor weight;
};
TORCH_MODULE(RmsNormWeight);

struct LlamaLayerImpl : torch::nn::Module {
  LlamaLayerImpl(const ModelConfig& c, bool qkv_bias) {
    self_attn = register_module("self_attn", LlamaAttention(c, qkv_bias));
    mlp = register_module("mlp", LlamaMlp(c));
    input_layernorm = register_module("input_layernorm", RmsNormWeight(c.d_model));
    post_attention_layernorm = register_module("post_attention_layernorm", RmsNormWeight(c.d_model));
  }
  LlamaAttention self_attn{nullptr};
  LlamaMlp mlp{nullptr};
  RmsNormWeight input_layernorm{nullptr}, post_attention_layernorm{nullptr};
};
TORCH_MODULE(LlamaLayer);

struct LlamaBodyImpl : torch::nn::Module {
  LlamaBodyImpl(const ModelConfig& c, bool qkv_bias) {
    embed_tokens = register_module("embed_tokens", torch::nn::Embedding(c.vocab_size, c.d_model));
    layers = register_module("layers", torch::nn::ModuleList());
    for (int64_t l = 0; l < c.n_layers; ++l) layers->push_back(LlamaLayer(c, qkv_bias));
    norm = register_module("norm", RmsNormWeight(c.d_model));
  }
  torch::nn::Embedding embed_tokens{nullptr};
  torch::nn::ModuleList layers{nullptr};
  RmsNormWeight norm{nullptr};
};
TORCH_MODULE(LlamaBody);

class LlamaForCausalLm : public CausalLmImpl {
 public:
  LlamaForCausalLm(const ModelConfig& c, bool qkv_bias) : CausalLmImpl(c), qkv_bias_(qkv_bias) {
    model_ = register_module("model", LlamaBody(c, qkv_bias));
    if (!c.tied_embeddings) {
      lm_head_ = register_module("lm_head", torch::nn::Linear(torch::nn::LinearOptions(c.d_model, c.vocab_size).bias(false)));
    }
    auto [cos, sin] = RotaryTables(c.n_ctx, c.d_head, c.rope_theta);
    cos_ = register_buffer("rotary_cos", cos);
    sin_ = register_buffer("rotary_sin", sin);
    for (auto& layer : *model_->layers) layers_.push_back(layer->as<LlamaLayerImpl>());
  }

  torch::Tensor Forward(const torch::Tensor& tokens, const ForwardContext& ctx) override {
    if (CanFastForward(tokens, ctx, model_->embed_tokens->weight, config_)) {
      if (const std::optional<LlamaStepWeights> w = StepWeights(ctx.transposed)) return FastForward(config_, *w, tokens, ctx);
    }
    const ModelConfig& c = config_;
    const int64_t B = tokens.size(0), T = tokens.size(1);
    torch::Tensor x = ctx.Hook(HookKind::kEmbed, -1, model_->embed_tokens(tokens));  // [b, p, d_model]
    auto [cos, sin] = RotaryAt(cos_, sin_, ctx.positions, x.scalar_type());     // [b, p, 1, d_head]

    for (int64_t l = 0; l < c.n_layers; ++l) {
      const int L = static_cast<int>(l);
      LlamaLayerImpl& layer = *layers_[l];
      LlamaAttentionImpl& attn = *layer.self_attn;
      x = ctx.Hook(HookKind::kResidPre, L, x);  // [batch, pos, d_model]
      torch::Tensor h = RmsNorm(x, layer.input_layernorm->weight, c.norm_eps, ctx,
                                HookKind::kLn1Scale, HookKind::kLn1Normalized, L);
      torch::Tensor q = ctx.Hook(HookKind::kQ, L, Linear(h, attn.q_proj->weight, attn.q_proj->bias, ctx.transposed).view({B, T, c.n_heads, c.d_head}));
      torch::Tensor k = ctx.Hook(HookKind::kK, L, Linear(h, attn.k_proj->weight, attn.k_proj->bias, ctx.transposed).view({B, T, c.n_kv_heads, c.d_head}));
      torch::Tensor v = ctx.Hook(HookKind::kV, L, Linear(h, attn.v_proj->weight, attn.v_proj->bias, ctx.transposed).view({B, T, c.n_kv_heads, c.d_head}));
      q = ctx.Hook(HookKind::kRotQ, L, ApplyRotary(q, cos, sin));  // [batch, pos, head, d_head]
      k = ctx.Hook(HookKind::kRotK, L, ApplyRotary(k, cos, sin));  // [batch, pos, kv_head, d_head]
      torch::Tensor z = Attention(q, k, v, ctx, L);                // [batch, pos, head, d_head]
      torch::Tensor attn_out = ctx.Hook(HookKind::kAttnOut, L, Linear(z.reshape({B, T, -1}), attn.o_proj->weight, {}, ctx.transposed));
      x = ctx.Hook(HookKind::kResidMid, L, x + attn_out);  // [batch, pos, d_model]

      h = RmsNorm(x, layer.post_attention_layernorm->weight, c.norm_eps, ctx, HookKind::kLn2Scale,
                  HookKind::kLn2Normalized, L);
      torch::Tensor pre = ctx.Hook(HookKind::kMlpPre, L, Linear(h, layer.mlp->gate_proj->weight, {}, ctx.transposed));  // [b, p, d_mlp]
      torch::Tensor pre_linear = ctx.Hook(HookKind::kMlpPreLinear, L, Linear(h, layer.mlp->up_proj->weight, {}, ctx.transposed));
      torch::Tensor post = ctx.Hook(HookKind::kMlpPost, L, torch::silu(pre) * pre_linear);
      torch::Tensor mlp_out = ctx.Hook(HookKind::kMlpOut, L, Linear(post, layer.mlp->down_proj->weight, {}, ctx.transposed));
      x = ctx.Hook(HookKind::kResidPost, L, x + mlp_out);  // [batch, pos, d_model]
    }
    x = RmsNorm(x, model_->norm->weight, c.norm_eps, ctx, HookKind::kLnFinalScale,
                HookKind::kLnFinalNormalized, -1);
    x = ctx.Hook(HookKind::kUnembedIn, -1, x);  // [batch, pos, d_model]
    torch::Tensor unembed = lm_head_ ? lm_head_->weight : model_->embed_tokens->weight;
    return ctx.Hook(HookKind::kUnembedOut, -1, Linear(x, unembed, {}, ctx.transposed));  // [b, p, vocab]
  }

  TensorSpec SpecFor(const std::string& param, std::string_view format) const override {
    if (format == "llama2c") {
      // llama2.c files use Hugging Face names (see llama2c.h) with interleaved rotary rows.
      return Rotary(param, param, /*interleaved=*/true);
    }
    return Rotary(param, GgufName(param), /*interleaved=*/!qkv_bias_);  // GGUF: llama permutes, qwen2 not
  }

 private:
  TensorSpec Rotary(const std::string& param, std::string name, bool interleaved) const {
    TensorSpec spec{std::move(name)};
    bool is_q = param.find("q_proj.weight") != std::string::npos;
    bool is_k = param.find("k_proj.weight") != std::string::npos;
    bool is_qk_bias = param.find("q_proj.bias") != std::string::npos ||
                      param.find("k_proj.bias") != std::string::npos;
    if (interleaved && (is_q || is_k || is_qk_bias)) {
      spec.transform = TensorSpec::Transform::kUnpermuteRotary;
      spec.rotary_heads = (is_q || param.find("q_proj") != std::string::npos) ? config_.n_heads
                                                                               : config_.n_kv_heads;
    }
    return spec;
  }

  static std::string GgufName(const std::string& p) {
    if (p == "model.embed_tokens.weight") return "token_embd.weight";
    if (p == "model.norm.weight") return "output_norm.weight";
    if (p == "lm_head.weight") return "output.weight";
    // model.layers.{i}.<rest>
    const std::string prefix = "model.layers.";
    size_t dot = p.find('.', prefix.size());
    std::string i = p.substr(prefix.size(), dot - prefix.size());
    std::string rest = p.substr(dot + 1);
    static const std::pair<const char*, const char*> kMap[] = {
        {"input_layernorm.weight", "attn_norm.weight"},
        {"self_attn.q_proj.weight", "attn_q.weight"},   {"self_attn.q_proj.bias", "attn_q.bias"},
        {"self_attn.k_proj.weight", "attn_k.weight"},   {"self_attn.k_proj.bias", "attn_k.bias"},
        {"self_attn.v_proj.weight", "attn_v.weight"},   {"self_attn.v_proj.bias", "attn_v.bias"},
        {"self_attn.o_proj.weight", "attn_output.weight"},
        {"post_attention_layernorm.weight", "ffn_norm.weight"},
        {"mlp.gate_proj.weight", "ffn_gate.weight"},    {"mlp.up_proj.weight", "ffn_up.weight"},
        {"mlp.down_proj.weight", "ffn_down.weight"},
    };
    for (const auto& [hf, gguf] : kMap) {
      if (rest == hf) return "blk." + i + "." + gguf;
    }
    return "";
  }

  // The weights as raw rows for the fast forward, or nullopt when one is not a contiguous
  // float32 tensor (then the general path runs).
  std::optional<LlamaStepWeights> StepWeights(const TransposedWeights* transposed) const {
    bool ok = true;
    auto raw = [&ok](const torch::Tensor& t) -> const float* {
      if (!t.defined()) return nullptr;
      ok = ok && t.scalar_type() == torch::kFloat && t.is_contiguous();
      return ok ? t.data_ptr<float>() : nullptr;
    };
    auto linear = [&](const torch::Tensor& w) {
      const torch::Tensor* t = transposed != nullptr ? transposed->Find(w) : nullptr;
      return LlamaStepWeights::Linear{raw(w), t != nullptr && t->is_contiguous() ? t->data_ptr<float>() : nullptr};
    };
    LlamaStepWeights w;
    w.embed = raw(model_->embed_tokens->weight);
    w.unembed = linear(lm_head_ ? lm_head_->weight : model_->embed_tokens->weight);
    w.final_norm = raw(model_->norm->weight);
    w.cos = raw(cos_);
    w.sin = raw(sin_);
    for (const LlamaLayerImpl* layer : layers_) {
      const LlamaAttentionImpl& a = *layer->self_attn;
      const LlamaMlpImpl& m = *layer->mlp;
      w.layers.push_back({raw(layer->input_layernorm->weight), linear(a.q_proj->weight), linear(a.k_proj->weight),
                          linear(a.v_proj->weight), raw(a.q_proj->bias), raw(a.k_proj->bias), raw(a.v_proj->bias),
                          linear(a.o_proj->weight), raw(layer->post_attention_layernorm->weight),
                          linear(m.gate_proj->weight), linear(m.up_proj->weight), linear(m.down_proj->weight)});
    }
    if (!ok) return std::nullopt;
    return w;
  }

  bool qkv_bias_;
  LlamaBody model_{nullptr};
  torch::nn::Linear lm_head_{nullptr};
  torch::Tensor cos_, sin_;  // [n_ctx, d_head] rotary tables
  std::vector<LlamaLayerImpl*> layers_;
};

}  // namespace

std::shared_ptr<CausalLmImpl> MakeLlamaFamily(const ModelConfig& config, bool qkv_bias) {
  return std::make_shared<LlamaForCausalLm>(config, qkv_bias);
}

std::shared_ptr<CausalLmImpl> MakeLlama(const ModelConfig& config) {
  return MakeLlamaFamily(config, /*qkv_bias=*/false);
}

}  // namespace warden::engine
