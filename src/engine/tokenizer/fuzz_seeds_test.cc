// The seed corpus of fuzz/tokenizer_fuzz.cc (fuzz/corpus/tokenizer_fuzz/). Every run builds it
// into a scratch directory; to rewrite the committed corpus, name it:
//   WARDEN_WRITE_FUZZ_SEEDS=$PWD/fuzz/corpus build/.../engine_tokenizer_test --gtest_filter='TokenizerFuzzSeeds.*'
// Each seed's first byte picks the fuzzer's target (0 llama2.c file, 1 tokenizer.json, 2..4 text
// for the built-in vocabularies); the file seeds are checked to parse before they are written.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "warden/base/file.h"
#include "warden/engine/tokenizer.h"

namespace warden::engine {
namespace {

using Json = nlohmann::json;

std::string Llama2cEntry(float score, const std::string& text) {
  std::string e(8, '\0');
  const int32_t len = static_cast<int32_t>(text.size());
  std::memcpy(&e[0], &score, 4);
  std::memcpy(&e[4], &len, 4);
  return e + text;
}

std::string SmallLlama2c() {
  const int32_t max_len = 6;
  std::string f(reinterpret_cast<const char*>(&max_len), 4);
  f += Llama2cEntry(0, "<unk>") + Llama2cEntry(0, "\n<s>\n") + Llama2cEntry(0, "\n</s>\n");
  for (const char* b : {"<0x00>", "<0x01>", "<0x02>", "<0x03>"}) f += Llama2cEntry(0, b);
  return f + Llama2cEntry(-1, " ") + Llama2cEntry(-2, "a") + Llama2cEntry(-3, " a");
}

Json ByteLevelJson() {
  const Json split_digits = {{"type", "Split"}, {"pattern", {{"Regex", "\\p{N}"}}}, {"behavior", "Isolated"}, {"invert", false}};
  return {{"added_tokens", {{{"id", 5}, {"content", "<|end|>"}, {"special", true}}}},
          {"pre_tokenizer", {{"type", "Sequence"},
                             {"pretokenizers", {split_digits, {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"use_regex", true}}}}}},
          {"post_processor", {{"type", "TemplateProcessing"},
                              {"single", {{{"SpecialToken", {{"id", "<|end|>"}}}}, {{"Sequence", {{"id", "A"}}}}}}}},
          {"model", {{"type", "BPE"}, {"vocab", {{"a", 0}, {"b", 1}, {"ab", 2}, {"\u0120", 3}, {"\u0120ab", 4}}},
                     {"merges", {"a b", {"\u0120", "ab"}}}}}};
}

Json SentencePieceJson() {
  const std::string ms = "\u2581";
  return {{"added_tokens", {{{"id", 0}, {"content", "<unk>"}, {"special", true}}}},
          {"normalizer", {{"type", "Sequence"},
                          {"normalizers", {{{"type", "Prepend"}, {"prepend", ms}},
                                           {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", ms}}}}}},
          {"model", {{"type", "BPE"}, {"byte_fallback", true}, {"unk_token", "<unk>"},
                     {"vocab", {{"<unk>", 0}, {"<0x41>", 1}, {ms, 2}, {"x", 3}, {ms + "x", 4}}}, {"merges", {ms + " x"}}}}};
}

TEST(TokenizerFuzzSeeds, Write) {
  const char* dir = std::getenv("WARDEN_WRITE_FUZZ_SEEDS");
  const std::filesystem::path scratch =
      std::filesystem::path(::testing::TempDir()) / ("warden_tokenizer_seeds_" + std::to_string(::getpid()));
  const std::filesystem::path root = (dir == nullptr ? scratch : std::filesystem::path(dir)) / "tokenizer_fuzz";
  std::filesystem::create_directories(root);
  auto write = [&](const std::string& name, char target, const std::string& bytes) {
    ASSERT_TRUE(WriteFileAtomic((root / name).string(), std::string(1, target) + bytes).ok());
  };
  ASSERT_TRUE(ParseLlama2cTokenizer(SmallLlama2c(), 0, "seed").ok());
  ASSERT_TRUE(ParseHfTokenizerJson(ByteLevelJson().dump(), "seed").ok());
  ASSERT_TRUE(ParseHfTokenizerJson(SentencePieceJson().dump(), "seed").ok());
  write("llama2c-small", 0, SmallLlama2c());
  write("json-bytelevel", 1, ByteLevelJson().dump());
  write("json-spm", 1, SentencePieceJson().dump());
  const std::vector<std::pair<std::string, std::string>> texts = {
      {"hello", "hello hello  world\n"},
      {"special", "a<|end|>b<tool>c<|end|"},
      {"utf8", "F\xc3\xbchrer \xf0\x9f\xa6\x99 \xd0\xbd\xd0\xb5\xd1\x89\xd0\xbe 3333 \xe2\x96\x81x"},
      {"invalid", "\xff\xfe\x80 \xe2\x82 \xed\xa0\x80 \xc0\xaf"},
      {"spaces", "   \t\t\n\n  x  "}};
  for (char target : {2, 3, 4}) {
    for (const auto& [name, text] : texts) write("text" + std::to_string(target) + "-" + name, target, text);
  }
  if (dir == nullptr) std::filesystem::remove_all(scratch);
}

}  // namespace
}  // namespace warden::engine
