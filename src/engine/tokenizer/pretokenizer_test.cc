#include "engine/tokenizer/pretokenizer.h"

#include <gtest/gtest.h>

#include "engine/tokenizer/byte_level.h"
#include "engine/tokenizer/merge.h"

namespace warden::engine::tokenizer_internal {
namespace {

std::vector<std::string> SplitWith(const std::vector<std::string>& regexes, std::string_view text) {
  auto splitter = RegexSplitter::Compile(regexes, "test");
  EXPECT_TRUE(splitter.ok()) << splitter.status().ToString();
  std::vector<std::string> out;
  for (std::string_view piece : splitter->Split(text)) out.emplace_back(piece);
  return out;
}

std::vector<std::string> SplitAs(const char* pre, std::string_view text) {
  return SplitWith(PreTokenizerForName(pre).value().regexes, text);
}

using Pieces = std::vector<std::string>;

TEST(PreTokenizerTest, Gpt2) {
  EXPECT_EQ(SplitAs("gpt-2", "Hello world"), (Pieces{"Hello", " world"}));
  EXPECT_EQ(SplitAs("gpt-2", "  Hello"), (Pieces{" ", " Hello"}));
  EXPECT_EQ(SplitAs("gpt-2", "I've 33 apples!!"), (Pieces{"I", "'ve", " 33", " apples", "!!"}));
  // A single tab before a word matches no alternative: it is kept as its own piece.
  EXPECT_EQ(SplitAs("gpt-2", "\tHi"), (Pieces{"\t", "Hi"}));
  EXPECT_EQ(SplitAs("gpt-2", ""), (Pieces{}));
}

TEST(PreTokenizerTest, SequencesApplyEachRegexToEachPiece) {
  // starcoder: digits one by one, then GPT-2's pattern inside each piece.
  EXPECT_EQ(SplitAs("starcoder", "x 123y"), (Pieces{"x", " ", "1", "2", "3", "y"}));
  // falcon: punctuation runs first, then GPT-2, then digits in threes.
  EXPECT_EQ(SplitAs("falcon", "a+=1234567"), (Pieces{"a", "+=", "123", "456", "7"}));
  // deepseek-coder: newlines, letters with one leading space, punctuation, CJK, digits.
  EXPECT_EQ(SplitAs("deepseek-coder", "a\n\n b, 12\xe4\xbd\xa0"),
            (Pieces{"a", "\n", "\n", " b", ",", " ", "1", "2", "\xe4\xbd\xa0"}));
}

TEST(PreTokenizerTest, Llama3GroupsDigitsInThrees) {
  EXPECT_EQ(SplitAs("llama-bpe", "12345 ok\n\n"), (Pieces{"123", "45", " ok", "\n\n"}));
  EXPECT_TRUE(PreTokenizerForName("llama-bpe")->ignore_merges);
  EXPECT_FALSE(PreTokenizerForName("no-such-pre").has_value());
  EXPECT_TRUE(PreTokenizerForName("").has_value());  // absent key: llama.cpp's "default"
}

TEST(PreTokenizerTest, UnicodeCategories) {
  // Cyrillic letters are \p{L}; the Khmer vowel sign is a mark, not a letter.
  EXPECT_EQ(SplitAs("gpt-2", "\xd0\xbd\xd0\xb5 \xe1\x9e\x80\xe1\x9e\xb6"),
            (Pieces{"\xd0\xbd\xd0\xb5", " \xe1\x9e\x80", "\xe1\x9e\xb6"}));
}

TEST(PreTokenizerTest, InvalidUtf8NeverMatchesAndIsKept) {
  const std::string text = "ab\xff\xfe" "cd \xe2\x82";
  const Pieces pieces = SplitAs("gpt-2", text);
  std::string joined;
  for (const std::string& p : pieces) joined += p;
  EXPECT_EQ(joined, text);
  EXPECT_EQ(pieces.front(), "ab");
}

TEST(PreTokenizerTest, EmptyMatchesAreSplitPoints) {
  // A pure lookahead (superbpe-style) matches the empty string before each group of 3 digits.
  EXPECT_EQ(SplitWith({"(?=(\\d{3})+(?!\\d))"}, "1234567"), (Pieces{"1", "234", "567"}));
}

TEST(PreTokenizerTest, BadRegexIsAnError) {
  auto s = RegexSplitter::Compile({"ok", "(unclosed"}, "file.json: pre_tokenizer");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("file.json: pre_tokenizer[1]"), std::string::npos) << s.status().ToString();
}

TEST(ByteLevelTest, MappingIsReversible) {
  EXPECT_EQ(ByteToMapped(' '), "\xc4\xa0");   // Ġ
  EXPECT_EQ(ByteToMapped('\n'), "\xc4\x8a");  // Ċ
  EXPECT_EQ(ByteToMapped('a'), "a");
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  std::string mapped;
  AppendMapped(all, &mapped);
  EXPECT_EQ(UnmapBytes(mapped), all);
  EXPECT_EQ(UnmapBytes("\xe4\xbd\xa0"), "\xe4\xbd\xa0");  // outside the mapping: kept as is
}

TEST(MergeTest, RankOrderAndLeftmostTies) {
  // ids: a=0 b=1 ab=2 aba=3; merges: (a,b)->ab rank 0, (ab,a)->aba rank 1.
  MergeTable table;
  table.Add(0, 1, 2, 0);
  table.Add(2, 0, 3, 1);
  table.Add(0, 1, 99, 5);  // a later duplicate is ignored
  std::vector<Symbol> symbols = {{0, 1, 0}, {1, 1, 1}, {2, 1, 0}, {3, 1, 1}, {4, 1, 0}};  // "ababa"
  std::vector<Symbol> out = MergeByRank(symbols, table);
  // Both rank-0 merges happen first (a b a b a -> ab ab a), then (ab, a) at the only place left.
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].id, 2);
  EXPECT_EQ(out[1].id, 3);
  EXPECT_EQ(out[1].start, 2u);
  EXPECT_EQ(out[1].len, 3u);
}

}  // namespace
}  // namespace warden::engine::tokenizer_internal
