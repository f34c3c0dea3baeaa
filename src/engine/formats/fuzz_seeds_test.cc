// The seed corpora of the format fuzzers (fuzz/corpus/<target>/), built by the same builders the
// tests use, so seeds stay valid as the formats evolve. Every run builds them and checks that
// each parses (a stale seed fails here rather than in the fuzzer), into a scratch directory; to
// rewrite the committed corpus, name it:
//   WARDEN_WRITE_FUZZ_SEEDS=$PWD/fuzz/corpus build/.../engine_formats_test --gtest_filter='FuzzSeeds.*'
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "engine/formats/gguf_test_writer.h"
#include "warden/engine/gguf.h"
#include "warden/engine/llama2c.h"
#include "warden/engine/model_config.h"
#include "warden/engine/safetensors.h"

namespace warden::engine {
namespace {

using testing::GgufBuilder;

std::string F32s(std::vector<float> v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * 4);
}

class FuzzSeeds : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* dir = std::getenv("WARDEN_WRITE_FUZZ_SEEDS");
    scratch_ = dir == nullptr;
    root_ = scratch_ ? std::filesystem::path(::testing::TempDir()) /
                           ("warden_fuzz_seeds_" + std::to_string(::getpid()))
                     : std::filesystem::path(dir);
    std::filesystem::create_directories(root_);
  }
  void TearDown() override {
    if (scratch_) std::filesystem::remove_all(root_);
  }
  void Write(const std::string& target, const std::string& name, const std::string& bytes) {
    std::filesystem::create_directories(root_ / target);
    ASSERT_TRUE(WriteFileAtomic((root_ / target / name).string(), bytes).ok());
  }
  std::filesystem::path root_;
  bool scratch_ = true;  // not asked to write the corpus: seeds go to a directory removed afterwards
};

TEST_F(FuzzSeeds, Gguf) {
  GgufBuilder llama;
  llama.String("general.architecture", "llama")
      .U32("llama.context_length", 64)
      .U32("llama.embedding_length", 4)
      .U32("llama.block_count", 1)
      .U32("llama.feed_forward_length", 8)
      .U32("llama.attention.head_count", 2)
      .U32("llama.attention.head_count_kv", 1)
      .F32("llama.attention.layer_norm_rms_epsilon", 1e-5f)
      .F32("llama.rope.freq_base", 10000.f)
      .U32("llama.rope.dimension_count", 2)
      .String("tokenizer.ggml.model", "llama")
      .StringArray("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>", "a"})
      .NumberArray<float>("tokenizer.ggml.scores", GgufBuilder::kF32, {0, 0, 0, -1})
      .NumberArray<int32_t>("tokenizer.ggml.token_type", GgufBuilder::kI32, {2, 3, 3, 1})
      .U32("tokenizer.ggml.bos_token_id", 1)
      .U32("tokenizer.ggml.eos_token_id", 2);
  Write("gguf_fuzz", "vocab-only", llama.Build());
  llama.Tensor("token_embd.weight", 0, {4, 4}, F32s(std::vector<float>(16, 0.5f)))
      .Tensor("blk.0.attn_q.weight", 1, {4, 4}, std::string(32, '\x3c'))
      .Tensor("blk.0.ffn_up.weight", 8, {32, 1}, std::string(34, '\x11'))
      .Tensor("blk.0.ffn_down.weight", 2, {32, 1}, std::string(18, '\x22'))
      .Tensor("output_norm.weight", 30, {4}, std::string(8, '\x3f'))
      .Tensor("output.weight", 0, {4, 4}, F32s(std::vector<float>(16, -1.f)));
  Write("gguf_fuzz", "llama-mixed-types", llama.Build());
  GgufBuilder v2(2);
  v2.U32("general.alignment", 64)
      .Alignment(64)
      .String("general.architecture", "gpt2")
      .Bool("b", true)
      .Raw("u8", GgufBuilder::kU8, "\x07")
      .Raw("f64", GgufBuilder::kF64, std::string(8, '\x40'))
      .U64("u64", 5)
      .Raw("i64", GgufBuilder::kI64, std::string(8, '\xff'))
      .Tensor("a", 26, {2}, std::string(8, '\x01'))
      .Tensor("b", 27, {1, 1}, std::string(8, '\x02'))
      .Tensor("c", 24, {3}, "xyz")
      .Tensor("d", 25, {1}, "zz")
      .Tensor("e", 28, {1}, std::string(8, '\0'));
  Write("gguf_fuzz", "v2-align64-ints", v2.Build());
  for (const auto& entry : std::filesystem::directory_iterator(root_ / "gguf_fuzz")) {
    auto f = GgufFile::Open(entry.path().string());
    EXPECT_TRUE(f.ok()) << f.status().ToString();
  }
}

TEST_F(FuzzSeeds, Safetensors) {
  const std::string tmp = (root_ / "tmp.seed").string();
  const std::vector<float> f = {1, 2, 3, 4, 5, 6};
  const std::vector<uint16_t> h = {0x3c00, 0xc000, 0x7c00, 0x0001};
  const std::vector<int64_t> i = {-1, 1};
  const std::vector<uint8_t> b = {1, 0, 1};
  ASSERT_TRUE(WriteSafetensors(tmp,
                               {{"w", DType::kF32, {2, 3}, f.data(), 24},
                                {"h", DType::kF16, {2, 2}, h.data(), 8},
                                {"bf", DType::kBF16, {4}, h.data(), 8},
                                {"i", DType::kI64, {2}, i.data(), 16},
                                {"b", DType::kBool, {3}, b.data(), 3},
                                {"u", DType::kU8, {1, 3}, b.data(), 3},
                                {"e", DType::kF32, {0}, nullptr, 0}},
                               {{"format", "pt"}})
                  .ok());
  Write("safetensors_fuzz", "mixed-types", *ReadFileToString(tmp));
  ASSERT_TRUE(WriteSafetensors(tmp, {}).ok());
  Write("safetensors_fuzz", "empty", *ReadFileToString(tmp));
  ASSERT_TRUE(WriteSafetensors(tmp, {{"x", DType::kF64, {1}, f.data(), 8}}).ok());
  Write("safetensors_fuzz", "one-f64", *ReadFileToString(tmp));
  std::filesystem::remove(tmp);
}

std::string Llama2c(std::vector<int32_t> header, size_t floats) {
  std::string out(reinterpret_cast<const char*>(header.data()), header.size() * 4);
  for (size_t k = 0; k < floats; ++k) {
    const float x = 0.01f * static_cast<float>(k % 100);
    out.append(reinterpret_cast<const char*>(&x), 4);
  }
  return out;
}

TEST_F(FuzzSeeds, Llama2c) {
  // dim 4, hidden 4, 1 layer, 2 heads, 1 kv head, vocab 3, seq 2: 12 + 104 + 4 + 4 floats.
  const std::string shared = Llama2c({4, 4, 1, 2, 1, 3, 2}, 124);
  const std::string unshared = Llama2c({4, 4, 1, 2, 1, -3, 2}, 136);
  for (const std::string* s : {&shared, &unshared}) {
    auto f = Llama2cFile::Parse(reinterpret_cast<const uint8_t*>(s->data()), s->size(), "seed");
    ASSERT_TRUE(f.ok()) << f.status().ToString();
  }
  Write("llama2c_fuzz", "shared-classifier", shared);
  Write("llama2c_fuzz", "unshared-classifier", unshared);
}

TEST_F(FuzzSeeds, HfConfig) {
  const char* configs[] = {
      R"({"architectures":["LlamaForCausalLM"],"model_type":"llama","vocab_size":32000,"hidden_size":4096,
"intermediate_size":11008,"num_hidden_layers":32,"num_attention_heads":32,"num_key_value_heads":32,
"max_position_embeddings":4096,"rms_norm_eps":1e-05,"rope_scaling":null,"tie_word_embeddings":false,
"bos_token_id":1,"eos_token_id":2,"hidden_act":"silu","torch_dtype":"float16"})",
      R"({"architectures":["Qwen2ForCausalLM"],"model_type":"qwen2","vocab_size":151936,"hidden_size":896,
"intermediate_size":4864,"num_hidden_layers":24,"num_attention_heads":14,"num_key_value_heads":2,
"max_position_embeddings":131072,"rms_norm_eps":1e-06,"rope_theta":1000000.0,"sliding_window":131072,
"use_sliding_window":false,"tie_word_embeddings":true,"bos_token_id":151643,"eos_token_id":[151643,151645]})",
      R"({"activation_function":"gelu_new","architectures":["GPT2LMHeadModel"],"model_type":"gpt2",
"vocab_size":50257,"n_embd":768,"n_layer":12,"n_head":12,"n_positions":1024,"n_ctx":1024,"n_inner":null,
"layer_norm_epsilon":1e-05,"bos_token_id":50256,"eos_token_id":50256})",
      R"({"architectures":["MistralForCausalLM"],"vocab_size":100,"hidden_size":64,"num_hidden_layers":2,
"num_attention_heads":4,"num_key_value_heads":2,"head_dim":32,"intermediate_size":128,
"max_position_embeddings":256,"sliding_window":128,"rope_scaling":{"rope_type":"default"}})",
  };
  int n = 0;
  for (const char* text : configs) {
    auto c = ModelConfig::FromHfConfigJson(text, "seed");
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    Write("hf_config_fuzz", "config-" + std::to_string(n++), text);
    Write("hf_config_fuzz", "config-" + std::to_string(n++), c->ToHfConfigJson().dump(1));
  }
}

}  // namespace
}  // namespace warden::engine
