// The tokenizers on arbitrary bytes. The first input byte picks a target:
//   0: ParseLlama2cTokenizer on the rest; if it parses, encode and decode with it.
//   1: ParseHfTokenizerJson on the rest; if it parses, encode and decode with it.
//   2, 3, 4: the rest is text for a small built-in vocabulary (byte-level BPE, SentencePiece
//      style, llama2.c), each able to represent every byte: Decode(Encode(text)) must give
//      the text back exactly, whatever the bytes (invalid UTF-8 included), and the
//      Utf8Streamer must pass valid UTF-8 through unchanged.
#include <nlohmann/json.hpp>

#include <cstring>
#include <memory>
#include <string>

#include "fuzz_util.h"
#include "warden/engine/chat_template.h"
#include "warden/engine/tokenizer.h"

using namespace warden;
using engine::EncodeOptions;
using engine::Tokenizer;

namespace {

// GPT-2's bytes-to-unicode: printable Latin-1 bytes stand for themselves, the rest for U+0100...
std::string MappedByte(int b) {
  static int map[256];
  static bool ready = false;
  if (!ready) {
    int next = 256;
    for (int i = 0; i < 256; ++i) {
      const bool self = (i >= 0x21 && i <= 0x7E) || (i >= 0xA1 && i <= 0xAC) || (i >= 0xAE && i <= 0xFF);
      map[i] = self ? i : next++;
    }
    ready = true;
  }
  const int cp = map[b];
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

// Every byte, a few merges, two special tokens (one control, one user-defined).
std::unique_ptr<Tokenizer> TinyByteLevel() {
  nlohmann::json vocab = nlohmann::json::object();
  for (int b = 0; b < 256; ++b) vocab[MappedByte(b)] = b;
  const std::string sp = "\xc4\xa0";  // the mapped space
  const std::vector<std::pair<std::string, std::string>> merges = {
      {"h", "e"}, {"l", "l"}, {"ll", "o"}, {"e", "llo"}, {"he", "llo"}, {sp, "h"}, {sp + "h", "ello"}, {sp, sp}};
  nlohmann::json merge_list = nlohmann::json::array();
  int id = 256;
  for (const auto& [l, r] : merges) {
    vocab[l + r] = id++;
    merge_list.push_back(l + " " + r);
  }
  nlohmann::json j = {
      {"added_tokens", {{{"id", id}, {"content", "<|end|>"}, {"special", true}},
                        {{"id", id + 1}, {"content", "<tool>"}, {"special", false}}}},
      {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}}},
      {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", merge_list}}}};
  return engine::ParseHfTokenizerJson(j.dump(), "tiny-bpe").ValueOrThrow();
}

// <unk> <s> </s>, the 256 byte tokens, "▁" and a few merges.
std::unique_ptr<Tokenizer> TinySentencePiece() {
  nlohmann::json vocab = {{"<unk>", 0}, {"<s>", 1}, {"</s>", 2}};
  char hex[8];
  for (int b = 0; b < 256; ++b) {
    std::snprintf(hex, sizeof(hex), "<0x%02X>", b);
    vocab[hex] = 3 + b;
  }
  const std::string ms = "\xe2\x96\x81";
  int id = 259;
  for (const std::string w : {ms, std::string("a"), std::string("b"), ms + "a", ms + "ab", std::string("ab")}) vocab[w] = id++;
  nlohmann::json j = {
      {"added_tokens", {{{"id", 0}, {"content", "<unk>"}, {"special", true}},
                        {{"id", 1}, {"content", "<s>"}, {"special", true}},
                        {{"id", 2}, {"content", "</s>"}, {"special", true}}}},
      {"pre_tokenizer", {{"type", "Metaspace"}, {"replacement", ms}, {"prepend_scheme", "first"}, {"split", false}}},
      {"post_processor", {{"type", "TemplateProcessing"}, {"single", {{{"SpecialToken", {{"id", "<s>"}}}}}}}},
      {"model", {{"type", "BPE"}, {"byte_fallback", true}, {"unk_token", "<unk>"}, {"vocab", vocab},
                 {"merges", {"a b", ms + " a", ms + "a b"}}}}};
  return engine::ParseHfTokenizerJson(j.dump(), "tiny-spm").ValueOrThrow();
}

std::string Llama2cEntry(float score, const std::string& text) {
  std::string e(8, '\0');
  const int32_t len = static_cast<int32_t>(text.size());
  std::memcpy(&e[0], &score, 4);
  std::memcpy(&e[4], &len, 4);
  return e + text;
}

// <unk> <s> </s>, the 256 byte tokens at byte + 3, " ", and a few words with scores.
std::unique_ptr<Tokenizer> TinyLlama2c() {
  int32_t max_len = 8;
  std::string file(reinterpret_cast<const char*>(&max_len), 4);
  file += Llama2cEntry(0, "<unk>") + Llama2cEntry(0, "\n<s>\n") + Llama2cEntry(0, "\n</s>\n");
  char hex[8];
  for (int b = 0; b < 256; ++b) {
    std::snprintf(hex, sizeof(hex), "<0x%02X>", b);
    file += Llama2cEntry(0, hex);
  }
  float score = -1;
  for (const char* w : {" ", "a", "b", "ab", " a", " ab", "\xc3\xa9"}) file += Llama2cEntry(score--, w);
  return engine::ParseLlama2cTokenizer(file, 0, "tiny-llama2c").ValueOrThrow();
}

// Encodes `text` every way and decodes the results; any id out of range is a finding.
void Exercise(const Tokenizer& tok, std::string_view text) {
  for (int mode = 0; mode < 4; ++mode) {
    const std::vector<int32_t> ids = tok.Encode(text, EncodeOptions{(mode & 1) != 0, (mode & 2) != 0});
    int32_t prev = -1;
    for (int32_t id : ids) {
      fuzz::Require(id >= 0 && id < tok.vocab_size());
      (void)tok.TokenBytes(id, prev);
      prev = id;
    }
    (void)tok.Decode(ids, mode >= 2);
  }
  const std::string_view half = text.substr(0, text.size() / 2);
  (void)tok.EncodeSpans({{half, true}, {text.substr(half.size()), false}}, true);
  (void)tok.Decode({-1, tok.vocab_size(), 0});
}

bool IsValidUtf8(std::string_view s) {
  engine::Utf8Streamer probe;
  std::string out = probe.Push(s);
  out += probe.Flush();
  return out == s && s.find("\xef\xbf\xbd") == std::string_view::npos;
}

void RoundTrip(const Tokenizer& tok, std::string_view text) {
  Exercise(tok, text);
  // SentencePiece stores spaces as U+2581, so a literal U+2581 in the input comes back as ' '.
  if (tok.kind() == "spm" && text.find("\xe2\x96\x81") != std::string_view::npos) return;
  const std::vector<int32_t> ids = tok.Encode(text, EncodeOptions{true, false});
  fuzz::Require(tok.Decode(ids, /*skip_special=*/true) == text);
  // Streaming token by token releases exactly the decoded text when it is valid UTF-8.
  engine::Utf8Streamer streamer;
  std::string streamed;
  int32_t prev = -1;
  for (int32_t id : ids) {
    if (id != tok.bos_id()) streamed += streamer.Push(tok.TokenBytes(id, prev));
    prev = id;
  }
  streamed += streamer.Flush();
  if (IsValidUtf8(text)) fuzz::Require(streamed == text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::unique_ptr<Tokenizer> kByteLevel = TinyByteLevel();
  static const std::unique_ptr<Tokenizer> kSentencePiece = TinySentencePiece();
  static const std::unique_ptr<Tokenizer> kLlama2c = TinyLlama2c();
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 5) {
    case 0: {
      auto tok = engine::ParseLlama2cTokenizer(rest, 0, "fuzz.bin");
      if (!tok.ok()) {
        fuzz::Require(!tok.status().message().empty());
        return 0;
      }
      Exercise(**tok, rest.substr(0, 64));
      Exercise(**tok, "Hello, world \xe2\x82\xac\xff");
      return 0;
    }
    case 1: {
      auto tok = engine::ParseHfTokenizerJson(rest, "fuzz.json");
      if (!tok.ok()) {
        fuzz::Require(!tok.status().message().empty());
        return 0;
      }
      Exercise(**tok, rest.substr(0, 256));
      Exercise(**tok, "Hello, world \xe2\x82\xac\xff 123");
      return 0;
    }
    case 2: RoundTrip(*kByteLevel, rest); break;
    case 3: RoundTrip(*kSentencePiece, rest); break;
    case 4: RoundTrip(*kLlama2c, rest); break;
  }
  // The chat templates take the same bytes as a message.
  const std::vector<engine::ChatMessage> chat = {{"user", std::string(rest)}};
  for (engine::ChatFormat f : {engine::ChatFormat::kLlama2, engine::ChatFormat::kChatML, engine::ChatFormat::kWarden}) {
    auto ids = engine::EncodeChat(f, chat, true, *kByteLevel);
    fuzz::Require(ids.ok());
  }
  return 0;
}
