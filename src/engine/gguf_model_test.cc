// GGUF models end to end: a Llama written as llama.cpp's converter writes it (GGUF names,
// q/k rows permuted to interleaved rotary order, F32 or Q8_0) loads back to the same logits.
// This is the proof for the GGUF name map and the rotary un-permutation, which the random
// tiny-random-gguf file cannot give.
#include <cmath>

#include "engine/formats/gguf_test_writer.h"
#include "engine/test_util.h"
#include "engine/transformer.h"
#include "warden/engine/dtype.h"
#include "warden/engine/torch/model.h"

namespace warden::engine {
namespace {

using testing::GgufBuilder;

// Hugging Face half-split rows -> interleaved pairs (what llama.cpp's converter does to q/k).
torch::Tensor PermuteToInterleaved(const torch::Tensor& w, int64_t heads) {
  auto shape = w.sizes().vec();
  return w.reshape({heads, 2, w.size(0) / heads / 2, -1}).transpose(1, 2).reshape(shape).contiguous();
}

std::string F32Bytes(const torch::Tensor& t) {
  torch::Tensor c = t.to(torch::kFloat).contiguous();
  return std::string(static_cast<const char*>(c.data_ptr()), c.numel() * sizeof(float));
}

// Q8_0: blocks of 32 along each row, an f16 scale max|x|/127 then 32 int8 values.
std::string Q8Bytes(const torch::Tensor& t) {
  torch::Tensor c = t.to(torch::kFloat).contiguous();
  const float* x = c.data_ptr<float>();
  std::string out;
  for (int64_t b = 0; b < c.numel() / 32; ++b) {
    float amax = 0;
    for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(x[32 * b + i]));
    float d = amax / 127.0f;
    uint16_t h = F32ToF16(d);
    out.append(reinterpret_cast<const char*>(&h), 2);
    for (int i = 0; i < 32; ++i) {
      out.push_back(static_cast<char>(static_cast<int8_t>(d == 0 ? 0 : std::lround(x[32 * b + i] / d))));
    }
  }
  return out;
}

std::string GgufName(const std::string& hf) {
  if (hf == "model.embed_tokens.weight") return "token_embd.weight";
  if (hf == "model.norm.weight") return "output_norm.weight";
  if (hf == "lm_head.weight") return "output.weight";
  std::string rest = hf.substr(std::string("model.layers.").size());
  std::string i = rest.substr(0, rest.find('.'));
  rest = rest.substr(rest.find('.') + 1);
  const std::pair<const char*, const char*> map[] = {
      {"input_layernorm.weight", "attn_norm.weight"}, {"self_attn.q_proj.weight", "attn_q.weight"},
      {"self_attn.k_proj.weight", "attn_k.weight"},   {"self_attn.v_proj.weight", "attn_v.weight"},
      {"self_attn.o_proj.weight", "attn_output.weight"}, {"post_attention_layernorm.weight", "ffn_norm.weight"},
      {"mlp.gate_proj.weight", "ffn_gate.weight"},    {"mlp.up_proj.weight", "ffn_up.weight"},
      {"mlp.down_proj.weight", "ffn_down.weight"}};
  for (const auto& [a, b] : map) {
    if (rest == a) return "blk." + i + "." + b;
  }
  ADD_FAILURE() << "no GGUF name for " << hf;
  return hf;
}

std::string WriteLlamaGguf(const Model& model, bool q8, const std::string& path) {
  const ModelConfig& c = model.config();
  GgufBuilder g;
  g.String("general.architecture", "llama")
      .U32("llama.context_length", static_cast<uint32_t>(c.n_ctx))
      .U32("llama.embedding_length", static_cast<uint32_t>(c.d_model))
      .U32("llama.block_count", static_cast<uint32_t>(c.n_layers))
      .U32("llama.feed_forward_length", static_cast<uint32_t>(c.d_mlp))
      .U32("llama.attention.head_count", static_cast<uint32_t>(c.n_heads))
      .U32("llama.attention.head_count_kv", static_cast<uint32_t>(c.n_kv_heads))
      .F32("llama.attention.layer_norm_rms_epsilon", static_cast<float>(c.norm_eps))
      .F32("llama.rope.freq_base", static_cast<float>(c.rope_theta))
      .U32("llama.vocab_size", static_cast<uint32_t>(c.vocab_size));
  for (const auto& p : model.module().named_parameters()) {
    torch::Tensor w = p.value().detach();
    if (p.key().find("q_proj") != std::string::npos) w = PermuteToInterleaved(w, c.n_heads);
    if (p.key().find("k_proj") != std::string::npos) w = PermuteToInterleaved(w, c.n_kv_heads);
    std::vector<uint64_t> ne(w.sizes().rbegin(), w.sizes().rend());  // innermost first
    bool quantise = q8 && w.dim() == 2 && w.size(1) % 32 == 0;
    g.Tensor(GgufName(p.key()), quantise ? 8 : 0, ne, quantise ? Q8Bytes(w) : F32Bytes(w));
  }
  EXPECT_TRUE(WriteFileAtomic(path, g.Build()).ok());
  return path;
}

ModelConfig GgufConfig(bool tied) {
  ModelConfig c = testing::TinyConfig(Arch::kLlama);
  c.d_mlp = 64;  // a multiple of 32, so that every matrix can be Q8_0
  c.tied_embeddings = tied;
  return c;
}

TEST(GgufModel, LlamaWithInterleavedRotaryRowsGivesTheOriginalLogits) {
  for (bool tied : {false, true}) {
    auto model = Model::RandomInit(GgufConfig(tied), 31);
    std::string path = WriteLlamaGguf(*model, /*q8=*/false, testing::TempDir("gguf") + "/f32.gguf");
    auto back = Model::Load(path).ValueOrThrow();
    EXPECT_EQ(back->source_format(), "gguf");
    EXPECT_EQ(back->config().tied_embeddings, tied);
    ForwardBatch batch = ForwardBatch::LeftPadded({{1, 2, 3, 4, 5, 6}, {7, 8, 9}});
    EXPECT_TRUE(torch::allclose(model->Forward(batch), back->Forward(batch), 1e-5, 1e-6)) << "tied " << tied;
  }
}

TEST(GgufModel, Q8_0WeightsStayCloseToTheF32Model) {
  auto model = Model::RandomInit(GgufConfig(false), 32);
  std::string path = WriteLlamaGguf(*model, /*q8=*/true, testing::TempDir("gguf") + "/q8.gguf");
  auto back = Model::Load(path).ValueOrThrow();
  EXPECT_GT(back->stored_dtypes().at("Q8_0"), 0);
  ForwardBatch batch = ForwardBatch::LeftPadded({{1, 2, 3, 4, 5, 6}});
  torch::Tensor a = model->Forward(batch), b = back->Forward(batch);
  double rel = ((a - b).norm() / a.norm()).item<double>();
  EXPECT_LT(rel, 0.02) << "relative logit error " << rel;
  EXPECT_GT(rel, 0.0) << "Q8_0 should not be lossless: was it really quantised?";
}

}  // namespace
}  // namespace warden::engine
