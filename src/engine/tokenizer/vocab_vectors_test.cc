// The exactness proof: every string of llama.cpp's tokenizer test vectors, for all six
// vocabularies, must encode to exactly the ids in the .out file, line for line.
#include "warden/engine/tokenizer_vectors.h"

#include <gtest/gtest.h>

#include "testing/shared_files.h"
#include "warden/base/file.h"
#include "warden/engine/gguf.h"

namespace warden::engine {
namespace {

const std::string kVectorsDir = std::string(WARDEN_SHARED_DIR) + "/tokenizer-vectors/";

class VocabVectorsTest : public ::testing::TestWithParam<const char*> {};

TEST_P(VocabVectorsTest, EveryLineMatchesLlamaCpp) {
  const std::string vocab_path = kVectorsDir + "ggml-vocab-" + GetParam() + ".gguf";
  WARDEN_NEED_SHARED(vocab_path);
  auto gguf = GgufFile::Open(vocab_path);
  ASSERT_TRUE(gguf.ok()) << gguf.status().ToString();
  auto tokenizer = LoadGgufTokenizer(**gguf);
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().ToString();
  auto strings = ReadVocabTestStrings(vocab_path + ".inp");
  ASSERT_TRUE(strings.ok()) << strings.status().ToString();
  auto expected = ReadVocabTestLines(vocab_path + ".out");
  ASSERT_TRUE(expected.ok()) << expected.status().ToString();
  ASSERT_EQ(strings->size(), expected->size());

  const std::vector<std::string> got = TokenizeVocabTestStrings(**tokenizer, *strings);
  size_t matched = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    if (got[i] == (*expected)[i]) {
      ++matched;
    } else {
      ADD_FAILURE() << GetParam() << " string " << i << " '" << (*strings)[i] << "'\n  want:" << (*expected)[i]
                    << "\n  got: " << got[i];
    }
  }
  std::printf("[ vectors  ] %s: %zu/%zu lines match\n", GetParam(), matched, got.size());
  EXPECT_EQ(matched, got.size());
}

INSTANTIATE_TEST_SUITE_P(AllSix, VocabVectorsTest,
                         ::testing::Values("gpt-2", "llama-spm", "phi-3", "deepseek-coder", "starcoder", "falcon"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           std::string name = info.param;
                           for (char& c : name) {
                             if (c == '-') c = '_';
                           }
                           return name;
                         });

TEST(VocabVectorsFileTest, SplitsLikeTestTokenizer0) {
  const std::string path = ::testing::TempDir() + "/vectors.inp";
  ASSERT_TRUE(WriteFileAtomic(path, "a\n__ggml_vocab_test__\n\n__ggml_vocab_test__\n\n\n__ggml_vocab_test__\n"
                                    " b \n__ggml_vocab_test__\ntail").ok());
  auto strings = ReadVocabTestStrings(path);
  ASSERT_TRUE(strings.ok());
  EXPECT_EQ(*strings, (std::vector<std::string>{"a", "", "\n", " b ", "tail"}));
}

TEST(VocabVectorsFileTest, FormatsLikeOutFiles) {
  EXPECT_EQ(FormatVocabTestLine({}), "");
  EXPECT_EQ(FormatVocabTestLine({15043, 3186}), " 15043 3186");
}

TEST(VocabVectorsFileTest, MissingFileIsAnError) {
  EXPECT_FALSE(ReadVocabTestStrings("/nonexistent/x.inp").ok());
}

}  // namespace
}  // namespace warden::engine
