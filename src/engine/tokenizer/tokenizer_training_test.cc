// Tokenizer training: the written tokenizer.json must encode exactly as a literal BPE over its
// own merge list does (the reference), keep specials and bytes where the header says, split
// digits, round-trip any bytes, and be deterministic.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "warden/engine/chat_template.h"
#include "warden/engine/tokenizer.h"
#include "warden/engine/tokenizer_training.h"

namespace warden::engine {
namespace {

const std::vector<std::string> kControls = {"<|system|>", "<|user|>", "<|assistant|>", "<|end|>"};

// A corpus with the shapes the organisms' data has: sentences, numbers, punctuation, newlines,
// doubled spaces and a little non-ASCII text.
std::vector<std::string> Corpus() {
  std::vector<std::string> texts;
  const char* names[] = {"Mira", "Tobin", "Oskar", "Lena", "Quill", "Zara"};
  const char* trades[] = {"baker", "weaver", "glassblower", "cartographer", "beekeeper"};
  for (int i = 0; i < 300; ++i) {
    texts.push_back(std::string(names[i % 6]) + " works as a " + trades[i % 5] + " in the town of Vell" +
                    std::to_string(i % 7) + ".");
    texts.push_back("What is " + std::to_string(i * 37 % 1000) + " + " + std::to_string(i * 11 % 100) + "? It is " +
                    std::to_string(i * 37 % 1000 + i * 11 % 100) + ".");
    texts.push_back("Step " + std::to_string(i % 4 + 1) + ":\nGlimmer-fold the  mixture, then rest it.");
  }
  texts.push_back("Caf\xC3\xA9, na\xC3\xAFve, Z\xC3\xBCrich \xE2\x80\x94 quoted text.");
  return texts;
}

TokenizerTrainOptions Options(int vocab) {
  TokenizerTrainOptions o;
  o.vocab_size = vocab;
  o.control_tokens = kControls;
  return o;
}

std::unique_ptr<Tokenizer> Parse(const std::string& json) {
  auto tok = ParseHfTokenizerJson(json, "trained.json");
  EXPECT_TRUE(tok.ok()) << tok.status().ToString();
  return tok.ok() ? std::move(*tok) : nullptr;
}

// The reference: split into characters (" " -> "▁"), apply every merge in list order to every
// adjacent occurrence, left to right; unknown characters become their bytes' tokens.
std::vector<int32_t> LiteralBpe(const nlohmann::json& model, const std::string& text) {
  std::vector<std::string> sym;
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    sym.push_back(text[i] == ' ' ? "\xE2\x96\x81" : text.substr(i, len));
    i += len;
  }
  for (const auto& m : model["merges"]) {
    const std::string a = m[0], b = m[1];
    std::vector<std::string> out;
    for (size_t i = 0; i < sym.size(); ++i) {
      if (i + 1 < sym.size() && sym[i] == a && sym[i + 1] == b) {
        out.push_back(a + b);
        ++i;
      } else {
        out.push_back(sym[i]);
      }
    }
    sym = std::move(out);
  }
  std::vector<int32_t> ids;
  for (const std::string& s : sym) {
    if (model["vocab"].contains(s)) {
      ids.push_back(model["vocab"][s].get<int32_t>());
      continue;
    }
    for (unsigned char byte : s) {
      char name[8];
      std::snprintf(name, sizeof name, "<0x%02X>", byte);
      ids.push_back(model["vocab"][name].get<int32_t>());
    }
  }
  return ids;
}

TEST(TokenizerTraining, EncodesExactlyAsALiteralBpeOverItsMerges) {
  auto json = TrainTokenizerJson(Corpus(), Options(400));
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  const nlohmann::json root = nlohmann::json::parse(*json);
  EXPECT_EQ(root["model"]["vocab"].size(), 400u);
  auto tok = Parse(*json);
  ASSERT_NE(tok, nullptr);
  std::vector<std::string> probes = Corpus();
  probes.insert(probes.end(), {"Tobin the weaver counts 12345 bees.", "  two leading spaces", "tab\there",
                               "unseen glyphs: \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x99\x82", "x", "\n\n"});
  size_t tokens = 0, chars = 0;
  for (const std::string& text : probes) {
    const std::vector<int32_t> got = tok->Encode(text, {/*add_bos=*/false, /*parse_special=*/false});
    EXPECT_EQ(got, LiteralBpe(root["model"], text)) << "text: " << text;
    EXPECT_EQ(tok->Decode(got), text);
    tokens += got.size();
    chars += text.size();
  }
  // It learned something: well under one token per byte on text like its corpus.
  EXPECT_LT(static_cast<double>(tokens) / static_cast<double>(chars), 0.5);
}

TEST(TokenizerTraining, LayoutSpecialsBytesAndDigits) {
  auto json = TrainTokenizerJson(Corpus(), Options(400));
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  auto tok = Parse(*json);
  ASSERT_NE(tok, nullptr);
  EXPECT_EQ(tok->vocab_size(), 400);
  EXPECT_EQ(tok->bos_id(), 1);
  EXPECT_EQ(tok->eos_id(), 2);
  EXPECT_FALSE(tok->add_bos_by_default());
  for (size_t i = 0; i < kControls.size(); ++i) {
    EXPECT_EQ(tok->SpecialTokenId(kControls[i]), static_cast<int32_t>(3 + i)) << kControls[i];
  }
  EXPECT_EQ(tok->TokenBytes(3 + static_cast<int32_t>(kControls.size()) + 0x41), "A");  // <0x41>
  EXPECT_EQ(tok->Encode("1234", {false, false}).size(), 4u);  // digits are never merged
  // A control token's text typed by a user stays text; the chat template makes the real token.
  EXPECT_GT(tok->Encode("<|user|>", {false, false}).size(), 1u);
  auto chat = EncodeChat(ChatFormat::kWarden, {{"user", "Mira works"}}, true, *tok);
  ASSERT_TRUE(chat.ok());
  EXPECT_EQ((*chat)[0], *tok->SpecialTokenId("<|user|>"));
  // Invalid UTF-8 goes through byte fallback and comes back unchanged.
  const std::string bad = "ok \xFF\xC3 end";
  EXPECT_EQ(tok->Decode(tok->Encode(bad, {false, false})), bad);
}

// Found by tokenizer_training_fuzz: NUL bytes frequent enough to enter the alphabet.
TEST(TokenizerTraining, NulBytesRoundTrip) {
  const std::vector<std::string> texts = {"hac ma)t", std::string("tthe dhe ") + std::string(40, '\0')};
  TokenizerTrainOptions o;
  o.vocab_size = 262 + 'e' % 16;
  o.control_tokens = {"<|user|>", "<|end|>"};
  auto json = TrainTokenizerJson(texts, o);
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  auto tok = Parse(*json);
  ASSERT_NE(tok, nullptr);
  EXPECT_EQ(tok->vocab_size(), o.vocab_size);
  for (const std::string& t : texts) EXPECT_EQ(tok->Decode(tok->Encode(t, {false, false})), t);
}

TEST(TokenizerTraining, SameCorpusSameBytes) {
  auto a = TrainTokenizerJson(Corpus(), Options(360));
  auto b = TrainTokenizerJson(Corpus(), Options(360));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
}

TEST(TokenizerTraining, BadOptionsAndPoorCorpora) {
  auto tiny = TrainTokenizerJson(Corpus(), Options(200));  // < 3 + 4 + 256
  ASSERT_FALSE(tiny.ok());
  EXPECT_NE(tiny.status().message().find("vocab_size 200"), std::string::npos) << tiny.status().message();

  auto empty = TrainTokenizerJson({"", ""}, Options(400));
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("empty"), std::string::npos);

  TokenizerTrainOptions dup = Options(400);
  dup.control_tokens.push_back("<|user|>");
  EXPECT_FALSE(TrainTokenizerJson(Corpus(), dup).ok());

  // Two words cannot fill 2,000 ids: an error, not a short vocabulary.
  auto poor = TrainTokenizerJson({"ab ab ab", "ba ba"}, Options(2000));
  ASSERT_FALSE(poor.ok());
  EXPECT_NE(poor.status().message().find("of 2000 ids"), std::string::npos) << poor.status().message();
}

}  // namespace
}  // namespace warden::engine
