#include "warden/engine/llama2c.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "testing/shared_files.h"

namespace warden::engine {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

const std::string kShared = WARDEN_SHARED_DIR;
const char kSource[] = "tiny.bin";

struct Dims {
  int32_t dim = 8, hidden = 12, layers = 2, heads = 2, kv_heads = 1, vocab = 5, seq = 3;
};

uint64_t FloatCount(const Dims& d) {
  const uint64_t v = std::abs(d.vocab), hs = d.dim / d.heads, kv = d.kv_heads * hs;
  uint64_t n = v * d.dim +
               d.layers * (2 * d.dim + 2 * d.dim * d.dim + 2 * d.dim * kv + 3 * d.dim * d.hidden) +
               d.dim + 2 * d.seq * (hs / 2);
  if (d.vocab < 0) n += v * d.dim;
  return n;
}

// Header then floats 0, 1, 2, ... so a tensor's first value is its offset in floats.
std::string Build(const Dims& d) {
  std::string out;
  for (int32_t x : {d.dim, d.hidden, d.layers, d.heads, d.kv_heads, d.vocab, d.seq}) {
    out.append(reinterpret_cast<const char*>(&x), 4);
  }
  for (uint64_t i = 0; i < FloatCount(d); ++i) {
    const float f = static_cast<float>(i);
    out.append(reinterpret_cast<const char*>(&f), 4);
  }
  return out;
}

Result<std::unique_ptr<Llama2cFile>> ParseString(const std::string& bytes) {
  return Llama2cFile::Parse(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), kSource);
}

float First(const Llama2cFile& f, const std::string& name) {
  const TensorRef* t = *f.Get(name);
  float x;
  std::memcpy(&x, t->data, 4);
  return x;
}

TEST(Llama2cTest, LaysOutTensorsInFileOrder) {
  Dims d;
  const std::string bytes = Build(d);  // must outlive f
  auto f = ParseString(bytes);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  const Llama2cFile& m = **f;
  EXPECT_EQ(m.format(), "llama2c");
  EXPECT_EQ(m.tensors().size(), 1u + 9 * 2 + 1);
  EXPECT_EQ(m.Find("lm_head.weight"), nullptr) << "positive vocab: shared classifier";
  EXPECT_TRUE(m.config().tied_embeddings);
  // embed 5x8=40, rms_att 2x8, wq 2x64, wk 2x32, wv 2x32, wo 2x64, rms_ffn 2x8, w1 2x96, w2, w3.
  EXPECT_EQ(First(m, "model.embed_tokens.weight"), 0);
  EXPECT_EQ(First(m, "model.layers.1.input_layernorm.weight"), 40 + 8);
  EXPECT_EQ(First(m, "model.layers.0.self_attn.q_proj.weight"), 56);
  EXPECT_EQ(First(m, "model.layers.1.self_attn.k_proj.weight"), 56 + 128 + 32);
  EXPECT_EQ(First(m, "model.layers.0.self_attn.v_proj.weight"), 56 + 128 + 64);
  EXPECT_EQ(First(m, "model.layers.0.self_attn.o_proj.weight"), 56 + 128 + 128);
  EXPECT_EQ(First(m, "model.layers.0.post_attention_layernorm.weight"), 312 + 128);
  EXPECT_EQ(First(m, "model.layers.0.mlp.gate_proj.weight"), 456);
  EXPECT_EQ(First(m, "model.layers.0.mlp.down_proj.weight"), 456 + 192);
  EXPECT_EQ(First(m, "model.layers.1.mlp.up_proj.weight"), 456 + 384 + 96);
  EXPECT_EQ(First(m, "model.norm.weight"), 456 + 576);
  EXPECT_EQ((*m.Get("model.layers.0.self_attn.k_proj.weight"))->shape,
            (std::vector<int64_t>{4, 8}));
  EXPECT_EQ((*m.Get("model.layers.0.mlp.down_proj.weight"))->shape, (std::vector<int64_t>{8, 12}));
  EXPECT_EQ((*m.Get("model.layers.0.mlp.gate_proj.weight"))->shape, (std::vector<int64_t>{12, 8}));
  const ModelConfig& c = m.config();
  EXPECT_EQ(c.d_head, 4);
  EXPECT_EQ(c.n_kv_heads, 1);
  EXPECT_EQ(c.n_ctx, 3);
  EXPECT_EQ(c.d_mlp, 12);
}

TEST(Llama2cTest, NegativeVocabMeansUnsharedClassifier) {
  Dims d;
  d.vocab = -5;
  const std::string bytes = Build(d);  // must outlive f
  auto f = ParseString(bytes);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_FALSE((*f)->config().tied_embeddings);
  EXPECT_EQ((*f)->config().vocab_size, 5);
  // After rms_final (8 floats at 1032) come 2 x seq 3 x head_size/2 2 = 12 skipped floats.
  EXPECT_EQ(First(**f, "lm_head.weight"), 1032 + 8 + 12);
  EXPECT_EQ((*(*f)->Get("lm_head.weight"))->shape, (std::vector<int64_t>{5, 8}));
}

void ExpectError(const std::string& bytes, const std::string& needle) {
  Status st = ParseString(bytes).status();
  ASSERT_FALSE(st.ok()) << "accepted; expected: " << needle;
  EXPECT_EQ(st.code(), StatusCode::kCorrupt);
  EXPECT_THAT(st.message(), AllOf(HasSubstr(kSource), HasSubstr(needle)));
}

TEST(Llama2cCorruptTest, EveryTruncationAndExtensionFails) {
  const std::string full = Build(Dims());
  for (size_t n = 0; n < full.size(); ++n) {
    Status st = ParseString(full.substr(0, n)).status();
    ASSERT_FALSE(st.ok()) << n;
    ASSERT_THAT(st.message(), HasSubstr(kSource)) << n;
  }
  ExpectError(full.substr(0, 27), "seq_len at byte 24");  // inside the header
  ExpectError(full.substr(0, full.size() - 4), "describes");
  ExpectError(full + "x", "describes");
}

TEST(Llama2cCorruptTest, HeaderValues) {
  const char* fields[] = {"dim",        "hidden_dim", "n_layers", "n_heads",
                          "n_kv_heads", "vocab_size", "seq_len"};
  for (int i = 0; i < 7; ++i) {
    for (int32_t bad : {0, -3, 0x7fffffff}) {
      if (i == 5 && bad == -3) continue;  // a negative vocab is a flag, not an error
      std::string b = Build(Dims());
      std::memcpy(&b[4 * i], &bad, 4);
      ExpectError(b, std::string("'") + fields[i] + "' at byte " + std::to_string(4 * i));
    }
  }
  Dims d;
  d.heads = 3;
  ExpectError(Build(d), "dim 8 is not a multiple of n_heads 3");
  d = Dims();
  d.kv_heads = 3;
  d.heads = 4;
  ExpectError(Build(d), "n_heads 4 is not a multiple of n_kv_heads 3");
  d = Dims();
  d.heads = 8;
  d.kv_heads = 8;
  ExpectError(Build(d), "head size 1 is odd");
  d = Dims();
  d.kv_heads = 4;  // > heads: 2 % 4 != 0
  ExpectError(Build(d), "not a multiple of n_kv_heads");
}

TEST(Llama2cCorruptTest, HugeHeaderDoesNotAllocate) {
  // Every field at its cap: describes petabytes; must fail on size, quickly.
  std::string b;
  for (int32_t x : {65536, 1 << 20, 1024, 1024, 1024, 1 << 22, 1 << 22}) {
    b.append(reinterpret_cast<const char*>(&x), 4);
  }
  ExpectError(b + std::string(64, '\0'), "describes");
}

TEST(Llama2cRealFileTest, Stories260K) {
  const std::string path = kShared + "/models/stories260K/stories260K.bin";
  WARDEN_NEED_SHARED(path);
  auto f = Llama2cFile::Open(path);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  const ModelConfig& c = (*f)->config();
  EXPECT_EQ(c.d_model, 64);
  EXPECT_EQ(c.d_mlp, 172);
  EXPECT_EQ(c.n_layers, 5);
  EXPECT_EQ(c.n_heads, 8);
  EXPECT_EQ(c.n_kv_heads, 4);
  EXPECT_EQ(c.vocab_size, 512);
  EXPECT_EQ(c.n_ctx, 512);
  EXPECT_EQ(c.d_head, 8);
  EXPECT_TRUE(c.tied_embeddings);
  EXPECT_EQ((*f)->tensors().size(), 1u + 9 * 5 + 1);
  EXPECT_EQ((*(*f)->Get("model.layers.4.self_attn.k_proj.weight"))->shape,
            (std::vector<int64_t>{32, 64}));
  int64_t total = 0;
  for (const TensorRef& t : (*f)->tensors()) {
    total += static_cast<int64_t>(*CheckedNumel(t.shape));
    std::vector<float> v(t.nbytes / 4);
    ASSERT_TRUE(DequantizeToF32(t, v.data()).ok());
    for (float x : v) ASSERT_TRUE(std::isfinite(x)) << t.name;
  }
  EXPECT_EQ(total, c.ParameterCount());
  // RMSNorm gains of a trained model are not the zero or garbage a misaligned read would give.
  std::vector<float> g(64);
  ASSERT_TRUE(DequantizeToF32(**(*f)->Get("model.norm.weight"), g.data()).ok());
  for (float x : g) EXPECT_GT(std::fabs(x), 0.01f);
}

TEST(Llama2cRealFileTest, Stories260KSampledTruncations) {
  const std::string path = kShared + "/models/stories260K/stories260K.bin";
  WARDEN_NEED_SHARED(path);
  const std::string full = *ReadFileToString(path);
  for (size_t n = 0; n < full.size(); n += full.size() / 97 + 1) {
    Status st = ParseString(full.substr(0, n)).status();
    ASSERT_FALSE(st.ok()) << n;
  }
}

}  // namespace
}  // namespace warden::engine
