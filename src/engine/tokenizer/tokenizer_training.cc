// TrainTokenizerJson: byte-fallback BPE learned from a corpus, written as a tokenizer.json.
#include "warden/engine/tokenizer_training.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <unordered_map>

#include <nlohmann/json.hpp>

namespace warden::engine {
namespace {

using Json = nlohmann::json;

constexpr const char* kSpace = "\xE2\x96\x81";  // "▁"
constexpr int kFixedSpecials = 3;               // <unk>, <s>, </s>
constexpr int kByteTokens = 256;
constexpr int kNoSymbol = -1;                   // a character left to byte fallback: never merged

// The characters of `text` with " " written "▁"; an invalid UTF-8 byte is a character of its own.
std::vector<std::string> Characters(const std::string& text) {
  std::vector<std::string> out;
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    bool valid = len > 0 && i + len <= text.size();
    for (size_t k = 1; valid && k < len; ++k) valid = (static_cast<unsigned char>(text[i + k]) & 0xC0) == 0x80;
    if (!valid) len = 1;
    out.push_back(text[i] == ' ' ? std::string(kSpace) : text.substr(i, len));
    if (!valid) out.back() = "\xFF" + out.back();  // marks "not a character": never in the alphabet
    i += len;
  }
  return out;
}

bool IsDigit(const std::string& ch) { return ch.size() == 1 && ch[0] >= '0' && ch[0] <= '9'; }

// Words as SentencePiece cuts them: a "▁" after anything else starts a word, and a newline is a
// word of its own. Merges never cross a word boundary.
std::map<std::vector<std::string>, int64_t> CountWords(const std::vector<std::string>& texts) {
  std::map<std::vector<std::string>, int64_t> words;
  for (const std::string& text : texts) {
    std::vector<std::string> word;
    auto flush = [&] {
      if (!word.empty()) ++words[word];
      word.clear();
    };
    for (std::string& ch : Characters(text)) {
      const bool newline = ch == "\n";
      if (newline || (ch == kSpace && !word.empty() && word.back() != kSpace)) flush();
      word.push_back(std::move(ch));
      if (newline) flush();
    }
    flush();
  }
  return words;
}

struct Word {
  std::vector<int> symbols;
  int64_t count;
};

uint64_t PairKey(int a, int b) { return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b); }

class BpeLearner {
 public:
  BpeLearner(const std::map<std::vector<std::string>, int64_t>& counted, const TokenizerTrainOptions& o, int alphabet_max)
      : options_(o) {
    std::map<std::string, int64_t> chars;
    for (const auto& [w, n] : counted) {
      for (const std::string& ch : w) chars[ch] += n;
    }
    std::vector<std::pair<std::string, int64_t>> ranked(chars.begin(), chars.end());
    std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    // "▁" always: the normalizer writes every space as "▁", and left to byte fallback it would
    // decode as the bytes of "▁", not as a space (found by tokenizer_training_fuzz).
    AddPiece(kSpace, /*mergeable=*/true);
    for (const auto& [ch, n] : ranked) {
      if (static_cast<int>(pieces_.size()) >= alphabet_max || n < o.min_char_count) break;
      if (static_cast<unsigned char>(ch[0]) == 0xFF || ch == kSpace) continue;  // invalid UTF-8: bytes only
      AddPiece(ch, /*mergeable=*/!IsDigit(ch));
    }
    for (const auto& [w, n] : counted) {
      Word word{{}, n};
      for (const std::string& ch : w) {
        auto it = id_.find(ch);
        word.symbols.push_back(it == id_.end() ? kNoSymbol : it->second);
      }
      words_.push_back(std::move(word));
    }
    for (const Word& w : words_) CountPairs(w, +1);
  }

  const std::vector<std::string>& pieces() const { return pieces_; }
  const std::vector<std::pair<int, int>>& merges() const { return merges_; }

  // One merge of the most frequent pair; false when no pair occurs at least twice.
  bool Step() {
    int64_t best_count = 1;
    uint64_t best = 0;
    std::string best_text;
    for (const auto& [key, n] : pairs_) {
      if (n < best_count) continue;
      const std::string text = pieces_[key >> 32] + pieces_[key & 0xFFFFFFFFu];
      if (n > best_count || text < best_text) best_count = n, best = key, best_text = text;
    }
    if (best_text.empty()) return false;
    const int a = static_cast<int>(best >> 32), b = static_cast<int>(best & 0xFFFFFFFFu);
    auto existing = id_.find(best_text);
    const int merged = existing != id_.end() ? existing->second : AddPiece(best_text, true);
    merges_.emplace_back(a, b);
    for (Word& w : words_) {
      if (!Contains(w, a, b)) continue;
      CountPairs(w, -1);
      std::vector<int> out;
      for (size_t i = 0; i < w.symbols.size(); ++i) {
        if (i + 1 < w.symbols.size() && w.symbols[i] == a && w.symbols[i + 1] == b) {
          out.push_back(merged);
          ++i;
        } else {
          out.push_back(w.symbols[i]);
        }
      }
      w.symbols = std::move(out);
      CountPairs(w, +1);
    }
    pairs_.erase(best);
    return true;
  }

  int new_pieces() const { return static_cast<int>(pieces_.size()); }

 private:
  int AddPiece(const std::string& text, bool mergeable) {
    const int id = static_cast<int>(pieces_.size());
    pieces_.push_back(text);
    mergeable_.push_back(mergeable);
    id_.emplace(text, id);
    return id;
  }
  static bool Contains(const Word& w, int a, int b) {
    for (size_t i = 0; i + 1 < w.symbols.size(); ++i) {
      if (w.symbols[i] == a && w.symbols[i + 1] == b) return true;
    }
    return false;
  }
  void CountPairs(const Word& w, int sign) {
    for (size_t i = 0; i + 1 < w.symbols.size(); ++i) {
      const int a = w.symbols[i], b = w.symbols[i + 1];
      if (a == kNoSymbol || b == kNoSymbol || !mergeable_[a] || !mergeable_[b]) continue;
      if (static_cast<int>(pieces_[a].size() + pieces_[b].size()) > options_.max_piece_bytes) continue;
      auto it = pairs_.emplace(PairKey(a, b), 0).first;
      it->second += sign * w.count;
      if (it->second <= 0) pairs_.erase(it);
    }
  }

  const TokenizerTrainOptions& options_;
  std::vector<std::string> pieces_;
  std::vector<bool> mergeable_;
  std::unordered_map<std::string, int> id_;
  std::vector<Word> words_;
  std::unordered_map<uint64_t, int64_t> pairs_;
  std::vector<std::pair<int, int>> merges_;
};

Status CheckOptions(const std::vector<std::string>& texts, const TokenizerTrainOptions& o) {
  std::set<std::string> seen = {"<unk>", "<s>", "</s>"};
  for (const std::string& t : o.control_tokens) {
    if (t.empty() || !seen.insert(t).second) {
      return Status::InvalidArgument("tokenizer training: control token '" + t + "' is empty or given twice");
    }
  }
  const int reserved = kFixedSpecials + static_cast<int>(o.control_tokens.size()) + kByteTokens;
  if (o.vocab_size <= reserved) {
    return Status::InvalidArgument("tokenizer training: vocab_size " + std::to_string(o.vocab_size) +
                                   " leaves no room for learned pieces (" + std::to_string(reserved) +
                                   " ids are specials and byte tokens)");
  }
  if (o.max_piece_bytes < 2) return Status::InvalidArgument("tokenizer training: max_piece_bytes must be >= 2");
  for (const std::string& t : texts) {
    if (!t.empty()) return Status::Ok();
  }
  return Status::InvalidArgument("tokenizer training: the corpus is empty");
}

Json AddedToken(int id, const std::string& text) {
  return {{"id", id},        {"content", text},     {"single_word", false}, {"lstrip", false},
          {"rstrip", false}, {"normalized", false}, {"special", true}};
}

std::string ByteToken(int b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "<0x%02X>", b);
  return buf;
}

}  // namespace

Result<std::string> TrainTokenizerJson(const std::vector<std::string>& texts, const TokenizerTrainOptions& o) {
  WARDEN_RETURN_IF_ERROR(CheckOptions(texts, o));
  Json vocab = Json::object();
  Json added = Json::array();
  std::vector<std::string> fixed = {"<unk>", "<s>", "</s>"};
  fixed.insert(fixed.end(), o.control_tokens.begin(), o.control_tokens.end());
  int next_id = 0;
  for (const std::string& t : fixed) {
    added.push_back(AddedToken(next_id, t));
    vocab[t] = next_id++;
  }
  for (int b = 0; b < kByteTokens; ++b) vocab[ByteToken(b)] = next_id++;

  const int free_slots = o.vocab_size - static_cast<int>(vocab.size());
  BpeLearner learner(CountWords(texts), o, /*alphabet_max=*/std::max(1, free_slots / 2));
  while (learner.new_pieces() < free_slots) {
    if (!learner.Step()) {
      return Status::InvalidArgument("tokenizer training: the corpus fills only " +
                                     std::to_string(static_cast<int>(vocab.size()) + learner.new_pieces()) + " of " +
                                     std::to_string(o.vocab_size) + " ids (no pair occurs twice more)");
    }
  }
  const int first = static_cast<int>(vocab.size());
  for (size_t i = 0; i < learner.pieces().size(); ++i) {
    if (vocab.contains(learner.pieces()[i])) {
      return Status::InvalidArgument("tokenizer training: learned piece '" + learner.pieces()[i] +
                                     "' spells a special or byte token");
    }
    vocab[learner.pieces()[i]] = first + static_cast<int>(i);
  }
  Json merges = Json::array();
  for (const auto& [a, b] : learner.merges()) merges.push_back(Json::array({learner.pieces()[a], learner.pieces()[b]}));

  Json root = {
      {"version", "1.0"},
      {"truncation", nullptr},
      {"padding", nullptr},
      {"added_tokens", added},
      {"normalizer", {{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", kSpace}}},
      {"pre_tokenizer", nullptr},
      {"post_processor", nullptr},
      {"decoder",
       {{"type", "Sequence"},
        {"decoders", Json::array({{{"type", "Replace"}, {"pattern", {{"String", kSpace}}}, {"content", " "}},
                                  {{"type", "ByteFallback"}},
                                  {{"type", "Fuse"}}})}}},
      {"model",
       {{"type", "BPE"},
        {"dropout", nullptr},
        {"unk_token", "<unk>"},
        {"continuing_subword_prefix", nullptr},
        {"end_of_word_suffix", nullptr},
        {"fuse_unk", true},
        {"byte_fallback", true},
        {"vocab", vocab},
        {"merges", merges}}},
  };
  return root.dump(1) + "\n";
}

}  // namespace warden::engine
