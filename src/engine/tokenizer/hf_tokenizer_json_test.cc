// tokenizer.json support, proved on the llama.cpp vectors: no tokenizer.json ships with the
// shared files, so the tests write one from each GGUF vocabulary the way Hugging Face lays it
// out, load it, and require the same ids as the .out files.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "engine/tokenizer/test_util.h"

namespace warden::engine {
namespace {

using Json = nlohmann::json;
using testing::VectorsPath;
using testing::VectorStrings;

struct GgufVocab {
  std::vector<std::string> tokens;
  std::vector<double> scores;
  std::vector<double> types;
  std::vector<std::string> merges;
};

GgufVocab ReadGgufVocab(const std::string& name) {
  GgufVocab v;
  auto gguf = GgufFile::Open(VectorsPath(name));
  EXPECT_TRUE(gguf.ok());
  if (!gguf.ok()) return v;
  v.tokens = *(*gguf)->GetStringArray("tokenizer.ggml.tokens").value();
  v.types = *(*gguf)->GetNumberArray("tokenizer.ggml.token_type").value();
  if ((*gguf)->Find("tokenizer.ggml.scores")) v.scores = *(*gguf)->GetNumberArray("tokenizer.ggml.scores").value();
  if ((*gguf)->Find("tokenizer.ggml.merges")) v.merges = *(*gguf)->GetStringArray("tokenizer.ggml.merges").value();
  return v;
}

// model.vocab holds the normal (and byte) tokens; control and user-defined ones are
// added_tokens, special or not, as Hugging Face stores them.
Json BaseJson(const GgufVocab& v) {
  Json vocab = Json::object();
  Json added = Json::array();
  for (size_t i = 0; i < v.tokens.size(); ++i) {
    const int type = static_cast<int>(v.types[i]);
    if (type == 3 || type == 4) {
      added.push_back({{"id", i}, {"content", v.tokens[i]}, {"special", type == 3}, {"lstrip", false},
                       {"rstrip", false}, {"normalized", false}, {"single_word", false}});
    }
    vocab[v.tokens[i]] = i;
  }
  Json root;
  root["version"] = "1.0";
  root["added_tokens"] = added;
  root["normalizer"] = nullptr;
  root["post_processor"] = nullptr;
  root["model"] = {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr}, {"fuse_unk", false},
                   {"byte_fallback", false}, {"vocab", vocab}};
  return root;
}

Json ByteLevel(bool use_regex) {
  return {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", use_regex}};
}

Json SplitRegex(const std::string& re) {
  return {{"type", "Split"}, {"pattern", {{"Regex", re}}}, {"behavior", "Isolated"}, {"invert", false}};
}

// Byte-level tokenizer.json: merges as "a b" strings, or as [a, b] pairs (newer files).
Json ByteLevelJson(const GgufVocab& v, const Json& pre_tokenizer, bool pair_merges) {
  Json root = BaseJson(v);
  Json merges = Json::array();
  for (const std::string& m : v.merges) {
    const size_t space = m.find(' ', 1);
    if (pair_merges) {
      merges.push_back(Json::array({m.substr(0, space), m.substr(space + 1)}));
    } else {
      merges.push_back(m);
    }
  }
  root["model"]["merges"] = merges;
  root["pre_tokenizer"] = pre_tokenizer;
  root["decoder"] = ByteLevel(true);
  return root;
}

// The code point boundaries of a UTF-8 string.
std::vector<size_t> CharBoundaries(const std::string& s) {
  std::vector<size_t> cuts;
  for (size_t i = 1; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) cuts.push_back(i);
  }
  return cuts;
}

// What Hugging Face's LlamaConverter derives from a SentencePiece model: for every piece, each
// split into two pieces that are both in the vocabulary is a merge; merges are ordered by the
// whole piece's score (highest first), ties by the ids of the two halves.
Json SentencePieceMerges(const GgufVocab& v) {
  std::map<std::string, size_t> ids;
  for (size_t i = 0; i < v.tokens.size(); ++i) ids.emplace(v.tokens[i], i);
  struct M { std::string l, r; double score; size_t li, ri; };
  std::vector<M> merges;
  for (size_t i = 0; i < v.tokens.size(); ++i) {
    std::vector<M> local;
    for (size_t cut : CharBoundaries(v.tokens[i])) {
      auto l = ids.find(v.tokens[i].substr(0, cut));
      auto r = ids.find(v.tokens[i].substr(cut));
      if (l != ids.end() && r != ids.end()) local.push_back({l->first, r->first, v.scores[i], l->second, r->second});
    }
    std::sort(local.begin(), local.end(), [](const M& a, const M& b) { return std::tie(a.li, a.ri) < std::tie(b.li, b.ri); });
    merges.insert(merges.end(), local.begin(), local.end());
  }
  std::stable_sort(merges.begin(), merges.end(), [](const M& a, const M& b) { return a.score > b.score; });
  Json out = Json::array();
  for (const M& m : merges) out.push_back(m.l + " " + m.r);
  return out;
}

// Llama-2's tokenizer.json: Prepend/Replace normalizers, or (newer) a Metaspace pre-tokenizer.
Json SentencePieceJson(const GgufVocab& v, bool metaspace) {
  Json root = BaseJson(v);
  root["model"]["merges"] = SentencePieceMerges(v);
  root["model"]["byte_fallback"] = true;
  root["model"]["fuse_unk"] = true;
  root["model"]["unk_token"] = "<unk>";
  if (metaspace) {
    root["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", "\xE2\x96\x81"}, {"prepend_scheme", "first"}, {"split", false}};
  } else {
    root["pre_tokenizer"] = nullptr;
    root["normalizer"] = {{"type", "Sequence"},
                          {"normalizers", Json::array({{{"type", "Prepend"}, {"prepend", "\xE2\x96\x81"}},
                                                       {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", "\xE2\x96\x81"}}})}};
  }
  root["post_processor"] = {{"type", "TemplateProcessing"},
                            {"single", Json::array({{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}},
                                                    {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}})}};
  return root;
}

void ExpectVectorsMatch(const std::string& name, const Json& json) {
  auto tok = ParseHfTokenizerJson(json.dump(), name + "/tokenizer.json");
  ASSERT_TRUE(tok.ok()) << tok.status().ToString();
  auto expected = ReadVocabTestLines(VectorsPath(name) + ".out");
  ASSERT_TRUE(expected.ok());
  const std::vector<std::string> strings = VectorStrings(name);
  const std::vector<std::string> got = TokenizeVocabTestStrings(**tok, strings);
  ASSERT_EQ(got.size(), expected->size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i], (*expected)[i]) << name << " string " << i << ": '" << strings[i] << "'";
    EXPECT_EQ((*tok)->Decode((*tok)->Encode(strings[i], {false})), strings[i]);
  }
}

TEST(HfTokenizerJsonTest, Gpt2ByteLevel) {
  WARDEN_NEED_SHARED(VectorsPath("gpt-2"));
  const GgufVocab v = ReadGgufVocab("gpt-2");
  ExpectVectorsMatch("gpt-2", ByteLevelJson(v, ByteLevel(true), /*pair_merges=*/false));
  ExpectVectorsMatch("gpt-2", ByteLevelJson(v, ByteLevel(true), /*pair_merges=*/true));
}

TEST(HfTokenizerJsonTest, StarcoderDigitsThenByteLevel) {
  WARDEN_NEED_SHARED(VectorsPath("starcoder"));
  const Json pre = {{"type", "Sequence"},
                    {"pretokenizers", Json::array({{{"type", "Digits"}, {"individual_digits", true}}, ByteLevel(true)})}};
  ExpectVectorsMatch("starcoder", ByteLevelJson(ReadGgufVocab("starcoder"), pre, false));
}

TEST(HfTokenizerJsonTest, DeepseekCoderSplitSequence) {
  WARDEN_NEED_SHARED(VectorsPath("deepseek-coder"));
  const Json pre = {{"type", "Sequence"},
                    {"pretokenizers", Json::array({SplitRegex("[\r\n]"), SplitRegex("\\s?\\p{L}+"), SplitRegex("\\s?\\p{P}+"),
                                                   SplitRegex("[一-龥ࠀ-一가-퟿]+"),
                                                   {{"type", "Digits"}, {"individual_digits", true}}, ByteLevel(false)})}};
  ExpectVectorsMatch("deepseek-coder", ByteLevelJson(ReadGgufVocab("deepseek-coder"), pre, false));
}

TEST(HfTokenizerJsonTest, LlamaSentencePieceStyle) {
  WARDEN_NEED_SHARED(VectorsPath("llama-spm"));
  const GgufVocab v = ReadGgufVocab("llama-spm");
  ExpectVectorsMatch("llama-spm", SentencePieceJson(v, /*metaspace=*/false));
  ExpectVectorsMatch("llama-spm", SentencePieceJson(v, /*metaspace=*/true));
  auto tok = ParseHfTokenizerJson(SentencePieceJson(v, false).dump(), "llama.json");
  ASSERT_TRUE(tok.ok());
  EXPECT_EQ((*tok)->kind(), "spm");
  EXPECT_EQ((*tok)->bos_id(), 1);
  EXPECT_EQ((*tok)->eos_id(), 2);
  EXPECT_TRUE((*tok)->add_bos_by_default());  // from the TemplateProcessing post-processor
  EXPECT_EQ((*tok)->Encode("Hello world", {}), (std::vector<int32_t>{1, 15043, 3186}));
  EXPECT_EQ((*tok)->Encode("</s>Hi", {false, true}).front(), 2);
}

// A small hand-written byte-level file: "Ġ" is the mapped space.
const char* kTiny = R"({
  "added_tokens": [{"id": 5, "content": "<|end|>", "special": true}],
  "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": true, "use_regex": true},
  "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2, "Ġ": 3, "Ġab": 4},
            "merges": ["a b", "Ġ ab"]}
})";

TEST(HfTokenizerJsonTest, TinyFileWithPrefixSpaceAndSpecials) {
  auto tok = ParseHfTokenizerJson(kTiny, "tiny.json");
  ASSERT_TRUE(tok.ok()) << tok.status().ToString();
  EXPECT_EQ((*tok)->vocab_size(), 6);
  EXPECT_EQ((*tok)->Encode("ab", {}), (std::vector<int32_t>{4}));  // add_prefix_space
  EXPECT_EQ((*tok)->Encode("ab<|end|>ab", {false, true}), (std::vector<int32_t>{4, 5, 4}));
  EXPECT_EQ((*tok)->SpecialTokenId("<|end|>"), 5);
  EXPECT_EQ((*tok)->Decode({4, 5}, /*skip_special=*/true), " ab");
}

TEST(HfTokenizerJsonTest, LoadsFromDiskByContent) {
  const std::string path = ::testing::TempDir() + "/tokenizer.json";
  ASSERT_TRUE(WriteFileAtomic(path, "\xEF\xBB\xBF  " + std::string(kTiny)).ok());
  for (bool by_content : {false, true}) {
    auto tok = by_content ? LoadTokenizer(path) : LoadHfTokenizerJson(path);
    ASSERT_TRUE(tok.ok()) << tok.status().ToString();
    EXPECT_EQ((*tok)->kind(), "bpe");
    EXPECT_EQ((*tok)->Encode("ab", {}), (std::vector<int32_t>{4}));
  }
}

void ExpectError(const std::string& json, const std::string& needle) {
  auto tok = ParseHfTokenizerJson(json, "bad.json");
  ASSERT_FALSE(tok.ok()) << "expected an error containing '" << needle << "'";
  EXPECT_NE(tok.status().message().find(needle), std::string::npos) << tok.status().ToString();
  EXPECT_NE(tok.status().message().find("bad.json"), std::string::npos) << tok.status().ToString();
}

TEST(HfTokenizerJsonTest, MalformedFilesNameTheField) {
  Json tiny = Json::parse(kTiny);
  ExpectError("{\"model\": ", "parse error");
  ExpectError("[1, 2]", "not a JSON object");
  ExpectError(std::string(100, '[') + std::string(100, ']'), "nested deeper");
  ExpectError("{}", "model is missing");
  Json j = tiny;
  j["model"]["type"] = "Unigram";
  ExpectError(j.dump(), "Unigram");
  j = tiny;
  j["model"]["merges"][1] = "Ġ zz";
  ExpectError(j.dump(), "model.merges[1]: merge names unknown token 'zz'");
  j = tiny;
  j["model"]["merges"][0] = 7;
  ExpectError(j.dump(), "model.merges[0]");
  j = tiny;
  j["model"]["vocab"]["c"] = 2;
  ExpectError(j.dump(), "id 2 is both");
  j = tiny;
  j["model"]["vocab"]["c"] = -1;
  ExpectError(j.dump(), "model.vocab['c']");
  j = tiny;
  j["model"]["vocab"]["c"] = 4000000;
  ExpectError(j.dump(), "token ids run to 4000000");
  j = tiny;
  j["pre_tokenizer"] = {{"type", "Whitespace"}};
  ExpectError(j.dump(), "pre_tokenizer: pre-tokenizer 'Whitespace' is not supported");
  j = tiny;
  j["pre_tokenizer"] = {{"type", "Sequence"}, {"pretokenizers", Json::array({SplitRegex("(unclosed"), ByteLevel(false)})}};
  ExpectError(j.dump(), "does not compile");
  j = tiny;
  j["added_tokens"][0].erase("content");
  ExpectError(j.dump(), "added_tokens[0].content is missing");
  j = tiny;
  j["pre_tokenizer"] = nullptr;
  ExpectError(j.dump(), "neither a ByteLevel nor");
  EXPECT_FALSE(LoadHfTokenizerJson("/nonexistent/tokenizer.json").ok());
}

}  // namespace
}  // namespace warden::engine
