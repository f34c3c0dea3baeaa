#include "engine/tokenizer/vocab.h"

#include <algorithm>

namespace warden::engine::tokenizer_internal {
namespace {

bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

bool IsSpecialType(TokenType t) {
  return t == TokenType::kControl || t == TokenType::kUserDefined || t == TokenType::kUnknown;
}

bool Overlaps(const std::vector<ByteRange>* ranges, size_t begin, size_t end) {
  if (ranges == nullptr) return false;
  for (const ByteRange& r : *ranges) {
    if (r.begin < end && begin < r.end) return true;
  }
  return false;
}

// Cuts every acceptable occurrence of special token `id` out of one raw fragment (which starts
// at byte `base` of the whole text), appending the pieces.
void SplitOn(const Vocab& vocab, int32_t id, std::string_view raw, size_t base,
             const std::vector<ByteRange>* untrusted, std::vector<Fragment>* out) {
  const TokenInfo& tok = vocab.at(id);
  const bool restricted = tok.type != TokenType::kUserDefined;
  if (tok.text.empty()) {  // Build() never leaves one, but an empty needle would match forever
    out->push_back({-1, raw});
    return;
  }
  size_t from = 0;
  while (from < raw.size()) {
    const size_t match = raw.find(tok.text, from);
    if (match == std::string_view::npos) break;
    if (restricted && Overlaps(untrusted, base + match, base + match + tok.text.size())) {
      from = match + 1;
      continue;
    }
    std::string_view left = raw.substr(0, match);
    std::string_view right = raw.substr(match + tok.text.size());
    if (tok.lstrip) {
      while (!left.empty() && IsAsciiSpace(left.back())) left.remove_suffix(1);
    }
    if (tok.rstrip) {
      while (!right.empty() && IsAsciiSpace(right.front())) right.remove_prefix(1);
    }
    if (!left.empty()) out->push_back({-1, left});
    out->push_back({id, tok.text});
    base += static_cast<size_t>(right.data() - raw.data());
    raw = right;
    from = 0;
  }
  if (!raw.empty()) out->push_back({-1, raw});
}

}  // namespace

int ParseByteToken(std::string_view text) {
  if (text.size() != 6 || text.substr(0, 3) != "<0x" || text[5] != '>') return -1;
  int value = 0;
  for (char c : text.substr(3, 2)) {
    int digit;
    if (c >= '0' && c <= '9') digit = c - '0';
    else if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
    else if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
    else return -1;
    value = value * 16 + digit;
  }
  return value;
}

Result<Vocab> Vocab::Build(std::vector<TokenInfo> tokens, const std::string& source,
                           bool allow_duplicates) {
  if (tokens.size() > static_cast<size_t>(INT32_MAX)) {
    return Status::Corrupt(source + ": " + std::to_string(tokens.size()) + " tokens is too many");
  }
  Vocab v;
  v.tokens_ = std::move(tokens);
  std::fill(std::begin(v.byte_tokens_), std::end(v.byte_tokens_), -1);
  v.ids_.reserve(v.tokens_.size());
  for (size_t i = 0; i < v.tokens_.size(); ++i) {
    TokenInfo& t = v.tokens_[i];
    if (t.text.empty()) t.text = "[EMPTY_" + std::to_string(i) + "]";
  }
  for (size_t i = 0; i < v.tokens_.size(); ++i) {
    const int32_t id = static_cast<int32_t>(i);
    const TokenInfo& t = v.tokens_[i];
    auto [it, inserted] = v.ids_.emplace(t.text, id);
    if (!inserted && !allow_duplicates) {
      return Status::Corrupt(source + "[" + std::to_string(i) + "]: duplicate token text (also id " +
                             std::to_string(it->second) + ")");
    }
    if (IsSpecialType(t.type)) v.specials_.push_back(id);
    // "<0xNN>" byte tokens, whatever their declared type (llama2.c has no types).
    const int byte = ParseByteToken(t.text);
    if (byte >= 0 && v.byte_tokens_[byte] < 0) v.byte_tokens_[byte] = id;
  }
  std::stable_sort(v.specials_.begin(), v.specials_.end(), [&](int32_t a, int32_t b) {
    return v.tokens_[a].text.size() > v.tokens_[b].text.size();
  });
  return v;
}

int32_t Vocab::Find(std::string_view text) const {
  auto it = ids_.find(text);
  return it == ids_.end() ? -1 : it->second;
}

std::vector<Fragment> PartitionSpecials(const Vocab& vocab, std::string_view text, bool parse_special,
                                        const std::vector<ByteRange>* untrusted) {
  std::vector<Fragment> frags;
  if (text.empty()) return frags;
  frags.push_back({-1, text});
  std::vector<Fragment> next;
  for (int32_t id : vocab.specials()) {
    const TokenType type = vocab.at(id).type;
    if (!parse_special && type != TokenType::kUserDefined) continue;
    if (text.find(vocab.at(id).text) == std::string_view::npos) continue;  // cheap common case
    next.clear();
    for (const Fragment& f : frags) {
      if (f.token >= 0) {
        next.push_back(f);
      } else {
        SplitOn(vocab, id, f.text, static_cast<size_t>(f.text.data() - text.data()), untrusted, &next);
      }
    }
    frags.swap(next);
  }
  return frags;
}

void ForEachMergeChunk(std::string_view text, const std::function<void(std::string_view)>& fn) {
  while (text.size() > kMaxMergeSpan) {
    size_t cut = kMaxMergeSpan;
    // Back up over continuation bytes (at most 3) so that a character is not cut.
    while (cut > kMaxMergeSpan - 3 && (static_cast<uint8_t>(text[cut]) & 0xC0) == 0x80) --cut;
    fn(text.substr(0, cut));
    text.remove_prefix(cut);
  }
  if (!text.empty()) fn(text);
}

VocabTokenizer::VocabTokenizer(Vocab vocab, SpecialIds specials)
    : vocab_(std::move(vocab)),
      bos_id_(vocab_.valid(specials.bos) ? specials.bos : -1),
      eos_id_(vocab_.valid(specials.eos) ? specials.eos : -1),
      unk_id_(vocab_.valid(specials.unk) ? specials.unk : -1),
      add_bos_(specials.add_bos && bos_id_ >= 0) {}

std::vector<int32_t> VocabTokenizer::EncodeImpl(std::string_view text, bool add_bos, bool parse_special,
                                                const std::vector<ByteRange>* untrusted) const {
  std::vector<int32_t> out;
  if (add_bos && add_bos_) out.push_back(bos_id_);
  std::vector<Fragment> fragments;
  if (parse_specials_) {
    fragments = PartitionSpecials(vocab_, text, parse_special, untrusted);
  } else if (!text.empty()) {
    fragments.push_back({-1, text});
  }
  EncodeFragments(text, fragments, &out);
  return out;
}

std::vector<int32_t> VocabTokenizer::Encode(std::string_view text, const EncodeOptions& opts) const {
  return EncodeImpl(text, opts.add_bos, opts.parse_special, nullptr);
}

std::vector<int32_t> VocabTokenizer::EncodeSpans(const std::vector<TextSpan>& spans, bool add_bos) const {
  std::string text;
  std::vector<ByteRange> untrusted;
  for (const TextSpan& s : spans) {
    if (!s.trusted && !s.text.empty()) untrusted.push_back({text.size(), text.size() + s.text.size()});
    text += s.text;
  }
  return EncodeImpl(text, add_bos, /*parse_special=*/true, &untrusted);
}

void VocabTokenizer::AppendByteFallback(std::string_view bytes, std::vector<int32_t>* out) const {
  for (char c : bytes) {
    const int32_t id = vocab_.ByteToken(static_cast<uint8_t>(c));
    if (id >= 0) {
      out->push_back(id);
    } else if (unk_id_ >= 0) {
      out->push_back(unk_id_);
    }
  }
}

bool VocabTokenizer::IsSpecial(int32_t id) const {
  const TokenType t = vocab_.at(id).type;
  return t == TokenType::kControl || t == TokenType::kUnknown;
}

std::string VocabTokenizer::Decode(const std::vector<int32_t>& ids, bool skip_special) const {
  std::string out;
  bool at_start = true;  // the next piece may carry the encoder's dummy-prefix space
  for (int32_t id : ids) {
    if (!vocab_.valid(id) || static_cast<size_t>(id) >= rules_.pieces.size()) continue;
    if (id == bos_id_) {
      if (!skip_special) out += rules_.pieces[id];
      at_start = true;
      continue;
    }
    if (skip_special && IsSpecial(id)) continue;
    std::string_view piece = rules_.pieces[id];
    if (at_start && rules_.strip_dummy_prefix && !piece.empty() && piece[0] == ' ') {
      piece.remove_prefix(1);
    }
    out += piece;
    at_start = false;
  }
  return out;
}

std::string VocabTokenizer::TokenBytes(int32_t id, int32_t prev) const {
  if (!vocab_.valid(id) || static_cast<size_t>(id) >= rules_.pieces.size()) return {};
  std::string_view piece = rules_.pieces[id];
  if (rules_.strip_dummy_prefix && prev >= 0 && prev == bos_id_ && !piece.empty() && piece[0] == ' ') {
    piece.remove_prefix(1);
  }
  return std::string(piece);
}

std::optional<int32_t> VocabTokenizer::SpecialTokenId(std::string_view text) const {
  const int32_t id = vocab_.Find(text);
  if (id < 0) return std::nullopt;
  const TokenType t = vocab_.at(id).type;
  if (t == TokenType::kControl || t == TokenType::kUserDefined || t == TokenType::kUnknown) return id;
  return std::nullopt;
}

}  // namespace warden::engine::tokenizer_internal
