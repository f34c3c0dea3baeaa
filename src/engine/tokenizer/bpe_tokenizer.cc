#include "engine/tokenizer/bpe_tokenizer.h"

#include "engine/tokenizer/byte_level.h"
#include "engine/tokenizer/utf8.h"

namespace warden::engine::tokenizer_internal {
namespace {

// Normal tokens decode through the byte mapping; special and user-defined tokens are literal.
DecodeRules BpeDecodeRules(const Vocab& vocab) {
  DecodeRules rules;
  rules.pieces.resize(static_cast<size_t>(vocab.size()));
  for (int32_t id = 0; id < vocab.size(); ++id) {
    const TokenInfo& t = vocab.at(id);
    switch (t.type) {
      case TokenType::kNormal:
        rules.pieces[id] = UnmapBytes(t.text);
        break;
      case TokenType::kByte: {
        const int b = ParseByteToken(t.text);
        rules.pieces[id] = b >= 0 ? std::string(1, static_cast<char>(b)) : UnmapBytes(t.text);
        break;
      }
      case TokenType::kControl:
      case TokenType::kUnknown:
      case TokenType::kUserDefined:
        rules.pieces[id] = t.text;
        break;
      case TokenType::kUnused:
      case TokenType::kUndefined:
        break;
    }
  }
  return rules;
}

std::string Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

}  // namespace

Status AddMergePair(const Vocab& vocab, std::string_view left, std::string_view right, int32_t rank,
                    const std::string& where, MergeTable* table) {
  const int32_t l = vocab.Find(left);
  if (l < 0) return Status::Corrupt(where + ": merge names unknown token " + Quote(left));
  const int32_t r = vocab.Find(right);
  if (r < 0) return Status::Corrupt(where + ": merge names unknown token " + Quote(right));
  std::string joined(left);
  joined += right;
  table->Add(l, r, vocab.Find(joined), rank);
  return Status::Ok();
}

Status AddMergeString(const Vocab& vocab, std::string_view merge, int32_t rank, const std::string& where,
                      MergeTable* table) {
  const size_t space = merge.size() > 1 ? merge.find(' ', 1) : std::string_view::npos;
  if (space == std::string_view::npos) {
    return Status::Corrupt(where + ": merge " + Quote(merge) + " is not two tokens separated by a space");
  }
  return AddMergePair(vocab, merge.substr(0, space), merge.substr(space + 1), rank, where, table);
}

BpeTokenizer::BpeTokenizer(Vocab vocab, SpecialIds specials, BpeOptions options)
    : VocabTokenizer(std::move(vocab), specials), options_(std::move(options)) {
  SetDecodeRules(BpeDecodeRules(this->vocab()));
}

void BpeTokenizer::EncodeFragments(std::string_view /*text*/, const std::vector<Fragment>& fragments,
                                   std::vector<int32_t>* out) const {
  for (const Fragment& f : fragments) {
    if (f.token >= 0) {
      out->push_back(f.token);
      continue;
    }
    std::string prefixed;
    std::string_view raw = f.text;
    if (options_.add_prefix_space && raw.front() != ' ') {
      prefixed = " " + std::string(raw);
      raw = prefixed;
    }
    for (std::string_view word : options_.splitter.Split(raw)) {
      ForEachMergeChunk(word, [&](std::string_view chunk) { EncodeWord(chunk, out); });
    }
  }
}

void BpeTokenizer::EncodeWord(std::string_view word, std::vector<int32_t>* out) const {
  std::string mapped;
  AppendMapped(word, &mapped);
  if (options_.ignore_merges) {
    const int32_t id = vocab().Find(mapped);
    if (id >= 0) {
      out->push_back(id);
      return;
    }
  }
  std::vector<Symbol> symbols;
  symbols.reserve(word.size());
  for (size_t pos = 0; pos < mapped.size();) {
    const size_t len = ValidUtf8CharLen(mapped, pos);  // 1 or 2: mapped text is valid UTF-8
    symbols.push_back({static_cast<uint32_t>(pos), static_cast<uint32_t>(len),
                       vocab().Find(std::string_view(mapped).substr(pos, len)), true});
    pos += len;
  }
  for (const Symbol& s : MergeByRank(symbols, options_.merges)) {
    if (s.id >= 0) {
      out->push_back(s.id);
      continue;
    }
    // A merge whose result is not a token (or a vocabulary missing a byte): fall back to the
    // single bytes, then UNK.
    const std::string_view span = std::string_view(mapped).substr(s.start, s.len);
    for (size_t pos = 0; pos < span.size();) {
      const size_t len = ValidUtf8CharLen(span, pos);
      const int32_t id = vocab().Find(span.substr(pos, len));
      if (id >= 0) {
        out->push_back(id);
      } else if (unk_id() >= 0) {
        out->push_back(unk_id());
      }
      pos += len;
    }
  }
}

}  // namespace warden::engine::tokenizer_internal
