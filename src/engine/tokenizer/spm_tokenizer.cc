#include "engine/tokenizer/spm_tokenizer.h"

#include "engine/tokenizer/utf8.h"

namespace warden::engine::tokenizer_internal {
namespace {

constexpr std::string_view kMetaspace = "\xE2\x96\x81";  // U+2581

std::string EscapeSpaces(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 4);
  for (char c : text) {
    if (c == ' ') {
      out += kMetaspace;
    } else {
      out += c;
    }
  }
  return out;
}

void ReplaceAll(std::string* s, std::string_view from, std::string_view to) {
  for (size_t pos = s->find(from); pos != std::string::npos; pos = s->find(from, pos + to.size())) {
    s->replace(pos, from.size(), to);
  }
}

}  // namespace

DecodeRules SpmDecodeRules(const Vocab& vocab, bool add_space_prefix) {
  DecodeRules rules;
  rules.strip_dummy_prefix = add_space_prefix;
  rules.pieces.resize(static_cast<size_t>(vocab.size()));
  for (int32_t id = 0; id < vocab.size(); ++id) {
    const TokenInfo& t = vocab.at(id);
    std::string& piece = rules.pieces[id];
    switch (t.type) {
      case TokenType::kNormal:
        piece = t.text;
        ReplaceAll(&piece, kMetaspace, " ");
        break;
      case TokenType::kByte: {
        const int b = ParseByteToken(t.text);
        piece = b >= 0 ? std::string(1, static_cast<char>(b)) : t.text;
        break;
      }
      case TokenType::kControl:
      case TokenType::kUnknown:
      case TokenType::kUserDefined:
        piece = t.text;
        break;
      case TokenType::kUnused:
      case TokenType::kUndefined:
        break;
    }
  }
  return rules;
}

SpmTokenizer::SpmTokenizer(Vocab vocab, SpecialIds specials, SpmOptions options)
    : VocabTokenizer(std::move(vocab), specials), options_(std::move(options)) {
  SetDecodeRules(SpmDecodeRules(this->vocab(), options_.add_space_prefix));
}

void SpmTokenizer::EncodeFragments(std::string_view text, const std::vector<Fragment>& fragments,
                                   std::vector<int32_t>* out) const {
  bool prev_special = true;  // the first stretch of text gets the dummy prefix too
  for (const Fragment& f : fragments) {
    if (f.token >= 0) {
      out->push_back(f.token);
      prev_special = true;
      continue;
    }
    std::string raw;
    const bool at_start = f.text.data() == text.data();
    if (options_.add_space_prefix && prev_special && (at_start || !options_.prefix_first_only)) raw = " ";
    raw += f.text;
    EncodeRaw(options_.escape_whitespace ? EscapeSpaces(raw) : raw, out);
    prev_special = false;
  }
}

void SpmTokenizer::EncodeRaw(std::string_view text, std::vector<int32_t>* out) const {
  if (!options_.split_on_metaspace) {
    ForEachMergeChunk(text, [&](std::string_view chunk) { EncodeWord(chunk, out); });
    return;
  }
  // Hugging Face Metaspace split: every "▁" begins a new word.
  size_t start = 0;
  for (size_t pos = text.find(kMetaspace, 1); pos != std::string_view::npos;
       pos = text.find(kMetaspace, pos + kMetaspace.size())) {
    if (pos > start) {
      ForEachMergeChunk(text.substr(start, pos - start), [&](std::string_view w) { EncodeWord(w, out); });
    }
    start = pos;
  }
  ForEachMergeChunk(text.substr(start), [&](std::string_view w) { EncodeWord(w, out); });
}

void SpmTokenizer::EncodeWord(std::string_view word, std::vector<int32_t>* out) const {
  std::vector<Symbol> symbols;
  for (size_t pos = 0; pos < word.size();) {
    size_t len = ValidUtf8CharLen(word, pos);
    if (len == 0) len = 1;  // an invalid byte is a symbol of its own
    symbols.push_back({static_cast<uint32_t>(pos), static_cast<uint32_t>(len),
                       vocab().Find(word.substr(pos, len)), true});
    pos += len;
  }
  const std::vector<Symbol> merged = options_.merges ? MergeByRank(symbols, *options_.merges)
                                                     : MergeByScore(word, symbols, vocab());
  for (const Symbol& s : merged) {
    if (s.id >= 0) {
      out->push_back(s.id);
    } else if (options_.byte_fallback) {
      AppendByteFallback(word.substr(s.start, s.len), out);
    } else if (unk_id() >= 0) {
      out->push_back(unk_id());
    }
  }
}

}  // namespace warden::engine::tokenizer_internal
