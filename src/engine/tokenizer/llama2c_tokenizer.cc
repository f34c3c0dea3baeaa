// llama2.c's tokenizer.bin and its encoder, as karpathy/llama2.c run.c defines them.
//
// File: int32 max_token_length, then per token: f32 score, int32 length, `length` bytes.
// The file does not store the vocabulary size (the model header does): the caller passes it,
// or 0 to read tokens until the end of the file.
// Token 0 is <unk>, 1 is BOS, 2 is EOS; byte b without a token of its own is id b + 3.
#include <cmath>

#include "engine/tokenizer/merge.h"
#include "engine/tokenizer/vocab.h"
#include "warden/base/file.h"
#include "warden/engine/tokenizer.h"

namespace warden::engine {
namespace {

using namespace tokenizer_internal;

constexpr int32_t kBos = 1;
constexpr int32_t kEos = 2;
constexpr int32_t kByteOffset = 3;
// run.c merges only pairs whose token scores above its initial best score of -1e10.
const float kMinMergeScore = std::nextafter(-1e10f, 0.0f);

class Llama2cTokenizer final : public VocabTokenizer {
 public:
  Llama2cTokenizer(Vocab vocab, SpecialIds ids) : VocabTokenizer(std::move(vocab), ids) {
    DecodeRules rules;
    rules.strip_dummy_prefix = true;
    for (int32_t id = 0; id < this->vocab().size(); ++id) {
      const std::string& text = this->vocab().at(id).text;
      const int b = ParseByteToken(text);
      rules.pieces.push_back(b >= 0 ? std::string(1, static_cast<char>(b)) : text);
    }
    SetDecodeRules(std::move(rules));
    DisableSpecialParsing();  // parse_special is ignored: no special tokens are matched in text
  }

  std::string kind() const override { return "llama2c"; }

 private:
  void EncodeFragments(std::string_view /*text*/, const std::vector<Fragment>& fragments,
                       std::vector<int32_t>* out) const override {
    for (const Fragment& f : fragments) {
      ForEachMergeChunk(f.text, [&](std::string_view chunk) { EncodeChunk(chunk, out); });
    }
  }

  // run.c: the dummy-prefix token " ", then the text in groups of a byte plus the continuation
  // bytes after it (at most 4 bytes), each group a token if the vocabulary has it, else its
  // bytes as ids byte + 3 (which never merge); then score-ordered merges.
  void EncodeChunk(std::string_view chunk, std::vector<int32_t>* out) const {
    std::string buffer = " ";
    buffer += chunk;
    std::vector<Symbol> symbols;
    AddGroup(buffer, 0, 1, &symbols);
    for (size_t pos = 1; pos < buffer.size();) {
      size_t len = 1;
      while (pos + len < buffer.size() && len < 4 && (static_cast<uint8_t>(buffer[pos + len]) & 0xC0) == 0x80) {
        ++len;
      }
      AddGroup(buffer, pos, len, &symbols);
      pos += len;
    }
    for (const Symbol& s : MergeByScore(buffer, symbols, vocab(), kMinMergeScore)) out->push_back(s.id);
  }

  void AddGroup(std::string_view buffer, size_t pos, size_t len, std::vector<Symbol>* symbols) const {
    const int32_t id = vocab().Find(buffer.substr(pos, len));
    if (id >= 0) {
      symbols->push_back({static_cast<uint32_t>(pos), static_cast<uint32_t>(len), id, true});
      return;
    }
    for (size_t i = 0; i < len; ++i) {
      int32_t byte_id = static_cast<uint8_t>(buffer[pos + i]) + kByteOffset;
      if (byte_id >= vocab().size()) byte_id = 0;  // a vocabulary too small for byte fallback
      symbols->push_back({static_cast<uint32_t>(pos + i), 1, byte_id, false});
    }
  }
};

Result<std::vector<TokenInfo>> ReadEntries(ByteReader* r, int32_t vocab_size, const std::string& source) {
  WARDEN_ASSIGN_OR_RETURN(int32_t max_len, r->I32("max_token_length"));
  if (max_len < 0) return r->Error("max_token_length", "is negative (" + std::to_string(max_len) + ")");
  std::vector<TokenInfo> tokens;
  for (int32_t i = 0; vocab_size > 0 ? i < vocab_size : r->remaining() > 0; ++i) {
    const std::string what = "token " + std::to_string(i);
    WARDEN_ASSIGN_OR_RETURN(float score, r->F32((what + " score").c_str()));
    if (std::isnan(score)) return Status::Corrupt(source + ": " + what + " has a NaN score");
    WARDEN_ASSIGN_OR_RETURN(int32_t len, r->I32((what + " length").c_str()));
    if (len < 0 || len > max_len) {
      return Status::Corrupt(source + ": " + what + " has length " + std::to_string(len) +
                             " outside 0..max_token_length (" + std::to_string(max_len) + ")");
    }
    WARDEN_ASSIGN_OR_RETURN(std::string_view bytes, r->Bytes(static_cast<size_t>(len), (what + " text").c_str()));
    TokenInfo t;
    t.text = std::string(bytes);
    t.score = score;
    if (ParseByteToken(t.text) >= 0) t.type = TokenType::kByte;
    tokens.push_back(std::move(t));
  }
  if (tokens.empty()) return Status::Corrupt(source + ": no tokens");
  tokens[0].type = TokenType::kUnknown;
  if (tokens.size() > kBos) tokens[kBos].type = TokenType::kControl;
  if (tokens.size() > kEos) tokens[kEos].type = TokenType::kControl;
  return tokens;
}

}  // namespace

Result<std::unique_ptr<Tokenizer>> ParseLlama2cTokenizer(std::string_view bytes, int32_t vocab_size,
                                                         const std::string& source) {
  if (vocab_size < 0) {
    return Status::InvalidArgument(source + ": vocab_size " + std::to_string(vocab_size) + " is negative");
  }
  ByteReader r(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), source);
  WARDEN_ASSIGN_OR_RETURN(std::vector<TokenInfo> tokens, ReadEntries(&r, vocab_size, source));
  // llama2.c looks tokens up by binary search, so a repeated text is legal; the first id wins.
  WARDEN_ASSIGN_OR_RETURN(Vocab vocab, Vocab::Build(std::move(tokens), source, /*allow_duplicates=*/true));
  SpecialIds ids{kBos, kEos, /*unk=*/0, /*add_bos=*/true};
  return std::unique_ptr<Tokenizer>(new Llama2cTokenizer(std::move(vocab), ids));
}

Result<std::unique_ptr<Tokenizer>> LoadLlama2cTokenizer(const std::string& path, int32_t vocab_size) {
  WARDEN_ASSIGN_OR_RETURN(auto file, MappedFile::Open(path));
  return ParseLlama2cTokenizer(file->view(), vocab_size, path);
}

}  // namespace warden::engine
