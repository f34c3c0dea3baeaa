#include "warden/engine/model_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "engine/formats/gguf_test_writer.h"
#include "testing/shared_files.h"
#include "warden/engine/gguf.h"

namespace warden::engine {
namespace {

using ::testing::AllOf;
using testing::GgufBuilder;
using ::testing::HasSubstr;

const std::string kShared = WARDEN_SHARED_DIR;

// Abbreviated from the published config.json files of these models.
const char kLlama2_7b[] = R"({
  "architectures": ["LlamaForCausalLM"], "bos_token_id": 1, "eos_token_id": 2,
  "hidden_act": "silu", "hidden_size": 4096, "initializer_range": 0.02,
  "intermediate_size": 11008, "max_position_embeddings": 4096, "model_type": "llama",
  "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 32,
  "pretraining_tp": 1, "rms_norm_eps": 1e-05, "rope_scaling": null, "tie_word_embeddings": false,
  "torch_dtype": "float16", "transformers_version": "4.31.0.dev0", "use_cache": true,
  "vocab_size": 32000})";

const char kQwen2_05b[] = R"({
  "architectures": ["Qwen2ForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 151643,
  "eos_token_id": 151643, "hidden_act": "silu", "hidden_size": 896, "initializer_range": 0.02,
  "intermediate_size": 4864, "max_position_embeddings": 131072, "max_window_layers": 24,
  "model_type": "qwen2", "num_attention_heads": 14, "num_hidden_layers": 24,
  "num_key_value_heads": 2, "rms_norm_eps": 1e-06, "rope_theta": 1000000.0,
  "sliding_window": 131072, "tie_word_embeddings": true, "torch_dtype": "bfloat16",
  "use_cache": true, "use_sliding_window": false, "vocab_size": 151936})";

const char kGpt2[] = R"({
  "activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"],
  "attn_pdrop": 0.1, "bos_token_id": 50256, "embd_pdrop": 0.1, "eos_token_id": 50256,
  "initializer_range": 0.02, "layer_norm_epsilon": 1e-05, "model_type": "gpt2", "n_ctx": 1024,
  "n_embd": 768, "n_head": 12, "n_inner": null, "n_layer": 12, "n_positions": 1024,
  "resid_pdrop": 0.1, "vocab_size": 50257})";

const char kMistral7b[] = R"({
  "architectures": ["MistralForCausalLM"], "bos_token_id": 1, "eos_token_id": 2,
  "hidden_act": "silu", "hidden_size": 4096, "intermediate_size": 14336,
  "max_position_embeddings": 32768, "model_type": "mistral", "num_attention_heads": 32,
  "num_hidden_layers": 32, "num_key_value_heads": 8, "rms_norm_eps": 1e-05,
  "rope_theta": 10000.0, "sliding_window": 4096, "tie_word_embeddings": false,
  "vocab_size": 32000})";

ModelConfig Hf(const char* text) {
  Result<ModelConfig> c = ModelConfig::FromHfConfigJson(text, "config.json");
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? *c : ModelConfig();
}

TEST(ModelConfigTest, ArchNames) {
  for (Arch a : {Arch::kLlama, Arch::kQwen2, Arch::kGpt2}) EXPECT_EQ(*ArchFromName(ArchName(a)), a);
  EXPECT_EQ(ArchFromName("falcon").status().code(), StatusCode::kUnsupported);
  EXPECT_THAT(ArchFromName("falcon").status().message(), HasSubstr("'falcon'"));
}

TEST(ModelConfigTest, ParameterCountsOfPublishedModels) {
  EXPECT_EQ(Hf(kGpt2).ParameterCount(), 124439808);  // GPT-2 small
  EXPECT_EQ(Hf(kLlama2_7b).ParameterCount(), 6738415616);
  EXPECT_EQ(Hf(kQwen2_05b).ParameterCount(), 494032768);
  EXPECT_EQ(Hf(kMistral7b).ParameterCount(), 7241732096);
}

TEST(ModelConfigTest, ReadsLlama) {
  ModelConfig c = Hf(kLlama2_7b);
  EXPECT_EQ(c.arch, Arch::kLlama);
  EXPECT_EQ(c.vocab_size, 32000);
  EXPECT_EQ(c.d_model, 4096);
  EXPECT_EQ(c.n_layers, 32);
  EXPECT_EQ(c.n_heads, 32);
  EXPECT_EQ(c.n_kv_heads, 32);
  EXPECT_EQ(c.d_head, 128);
  EXPECT_EQ(c.d_mlp, 11008);
  EXPECT_EQ(c.n_ctx, 4096);
  EXPECT_DOUBLE_EQ(c.norm_eps, 1e-5);
  EXPECT_DOUBLE_EQ(c.rope_theta, 10000.0);
  EXPECT_FALSE(c.tied_embeddings);
  EXPECT_EQ(c.bos_token_id, 1);
  EXPECT_EQ(c.eos_token_id, 2);
}

TEST(ModelConfigTest, ReadsQwen2Gpt2AndMistral) {
  ModelConfig q = Hf(kQwen2_05b);
  EXPECT_EQ(q.arch, Arch::kQwen2);
  EXPECT_EQ(q.n_kv_heads, 2);
  EXPECT_EQ(q.d_head, 64);
  EXPECT_EQ(q.n_ctx, 131072) << "use_sliding_window is false";
  EXPECT_TRUE(q.tied_embeddings);
  EXPECT_DOUBLE_EQ(q.rope_theta, 1e6);
  ModelConfig g = Hf(kGpt2);
  EXPECT_EQ(g.arch, Arch::kGpt2);
  EXPECT_EQ(g.d_mlp, 4 * 768) << "n_inner null means 4 x n_embd";
  EXPECT_EQ(g.n_ctx, 1024);
  EXPECT_TRUE(g.tied_embeddings);
  EXPECT_EQ(g.eos_token_id, 50256);
  ModelConfig m = Hf(kMistral7b);
  EXPECT_EQ(m.arch, Arch::kLlama);
  EXPECT_EQ(m.n_kv_heads, 8);
  EXPECT_EQ(m.n_ctx, 4096) << "the sliding window bounds the context";
}

TEST(ModelConfigTest, ArchitecturesWithoutModelTypeAndEosLists) {
  ModelConfig c = Hf(R"({"architectures": ["MistralForCausalLM"], "vocab_size": 100,
    "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "head_dim": 32,
    "intermediate_size": 128, "max_position_embeddings": 256, "eos_token_id": [7, 8]})");
  EXPECT_EQ(c.arch, Arch::kLlama);
  EXPECT_EQ(c.d_head, 32) << "explicit head_dim wins";
  EXPECT_EQ(c.eos_token_id, 7);
  EXPECT_EQ(c.bos_token_id, -1);
  EXPECT_DOUBLE_EQ(c.norm_eps, 1e-6) << "transformers' LlamaConfig default";
}

void ExpectRoundTrip(const ModelConfig& c) {
  const std::string text = c.ToHfConfigJson().dump(2);
  ModelConfig r = Hf(text.c_str());
  EXPECT_EQ(r.arch, c.arch) << text;
  EXPECT_EQ(r.vocab_size, c.vocab_size);
  EXPECT_EQ(r.d_model, c.d_model);
  EXPECT_EQ(r.n_layers, c.n_layers);
  EXPECT_EQ(r.n_heads, c.n_heads);
  EXPECT_EQ(r.n_kv_heads, c.n_kv_heads);
  EXPECT_EQ(r.d_head, c.d_head);
  EXPECT_EQ(r.d_mlp, c.d_mlp);
  EXPECT_EQ(r.n_ctx, c.n_ctx);
  EXPECT_EQ(r.norm_eps, c.norm_eps) << "bit-exact through JSON";
  if (c.arch != Arch::kGpt2) EXPECT_EQ(r.rope_theta, c.rope_theta);
  EXPECT_EQ(r.tied_embeddings, c.tied_embeddings);
  EXPECT_EQ(r.bos_token_id, c.bos_token_id);
  EXPECT_EQ(r.eos_token_id, c.eos_token_id);
  EXPECT_EQ(r.ParameterCount(), c.ParameterCount());
}

TEST(ModelConfigTest, HfRoundTrip) {
  for (const char* text : {kLlama2_7b, kQwen2_05b, kGpt2, kMistral7b}) ExpectRoundTrip(Hf(text));
  ModelConfig odd = Hf(kLlama2_7b);
  odd.norm_eps = 1.0 / 3e5;
  odd.rope_theta = 500000.123;
  odd.tied_embeddings = true;
  odd.bos_token_id = -1;
  odd.d_head = 256;
  ExpectRoundTrip(odd);
  const nlohmann::json j = Hf(kQwen2_05b).ToHfConfigJson();
  EXPECT_EQ(j["architectures"][0], "Qwen2ForCausalLM");
  EXPECT_EQ(j["model_type"], "qwen2");
  EXPECT_EQ(j["torch_dtype"], "float32");
  EXPECT_EQ(Hf(kGpt2).ToHfConfigJson()["architectures"][0], "GPT2LMHeadModel");
}

void ExpectHfError(const std::string& text, StatusCode code, const std::string& needle) {
  Result<ModelConfig> c = ModelConfig::FromHfConfigJson(text, "cfg/config.json");
  ASSERT_FALSE(c.ok()) << "accepted; expected: " << needle;
  EXPECT_EQ(c.status().code(), code) << c.status().ToString();
  EXPECT_THAT(c.status().message(), AllOf(HasSubstr("cfg/config.json"), HasSubstr(needle)));
}

// kLlama2_7b with one field replaced (or removed when value is empty).
std::string Llama(const std::string& key, const std::string& value) {
  nlohmann::json j = nlohmann::json::parse(kLlama2_7b);
  if (value.empty()) {
    j.erase(key);
  } else {
    j[key] = nlohmann::json::parse(value);
  }
  return j.dump();
}

TEST(ModelConfigTest, HfErrorsNameTheField) {
  const auto kInvalid = StatusCode::kInvalidArgument;
  const auto kUnsupported = StatusCode::kUnsupported;
  ExpectHfError("{", kInvalid, "malformed JSON");
  ExpectHfError("[]", kInvalid, "not a JSON object");
  ExpectHfError("{}", kInvalid, "'model_type'");
  ExpectHfError(Llama("hidden_size", ""), kInvalid, "missing required field 'hidden_size'");
  ExpectHfError(Llama("vocab_size", ""), kInvalid, "'vocab_size'");
  ExpectHfError(Llama("hidden_size", R"("4096")"), kInvalid,
                "field 'hidden_size' is a JSON string");
  ExpectHfError(Llama("num_hidden_layers", "32.5"), kInvalid,
                "'num_hidden_layers' is a JSON number");
  ExpectHfError(Llama("rms_norm_eps", R"("1e-5")"), kInvalid, "'rms_norm_eps'");
  ExpectHfError(Llama("tie_word_embeddings", "1"), kInvalid,
                "'tie_word_embeddings' is a JSON integer");
  ExpectHfError(Llama("eos_token_id", R"("</s>")"), kInvalid, "'eos_token_id'");
  ExpectHfError(Llama("vocab_size", "18446744073709551615"), kInvalid, "out of range");
  ExpectHfError(Llama("num_attention_heads", "33"), kInvalid, "not a multiple of n_heads 33");
  ExpectHfError(Llama("num_key_value_heads", "5"), kInvalid, "n_kv_heads");
  ExpectHfError(Llama("vocab_size", "0"), kInvalid, "vocab_size is 0");
  ExpectHfError(Llama("hidden_size", "1000000"), kInvalid, "d_model");
  ExpectHfError(Llama("bos_token_id", "32000"), kInvalid, "bos_token_id");
  ExpectHfError(Llama("rms_norm_eps", "0"), kInvalid, "norm_eps");
  ExpectHfError(Llama("model_type", R"("falcon")"), kUnsupported, "model_type 'falcon'");
  ExpectHfError(Llama("rope_scaling", R"({"rope_type": "llama3", "factor": 8.0})"), kUnsupported,
                "rope_scaling of type 'llama3'");
  ExpectHfError(Llama("rope_scaling", R"({"type": "linear", "factor": 2.0})"), kUnsupported,
                "'linear'");
  ExpectHfError(Llama("rope_scaling", "3"), kInvalid, "'rope_scaling' is a JSON integer");
  ExpectHfError(Llama("hidden_act", R"("gelu")"), kUnsupported, "hidden_act 'gelu'");
  ExpectHfError(Llama("attention_bias", "true"), kUnsupported, "'attention_bias'");
  ExpectHfError(R"({"model_type": "gpt2", "n_embd": 8, "n_layer": 1, "n_head": 2, "n_positions": 4,
                    "vocab_size": 10, "activation_function": "relu"})",
                kUnsupported, "activation_function 'relu'");
  ExpectHfError(R"({"architectures": ["BertModel"]})", kUnsupported, "'BertModel'");
  ExpectHfError(R"({"architectures": "LlamaForCausalLM"})", kInvalid, "'architectures'");
  ExpectHfError(R"({"model_type": "llama", "model_type": "gpt2"})", kInvalid, "duplicate key");
}

TEST(ModelConfigTest, ValidateCatchesEachField) {
  ModelConfig good = Hf(kLlama2_7b);
  ASSERT_TRUE(good.Validate().ok());
  auto expect = [&](auto mutate, const char* needle) {
    ModelConfig c = good;
    mutate(c);
    EXPECT_THAT(c.Validate().message(), HasSubstr(needle));
  };
  expect([](ModelConfig& c) { c.n_layers = 0; }, "n_layers");
  expect([](ModelConfig& c) { c.n_layers = 5000; }, "n_layers");
  expect([](ModelConfig& c) { c.d_mlp = -1; }, "d_mlp");
  expect([](ModelConfig& c) { c.d_mlp = int64_t{1} << 21; }, "d_mlp");
  expect([](ModelConfig& c) { c.n_ctx = int64_t{1} << 23; }, "n_ctx");
  expect([](ModelConfig& c) { c.vocab_size = int64_t{1} << 23; }, "vocab_size");
  expect([](ModelConfig& c) { c.d_head = 0; }, "d_head");
  expect([](ModelConfig& c) { c.d_head = 127; }, "odd");
  expect([](ModelConfig& c) { c.rope_theta = -1; }, "rope_theta");
  expect([](ModelConfig& c) { c.eos_token_id = -2; }, "eos_token_id");
  expect(
      [](ModelConfig& c) {
        c.arch = Arch::kQwen2;
        c.d_head = 64;
      },
      "d_head 64 is not d_model / n_heads");
  expect(
      [](ModelConfig& c) {
        c.arch = Arch::kGpt2;
        c.n_kv_heads = 8;
      },
      "grouped-query");
}

// --- GGUF ---

GgufBuilder LlamaGguf() {
  GgufBuilder b;
  b.String("general.architecture", "llama")
      .U32("llama.context_length", 128)
      .U32("llama.embedding_length", 16)
      .U32("llama.block_count", 2)
      .U32("llama.feed_forward_length", 40)
      .U32("llama.attention.head_count", 4)
      .U32("llama.attention.head_count_kv", 2)
      .F32("llama.attention.layer_norm_rms_epsilon", 1e-5f)
      .F32("llama.rope.freq_base", 500000.f)
      .U32("llama.rope.dimension_count", 4)
      .StringArray("tokenizer.ggml.tokens", {"a", "b", "c"})
      .U32("tokenizer.ggml.bos_token_id", 1)
      .U32("tokenizer.ggml.eos_token_id", 2);
  return b;
}

Result<ModelConfig> FromGgufBytes(const std::string& bytes) {
  auto f = GgufFile::Parse(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "m.gguf");
  if (!f.ok()) return f.status();
  return ModelConfig::FromGguf(**f);
}

TEST(ModelConfigGgufTest, ReadsLlamaKeys) {
  auto c = FromGgufBytes(LlamaGguf().Build());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->arch, Arch::kLlama);
  EXPECT_EQ(c->n_ctx, 128);
  EXPECT_EQ(c->d_model, 16);
  EXPECT_EQ(c->n_layers, 2);
  EXPECT_EQ(c->d_mlp, 40);
  EXPECT_EQ(c->n_heads, 4);
  EXPECT_EQ(c->n_kv_heads, 2);
  EXPECT_EQ(c->d_head, 4);
  EXPECT_EQ(c->vocab_size, 3) << "from tokenizer.ggml.tokens";
  EXPECT_DOUBLE_EQ(c->rope_theta, 500000.0);
  EXPECT_FLOAT_EQ(static_cast<float>(c->norm_eps), 1e-5f);
  EXPECT_TRUE(c->tied_embeddings) << "no output.weight";
  EXPECT_EQ(c->bos_token_id, 1);
  EXPECT_EQ(c->eos_token_id, 2);
}

TEST(ModelConfigGgufTest, VocabSourcesAndUntiedOutput) {
  GgufBuilder b = LlamaGguf();
  b.U32("llama.vocab_size", 3);
  EXPECT_EQ(FromGgufBytes(b.Build())->vocab_size, 3);
  GgufBuilder rows;
  rows.String("general.architecture", "gpt2")
      .U32("gpt2.context_length", 8)
      .U32("gpt2.embedding_length", 4)
      .U32("gpt2.block_count", 1)
      .U32("gpt2.feed_forward_length", 16)
      .U32("gpt2.attention.head_count", 2)
      .F32("gpt2.attention.layer_norm_epsilon", 1e-5f)
      .Tensor("token_embd.weight", 0, {4, 6}, std::string(96, '\0'))
      .Tensor("output.weight", 0, {4, 6}, std::string(96, '\0'));
  auto c = FromGgufBytes(rows.Build());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->vocab_size, 6) << "from the embedding rows";
  EXPECT_EQ(c->arch, Arch::kGpt2);
  EXPECT_TRUE(c->tied_embeddings) << "GPT-2 is always tied";
}

TEST(ModelConfigGgufTest, Errors) {
  auto expect = [](const std::string& bytes, StatusCode code, const std::string& needle) {
    Status st = FromGgufBytes(bytes).status();
    ASSERT_FALSE(st.ok()) << needle;
    EXPECT_EQ(st.code(), code) << st.ToString();
    EXPECT_THAT(st.message(), AllOf(HasSubstr("m.gguf"), HasSubstr(needle)));
  };
  expect(GgufBuilder().Build(), StatusCode::kNotFound, "general.architecture");
  expect(GgufBuilder().String("general.architecture", "falcon").Build(), StatusCode::kUnsupported,
         "'falcon'");
  expect(GgufBuilder().String("general.architecture", "llama").Build(), StatusCode::kNotFound,
         "llama.context_length");
  expect(LlamaGguf().U32("llama.rope.dimension_count", 2).Build(), StatusCode::kCorrupt,
         "duplicate metadata key");
  GgufBuilder partial;
  partial.String("general.architecture", "llama")
      .U32("llama.context_length", 128)
      .U32("llama.embedding_length", 16)
      .U32("llama.block_count", 2)
      .U32("llama.feed_forward_length", 40)
      .U32("llama.attention.head_count", 4)
      .F32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
  GgufBuilder p1 = partial;
  expect(p1.U32("llama.rope.dimension_count", 2).Build(), StatusCode::kUnsupported,
         "partial rotary");
  GgufBuilder p2 = partial;
  expect(p2.String("llama.rope.scaling.type", "yarn").Build(), StatusCode::kUnsupported, "'yarn'");
  GgufBuilder p3 = partial;
  expect(p3.String("llama.attention.head_count_kv", "2").Build(), StatusCode::kInvalidArgument,
         "head_count_kv");
  GgufBuilder p4 = partial;
  expect(p4.U32("llama.attention.head_count_kv", 3).U32("llama.vocab_size", 10).Build(),
         StatusCode::kCorrupt, "n_kv_heads");
  expect(partial.Build(), StatusCode::kCorrupt, "vocab_size is 0");
}

TEST(ModelConfigGgufTest, TinyRandomLlama) {
  const std::string path = kShared + "/models/tiny-random-gguf/llama-2-tiny-random.gguf";
  WARDEN_NEED_SHARED(path);
  auto f = GgufFile::Open(path);
  ASSERT_TRUE(f.ok());
  auto c = ModelConfig::FromGguf(**f);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->vocab_size, 32000);
  EXPECT_EQ(c->d_model, 8);
  EXPECT_EQ(c->n_layers, 1);
  EXPECT_EQ(c->n_heads, 2);
  EXPECT_EQ(c->d_head, 4);
  EXPECT_EQ(c->d_mlp, 32);
  EXPECT_EQ(c->n_ctx, 4096);
  EXPECT_FALSE(c->tied_embeddings);
  int64_t total = 0;
  for (const TensorRef& t : (*f)->tensors()) total += static_cast<int64_t>(*CheckedNumel(t.shape));
  EXPECT_EQ(c->ParameterCount(), total);
}

}  // namespace
}  // namespace warden::engine
