// SentencePiece and byte-level BPE tokenizers loaded from GGUF: behaviour beyond the vectors
// (round trips, special tokens, streaming, threads) and errors on malformed metadata.
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "engine/formats/gguf_test_writer.h"
#include "engine/tokenizer/test_util.h"

namespace warden::engine {
namespace {

using testing::AwkwardStrings;
using testing::GgufBuilder;
using testing::VectorsPath;
using testing::LoadVectorsTokenizer;
using testing::VectorStrings;

class AllVocabsTest : public ::testing::TestWithParam<const char*> {};

TEST_P(AllVocabsTest, DecodeInvertsEncode) {
  WARDEN_NEED_SHARED(VectorsPath(GetParam()));
  auto tok = LoadVectorsTokenizer(GetParam());
  ASSERT_NE(tok, nullptr);
  for (const std::string& s : VectorStrings(GetParam())) {
    EXPECT_EQ(tok->Decode(tok->Encode(s, {/*add_bos=*/false})), s) << GetParam() << ": '" << s << "'";
    EXPECT_EQ(tok->Decode(tok->Encode(s, {/*add_bos=*/true}), /*skip_special=*/true), s) << GetParam();
  }
}

// Invalid UTF-8 and other odd input encode without trouble. Whether it decodes back exactly
// depends on the vocabulary: gpt-2 has a token for every byte and llama-spm/phi-3 have all 256
// "<0xNN>" tokens, but starcoder and falcon lack tokens for some bytes (0xC0, 0xFF, falcon
// even '\v'), and deepseek-coder's only token for byte 0xFF is the user-defined text "ÿ".
TEST_P(AllVocabsTest, AwkwardInputIsSafe) {
  WARDEN_NEED_SHARED(VectorsPath(GetParam()));
  auto tok = LoadVectorsTokenizer(GetParam());
  ASSERT_NE(tok, nullptr);
  const std::string name = GetParam();
  const bool byte_complete = name == "gpt-2" || name == "llama-spm" || name == "phi-3";
  for (const std::string& s : AwkwardStrings()) {
    for (bool parse_special : {false, true}) {
      const std::vector<int32_t> ids = tok->Encode(s, {/*add_bos=*/false, parse_special});
      for (int32_t id : ids) ASSERT_TRUE(id >= 0 && id < tok->vocab_size());
      if (byte_complete) EXPECT_EQ(tok->Decode(ids), s) << name;
    }
  }
}

TEST_P(AllVocabsTest, TokenBytesConcatenateToDecode) {
  WARDEN_NEED_SHARED(VectorsPath(GetParam()));
  auto tok = LoadVectorsTokenizer(GetParam());
  ASSERT_NE(tok, nullptr);
  for (const std::string& s : VectorStrings(GetParam())) {
    const std::vector<int32_t> ids = tok->Encode(s, {/*add_bos=*/true});
    std::string streamed;
    Utf8Streamer streamer;
    int32_t prev = -1;
    for (int32_t id : ids) {
      if (id != tok->bos_id()) streamed += streamer.Push(tok->TokenBytes(id, prev));
      prev = id;
    }
    streamed += streamer.Flush();
    EXPECT_EQ(streamed, tok->Decode(ids, /*skip_special=*/true)) << GetParam() << ": '" << s << "'";
  }
}

TEST_P(AllVocabsTest, EncodeIsThreadSafe) {
  WARDEN_NEED_SHARED(VectorsPath(GetParam()));
  auto tok = LoadVectorsTokenizer(GetParam());
  ASSERT_NE(tok, nullptr);
  const std::vector<std::string> strings = VectorStrings(GetParam());
  const std::vector<std::string> want = TokenizeVocabTestStrings(*tok, strings);
  std::vector<std::vector<std::string>> got(4);
  std::vector<std::thread> threads;
  for (auto& g : got) threads.emplace_back([&] { g = TokenizeVocabTestStrings(*tok, strings); });
  for (auto& t : threads) t.join();
  for (const auto& g : got) EXPECT_EQ(g, want);
}

INSTANTIATE_TEST_SUITE_P(Gguf, AllVocabsTest,
                         ::testing::Values("gpt-2", "llama-spm", "phi-3", "deepseek-coder", "starcoder", "falcon"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           std::string name = info.param;
                           for (char& c : name) c = c == '-' ? '_' : c;
                           return name;
                         });

TEST(GgufTokenizerTest, LlamaSpmBasics) {
  WARDEN_NEED_SHARED(VectorsPath("llama-spm"));
  auto tok = LoadVectorsTokenizer("llama-spm");
  ASSERT_NE(tok, nullptr);
  EXPECT_EQ(tok->kind(), "spm");
  EXPECT_EQ(tok->vocab_size(), 32000);
  EXPECT_EQ(tok->bos_id(), 1);
  EXPECT_EQ(tok->eos_id(), 2);
  EXPECT_TRUE(tok->add_bos_by_default());
  EXPECT_EQ(tok->Encode("Hello world", {}), (std::vector<int32_t>{1, 15043, 3186}));
  EXPECT_EQ(tok->Encode("", {}), (std::vector<int32_t>{1}));
  // Control tokens are text unless parse_special; then the text after one gets the dummy prefix.
  EXPECT_EQ(tok->Encode("</s>Hello", {false, true}), (std::vector<int32_t>{2, 15043}));
  EXPECT_NE(tok->Encode("</s>Hello", {false, false}).front(), 2);
  EXPECT_EQ(tok->SpecialTokenId("</s>"), 2);
  EXPECT_EQ(tok->SpecialTokenId("Hello"), std::nullopt);
  EXPECT_EQ(tok->TokenBytes(15043, /*prev=*/1), "Hello");
  EXPECT_EQ(tok->TokenBytes(15043, /*prev=*/3186), " Hello");
  EXPECT_EQ(tok->Decode({1, 15043, 2}), "<s>Hello</s>");
  EXPECT_EQ(tok->Decode({1, 15043, 2}, /*skip_special=*/true), "Hello");
}

TEST(GgufTokenizerTest, Phi3SpecialTokensStripTheWhitespaceAfterThem) {
  WARDEN_NEED_SHARED(VectorsPath("phi-3"));
  auto tok = LoadVectorsTokenizer("phi-3");
  ASSERT_NE(tok, nullptr);
  const int32_t user = tok->SpecialTokenId("<|user|>").value();
  const int32_t end = tok->SpecialTokenId("<|end|>").value();
  const std::vector<int32_t> ids = tok->Encode("<|user|>\nHi<|end|>\n", {false, true});
  ASSERT_GE(ids.size(), 3u);
  EXPECT_EQ(ids.front(), user);
  EXPECT_EQ(ids.back(), end);  // the "\n" after <|end|> was stripped, as llama.cpp does for Phi-3
  EXPECT_EQ(tok->Encode("<|user|>Hi", {false, true}), tok->Encode("<|user|>\n Hi", {false, true}));
}

TEST(GgufTokenizerTest, BytePairBasics) {
  WARDEN_NEED_SHARED(VectorsPath("gpt-2"));
  auto tok = LoadVectorsTokenizer("gpt-2");
  ASSERT_NE(tok, nullptr);
  EXPECT_EQ(tok->kind(), "bpe");
  EXPECT_EQ(tok->bos_id(), 50256);
  EXPECT_FALSE(tok->add_bos_by_default());
  EXPECT_EQ(tok->Encode("Hello world", {}), (std::vector<int32_t>{15496, 995}));
  EXPECT_EQ(tok->Encode("a<|endoftext|>b", {false, true}), (std::vector<int32_t>{64, 50256, 65}));
  const std::vector<int32_t> plain = tok->Encode("<|endoftext|>", {false, false});
  EXPECT_EQ(std::count(plain.begin(), plain.end(), 50256), 0);  // plain text
  EXPECT_EQ(tok->Decode(plain), "<|endoftext|>");
  EXPECT_EQ(tok->Decode({15496, 50256, 995}, /*skip_special=*/true), "Hello world");
  EXPECT_EQ(tok->TokenBytes(995), " world");
}

TEST(GgufTokenizerTest, UserDefinedTokensMatchWithoutParseSpecial) {
  WARDEN_NEED_SHARED(VectorsPath("deepseek-coder"));
  auto tok = LoadVectorsTokenizer("deepseek-coder");
  ASSERT_NE(tok, nullptr);
  EXPECT_EQ(tok->Encode("F\xc3\xbchrer", {false, false}), (std::vector<int32_t>{37, 32009, 71, 6247}));
  EXPECT_TRUE(tok->add_bos_by_default());
  EXPECT_EQ(tok->Encode("x", {true, false}).front(), 32013);
}

TEST(GgufTokenizerTest, TinyRandomLlamaModelCarriesTheLlama2Vocabulary) {
  const std::string path = ::warden::test::SharedPath("models/tiny-random-gguf/llama-2-tiny-random.gguf");
  WARDEN_NEED_SHARED(path);
  auto tok = LoadTokenizer(path);
  ASSERT_TRUE(tok.ok()) << tok.status().ToString();
  EXPECT_EQ((*tok)->kind(), "spm");
  EXPECT_EQ((*tok)->vocab_size(), 32000);
  EXPECT_EQ((*tok)->Encode("Hello world", {}), (std::vector<int32_t>{1, 15043, 3186}));
}

TEST(GgufTokenizerTest, EndOfTurnTokensAreAlwaysControl) {
  // "<|im_end|>" stored as user-defined (type 4) still is not matched in plain text.
  auto bytes = GgufBuilder()
                   .String("tokenizer.ggml.model", "gpt2")
                   .StringArray("tokenizer.ggml.tokens", {"a", "<|im_end|>"})
                   .NumberArray("tokenizer.ggml.token_type", GgufBuilder::kI32, std::vector<int32_t>{1, 4})
                   .StringArray("tokenizer.ggml.merges", {})
                   .Build();
  auto gguf = GgufFile::Parse(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "v.gguf");
  ASSERT_TRUE(gguf.ok()) << gguf.status().ToString();
  auto tok = LoadGgufTokenizer(**gguf);
  ASSERT_TRUE(tok.ok()) << tok.status().ToString();
  EXPECT_EQ((*tok)->Encode("a<|im_end|>", {false, false}), (std::vector<int32_t>{0}));
  EXPECT_EQ((*tok)->Encode("a<|im_end|>", {false, true}), (std::vector<int32_t>{0, 1}));
}

TEST(GgufTokenizerTest, EncodeSpansOnlyTrustsTrustedText) {
  WARDEN_NEED_SHARED(VectorsPath("gpt-2"));
  auto tok = LoadVectorsTokenizer("gpt-2");
  ASSERT_NE(tok, nullptr);
  const std::vector<int32_t> ids =
      tok->EncodeSpans({{"<|endoftext|>", true}, {"x<|endoftext|>", false}, {"<|endoftext|>", true}}, false);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), 50256), 2);
  EXPECT_EQ(ids.front(), 50256);
  EXPECT_EQ(ids.back(), 50256);
  // A special token straddling a trusted and an untrusted span is not matched either.
  const std::vector<int32_t> split = tok->EncodeSpans({{"<|endof", true}, {"text|>", false}}, false);
  EXPECT_EQ(std::count(split.begin(), split.end(), 50256), 0);
  EXPECT_EQ(tok->Decode(split), "<|endoftext|>");
}

// A GGUF vocabulary with the given keys; tokens/merges/types are set by the test.
std::string TinyBpe(const std::vector<std::string>& tokens, const std::vector<std::string>& merges,
                    const std::vector<int32_t>& types, const std::string& pre = "gpt-2") {
  GgufBuilder b;
  b.String("tokenizer.ggml.model", "gpt2").String("tokenizer.ggml.pre", pre).StringArray("tokenizer.ggml.tokens", tokens);
  if (!merges.empty()) b.StringArray("tokenizer.ggml.merges", merges);
  if (!types.empty()) b.NumberArray("tokenizer.ggml.token_type", GgufBuilder::kI32, types);
  return b.Build();
}

Result<std::unique_ptr<Tokenizer>> LoadFromBytes(const std::string& bytes) {
  WARDEN_ASSIGN_OR_RETURN(auto gguf, GgufFile::Parse(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "v.gguf"));
  return LoadGgufTokenizer(*gguf);
}

void ExpectError(const std::string& bytes, const std::string& needle) {
  auto tok = LoadFromBytes(bytes);
  ASSERT_FALSE(tok.ok()) << "expected an error containing '" << needle << "'";
  EXPECT_NE(tok.status().message().find(needle), std::string::npos) << tok.status().ToString();
  EXPECT_NE(tok.status().message().find("v.gguf"), std::string::npos) << tok.status().ToString();
}

TEST(GgufTokenizerTest, TinyVocabularyWorks) {
  auto tok = LoadFromBytes(TinyBpe({"a", "b", "ab", "\xc4\xa0", "\xc4\xa0" "ab"}, {"a b", "\xc4\xa0 ab"}, {}));
  ASSERT_TRUE(tok.ok()) << tok.status().ToString();
  EXPECT_EQ((*tok)->Encode("ab ab", {}), (std::vector<int32_t>{2, 4}));
  EXPECT_EQ((*tok)->Decode({2, 4}), "ab ab");
  EXPECT_EQ((*tok)->Encode("abc", {}), (std::vector<int32_t>{2}));  // 'c' has no token: dropped
}

TEST(GgufTokenizerTest, MalformedVocabulariesNameTheField) {
  ExpectError(TinyBpe({"a", "b"}, {"a c"}, {}), "tokenizer.ggml.merges[0]");
  ExpectError(TinyBpe({"a", "b"}, {"a c"}, {}), "unknown token 'c'");
  ExpectError(TinyBpe({"a", "b"}, {"ab"}, {}), "not two tokens");
  ExpectError(TinyBpe({"a", "b"}, {"a b"}, {1}), "tokenizer.ggml.token_type has 1 entries for 2 tokens");
  ExpectError(TinyBpe({"a", "b"}, {"a b"}, {1, 9}), "tokenizer.ggml.token_type[1]");
  ExpectError(TinyBpe({"a", "a"}, {"a a"}, {}), "tokenizer.ggml.tokens[1]: duplicate");
  ExpectError(TinyBpe({"a", "b"}, {"a b"}, {}, "no-such-pre"), "no-such-pre");
  ExpectError(TinyBpe({"a", "b"}, {}, {}), "tokenizer.ggml.merges");
  ExpectError(GgufBuilder().String("general.name", "x").Build(), "tokenizer.ggml.model");
  ExpectError(GgufBuilder().String("tokenizer.ggml.model", "bert").Build(), "'bert'");
  ExpectError(GgufBuilder().String("tokenizer.ggml.model", "llama").Build(), "tokenizer.ggml.tokens");
  ExpectError(GgufBuilder()
                  .String("tokenizer.ggml.model", "llama")
                  .StringArray("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>"})
                  .NumberArray("tokenizer.ggml.scores", GgufBuilder::kF32, std::vector<float>{0, 0})
                  .Build(),
              "tokenizer.ggml.scores has 2 entries for 3 tokens");
  ExpectError(GgufBuilder()
                  .String("tokenizer.ggml.model", "llama")
                  .StringArray("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>"})
                  .U32("tokenizer.ggml.bos_token_id", 7)
                  .Build(),
              "tokenizer.ggml.bos_token_id = 7");
  ExpectError(GgufBuilder()
                  .String("tokenizer.ggml.model", "llama")
                  .StringArray("tokenizer.ggml.tokens", {"<unk>"})
                  .String("tokenizer.ggml.add_bos_token", "yes")
                  .Build(),
              "tokenizer.ggml.add_bos_token");
}

}  // namespace
}  // namespace warden::engine
