// GPT-2: LayerNorm, learned absolute positions, fused biased q/k/v projection, GELU (tanh
// approximation) MLP, unembedding tied to the token embedding.
//
// Parameter names are Hugging Face's GPT2LMHeadModel names. Its Conv1D layers store weights
// as [in, out] (the transpose of torch::nn::Linear), and so do these parameters.
#include "engine/transformer.h"

namespace warden::engine {
namespace {

// A Hugging Face Conv1D: y = x @ weight + bias, weight [in, out].
struct Conv1dImpl : torch::nn::Module {
  Conv1dImpl(int64_t in, int64_t out) {
    weight = register_parameter("weight", torch::zeros({in, out}));
    bias = register_parameter("bias", torch::zeros({out}));
  }
  torch::Tensor forward(const torch::Tensor& x) { return Linear(x, weight.t(), bias); }
  torch::Tensor weight, bias;
};
TORCH_MODULE(Conv1d);

struct NormImpl : torch::nn::Module {
  explicit NormImpl(int64_t d) {
    weight = register_parameter("weight", torch::ones({d}));
    bias = register_parameter("bias", torch::zeros({d}));
  }
  torch::Tensor weight, bias;
};
TORCH_MODULE(Norm);

struct Gpt2AttentionImpl : torch::nn::Module {
  explicit Gpt2AttentionImpl(int64_t d) {
    c_attn = register_module("c_attn", Conv1d(d, 3 * d));
    c_proj = register_module("c_proj", Conv1d(d, d));
  }
  Conv1d c_attn{nullptr}, c_proj{nullptr};
};
TORCH_MODULE(Gpt2Attention);

struct Gpt2MlpImpl : torch::nn::Module {
  Gpt2MlpImpl(int64_t d, int64_t d_mlp) {
    c_fc = register_module("c_fc", Conv1d(d, d_mlp));
    c_proj = register_module("c_proj", Conv1d(d_mlp, d));
  }
  Conv1d c_fc{nullptr}, c_proj{nullptr};
};
TORCH_MODULE(Gpt2Mlp);

struct Gpt2BlockImpl : torch::nn::Module {
  explicit Gpt2BlockImpl(const ModelConfig& c) {
    ln_1 = register_module("ln_1", Norm(c.d_model));
    attn = register_module("attn", Gpt2Attention(c.d_model));
    ln_2 = register_module("ln_2", Norm(c.d_model));
    mlp = register_module("mlp", Gpt2Mlp(c.d_model, c.d_mlp));
  }
  Norm ln_1{nullptr}, ln_2{nullptr};
  Gpt2Attention attn{nullptr};
  Gpt2Mlp mlp{nullptr};
};
TORCH_MODULE(Gpt2Block);

struct Gpt2BodyImpl : torch::nn::Module {
  explicit Gpt2BodyImpl(const ModelConfig& c) {
    wte = register_module("wte", torch::nn::Embedding(c.vocab_size, c.d_model));
    wpe = register_module("wpe", torch::nn::Embedding(c.n_ctx, c.d_model));
    h = register_module("h", torch::nn::ModuleList());
    for (int64_t l = 0; l < c.n_layers; ++l) h->push_back(Gpt2Block(c));
    ln_f = register_module("ln_f", Norm(c.d_model));
  }
  torch::nn::Embedding wte{nullptr}, wpe{nullptr};
  torch::nn::ModuleList h{nullptr};
  Norm ln_f{nullptr};
};
TORCH_MODULE(Gpt2Body);

class Gpt2LmHead : public CausalLmImpl {
 public:
  explicit Gpt2LmHead(const ModelConfig& c) : CausalLmImpl(c) {
    transformer_ = register_module("transformer", Gpt2Body(c));
    for (auto& block : *transformer_->h) blocks_.push_back(block->as<Gpt2BlockImpl>());
  }

  torch::Tensor Forward(const torch::Tensor& tokens, const ForwardContext& ctx) override {
    const ModelConfig& c = config_;
    const int64_t B = tokens.size(0), T = tokens.size(1);
    TORCH_CHECK(ctx.positions.max().item<int64_t>() < c.n_ctx, "position beyond the context of ",
                c.n_ctx);
    torch::Tensor embed = ctx.Hook(HookKind::kEmbed, -1, transformer_->wte(tokens));  // [b, p, d]
    torch::Tensor pos = ctx.Hook(HookKind::kPosEmbed, -1, transformer_->wpe(ctx.positions));
    torch::Tensor x = embed + pos;  // [batch, pos, d_model]

    for (int64_t l = 0; l < c.n_layers; ++l) {
      const int L = static_cast<int>(l);
      Gpt2BlockImpl& block = *blocks_[l];
      x = ctx.Hook(HookKind::kResidPre, L, x);
      torch::Tensor h = LayerNorm(x, block.ln_1->weight, block.ln_1->bias, c.norm_eps, ctx,
                                  HookKind::kLn1Scale, HookKind::kLn1Normalized, L);
      std::vector<torch::Tensor> qkv = block.attn->c_attn(h).split(c.d_model, -1);
      torch::Tensor q = ctx.Hook(HookKind::kQ, L, qkv[0].view({B, T, c.n_heads, c.d_head}));
      torch::Tensor k = ctx.Hook(HookKind::kK, L, qkv[1].view({B, T, c.n_heads, c.d_head}));
      torch::Tensor v = ctx.Hook(HookKind::kV, L, qkv[2].view({B, T, c.n_heads, c.d_head}));
      torch::Tensor z = Attention(q, k, v, ctx, L);  // [batch, pos, head, d_head]
      torch::Tensor attn_out = ctx.Hook(HookKind::kAttnOut, L, block.attn->c_proj(z.reshape({B, T, -1})));
      x = ctx.Hook(HookKind::kResidMid, L, x + attn_out);

      h = LayerNorm(x, block.ln_2->weight, block.ln_2->bias, c.norm_eps, ctx, HookKind::kLn2Scale,
                    HookKind::kLn2Normalized, L);
      torch::Tensor pre = ctx.Hook(HookKind::kMlpPre, L, block.mlp->c_fc(h));  // [b, p, d_mlp]
      torch::Tensor post = ctx.Hook(HookKind::kMlpPost, L, torch::gelu(pre, "tanh"));
      torch::Tensor mlp_out = ctx.Hook(HookKind::kMlpOut, L, block.mlp->c_proj(post));
      x = ctx.Hook(HookKind::kResidPost, L, x + mlp_out);
    }
    x = LayerNorm(x, transformer_->ln_f->weight, transformer_->ln_f->bias, c.norm_eps, ctx,
                  HookKind::kLnFinalScale, HookKind::kLnFinalNormalized, -1);
    x = ctx.Hook(HookKind::kUnembedIn, -1, x);
    return ctx.Hook(HookKind::kUnembedOut, -1, Linear(x, transformer_->wte->weight, {}, ctx.transposed));
  }

  TensorSpec SpecFor(const std::string& param, std::string_view format) const override {
    if (format != "gguf") return {};
    static const std::pair<const char*, const char*> kGlobal[] = {
        {"transformer.wte.weight", "token_embd.weight"},
        {"transformer.wpe.weight", "position_embd.weight"},
        {"transformer.ln_f.weight", "output_norm.weight"},
        {"transformer.ln_f.bias", "output_norm.bias"},
    };
    for (const auto& [hf, gguf] : kGlobal) {
      if (param == hf) return {gguf};
    }
    const std::string prefix = "transformer.h.";
    if (param.compare(0, prefix.size(), prefix) != 0) return {};
    size_t dot = param.find('.', prefix.size());
    std::string i = param.substr(prefix.size(), dot - prefix.size());
    std::string rest = param.substr(dot + 1);
    static const std::pair<const char*, const char*> kLayer[] = {
        {"ln_1", "attn_norm"}, {"attn.c_attn", "attn_qkv"}, {"attn.c_proj", "attn_output"},
        {"ln_2", "ffn_norm"},  {"mlp.c_fc", "ffn_up"},      {"mlp.c_proj", "ffn_down"},
    };
    for (const auto& [hf, gguf] : kLayer) {
      std::string h = hf;
      if (rest == h + ".weight" || rest == h + ".bias") {
        bool weight = rest == h + ".weight";
        TensorSpec spec{"blk." + i + "." + gguf + (weight ? ".weight" : ".bias")};
        // GGUF stores [out, in]; Conv1D parameters are [in, out]. Norm weights are 1-D.
        if (weight && h.rfind("ln_", 0) != 0) spec.transform = TensorSpec::Transform::kTranspose;
        return spec;
      }
    }
    return {};
  }

 private:
  Gpt2Body transformer_{nullptr};
  std::vector<Gpt2BlockImpl*> blocks_;
};

}  // namespace

std::shared_ptr<CausalLmImpl> MakeGpt2(const ModelConfig& config) {
  return std::make_shared<Gpt2LmHead>(config);
}

}  // namespace warden::engine
