#include <gtest/gtest.h>

#include <cstring>
#include <limits>

#include "testing/shared_files.h"
#include "warden/base/file.h"
#include "warden/engine/tokenizer.h"

namespace warden::engine {
namespace {

const std::string kTok512 = ::warden::test::SharedPath("models/stories260K/tok512.bin");

std::unique_ptr<Tokenizer> LoadTok512() {
  auto tok = LoadLlama2cTokenizer(kTok512, 512);
  EXPECT_TRUE(tok.ok()) << tok.status().ToString();
  return tok.ok() ? std::move(tok).value() : nullptr;
}

// Expected ids come from a literal transcription of run.c's encode() (the O(n^2) loop) run on
// tok512.bin, independent of warden's priority-queue implementation.
TEST(Llama2cTokenizerTest, EncodesLikeRunC) {
  WARDEN_NEED_SHARED(kTok512);
  auto tok = LoadTok512();
  ASSERT_NE(tok, nullptr);
  EXPECT_EQ(tok->kind(), "llama2c");
  EXPECT_EQ(tok->vocab_size(), 512);
  EXPECT_EQ(tok->bos_id(), 1);
  EXPECT_EQ(tok->eos_id(), 2);
  EXPECT_TRUE(tok->add_bos_by_default());
  EXPECT_EQ(tok->Encode("Once upon a time", {}), (std::vector<int32_t>{1, 403, 407, 261, 378}));
  EXPECT_EQ(tok->Encode("Once upon a time", {/*add_bos=*/false}), (std::vector<int32_t>{403, 407, 261, 378}));
  EXPECT_EQ(tok->Encode("Lily's mom said, \"Hi!\"\n\xe2\x82\xac 42", {}),
            (std::vector<int32_t>{1, 317, 439, 419, 357, 336, 432, 313, 440, 417, 443, 436, 13, 503, 410, 484, 479}));
  EXPECT_EQ(tok->Encode("", {}), (std::vector<int32_t>{1}));
  // Invalid UTF-8 goes through byte fallback (id = byte + 3).
  EXPECT_EQ(tok->Encode("\xff\x80" "abc \xe2\x82", {}),
            (std::vector<int32_t>{1, 410, 258, 131, 412, 430, 429, 410, 229, 133}));
}

TEST(Llama2cTokenizerTest, DecodesAndRoundTrips) {
  WARDEN_NEED_SHARED(kTok512);
  auto tok = LoadTok512();
  ASSERT_NE(tok, nullptr);
  for (const std::string& s : std::vector<std::string>{"Once upon a time", "Lily's mom said, \"Hi!\"\n\xe2\x82\xac 42", " two  spaces ",
                              "\xff\x80" "abc \xe2\x82", std::string("nul\0byte", 8)}) {
    EXPECT_EQ(tok->Decode(tok->Encode(s, {}), /*skip_special=*/true), s);
    EXPECT_EQ(tok->Decode(tok->Encode(s, {/*add_bos=*/false})), s);
  }
  // Streaming: after BOS the dummy-prefix space is dropped; elsewhere it is kept.
  const std::vector<int32_t> ids = tok->Encode("Once upon a time", {});
  EXPECT_EQ(tok->TokenBytes(ids[1], ids[0]), "Once");
  EXPECT_EQ(tok->TokenBytes(ids[2], ids[1]), " upon");
  EXPECT_EQ(tok->TokenBytes(13, -1), "\n");  // <0x0A>
  EXPECT_EQ(tok->Decode({1, 403, 2}, /*skip_special=*/true), "Once");
  EXPECT_EQ(tok->SpecialTokenId("<unk>"), 0);
  EXPECT_EQ(tok->TokenBytes(-5), "");
  EXPECT_EQ(tok->Decode({-1, 99999, 403}), "Once");
}

std::string Entry(float score, const std::string& text) {
  std::string e(8, '\0');
  const int32_t len = static_cast<int32_t>(text.size());
  std::memcpy(&e[0], &score, 4);
  std::memcpy(&e[4], &len, 4);
  return e + text;
}

std::string Header(int32_t max_len) { return std::string(reinterpret_cast<const char*>(&max_len), 4); }

TEST(Llama2cTokenizerTest, ParsesSmallVocabularyAndInfersSize) {
  const std::string file = Header(6) + Entry(0, "<unk>") + Entry(0, "<s>") + Entry(0, "</s>") + Entry(-1, "a") +
                           Entry(-2, "b") + Entry(-3, " ") + Entry(-0.5f, "ab") + Entry(-0.25f, " ab");
  auto all = ParseLlama2cTokenizer(file, 0, "mem");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ((*all)->vocab_size(), 8);
  EXPECT_EQ((*all)->Encode("ab", {/*add_bos=*/false}), (std::vector<int32_t>{7}));
  auto first5 = ParseLlama2cTokenizer(file, 5, "mem");
  ASSERT_TRUE(first5.ok());
  EXPECT_EQ((*first5)->vocab_size(), 5);
}

TEST(Llama2cTokenizerTest, CorruptFilesFailClearly) {
  const std::string good = Header(5) + Entry(0, "<unk>") + Entry(0, "<s>") + Entry(0, "</s>");
  auto ok = ParseLlama2cTokenizer(good, 3, "tok.bin");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();

  auto expect_error = [](const std::string& bytes, int32_t n, const std::string& needle) {
    auto r = ParseLlama2cTokenizer(bytes, n, "tok.bin");
    ASSERT_FALSE(r.ok()) << "expected an error containing '" << needle << "'";
    EXPECT_NE(r.status().message().find("tok.bin"), std::string::npos) << r.status().ToString();
    EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status().ToString();
  };
  expect_error("", 3, "max_token_length");
  expect_error(good, 4, "token 3");                                // fewer tokens than vocab_size
  expect_error(good.substr(0, good.size() - 2), 3, "token 2");     // truncated text
  expect_error(good.substr(0, 4 + 6), 3, "token 0");               // truncated header of a token
  expect_error(Header(-1), 1, "negative");
  expect_error(Header(2) + Entry(0, "<unk>"), 1, "max_token_length");  // longer than declared
  std::string negative_len = Header(5) + Entry(0, "<unk>");
  const int32_t minus = -7;
  std::memcpy(&negative_len[4 + 4], &minus, 4);
  expect_error(negative_len, 1, "length -7");
  const float nan = std::numeric_limits<float>::quiet_NaN();
  expect_error(Header(5) + Entry(nan, "<unk>"), 1, "NaN");
  EXPECT_FALSE(ParseLlama2cTokenizer(good, -1, "tok.bin").ok());
  EXPECT_FALSE(LoadLlama2cTokenizer("/nonexistent/tok.bin", 3).ok());
}

TEST(Llama2cTokenizerTest, LoadTokenizerDetectsTheFormat) {
  WARDEN_NEED_SHARED(kTok512);
  auto tok = LoadTokenizer(kTok512);
  ASSERT_TRUE(tok.ok()) << tok.status().ToString();
  EXPECT_EQ((*tok)->kind(), "llama2c");
  EXPECT_EQ((*tok)->vocab_size(), 512);
}

}  // namespace
}  // namespace warden::engine
