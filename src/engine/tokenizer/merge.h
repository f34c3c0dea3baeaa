// The two BPE merge loops. Both work on a doubly linked list of symbols (spans of one piece of
// text) with a priority queue of candidate pairs, so a piece of n symbols costs O(n log n),
// never a rescan of the whole piece per merge. Internal to warden_engine_tokenizer.
#pragma once

#include <cstdint>
#include <limits>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/tokenizer/vocab.h"

namespace warden::engine::tokenizer_internal {

// A span [start, start + len) of the text being merged and the token it is (-1: not a token).
// A symbol with mergeable == false (llama2.c's byte fallback) never joins a pair.
struct Symbol {
  uint32_t start = 0;
  uint32_t len = 0;
  int32_t id = -1;
  bool mergeable = true;
};

// SentencePiece's rule: repeatedly merge the adjacent pair whose concatenated text is a
// vocabulary token with the highest score (ties: the leftmost pair). Only tokens with
// score >= min_score take part. The symbols must tile `text` in order. Returns the survivors.
std::vector<Symbol> MergeByScore(std::string_view text, const std::vector<Symbol>& symbols,
                                 const Vocab& vocab,
                                 float min_score = -std::numeric_limits<float>::infinity());

// A BPE merge list: the pair (left, right) of token ids becomes `result` at priority `rank`
// (lower first). `result` is -1 when the merged text is not itself a token.
class MergeTable {
 public:
  struct Merge {
    int32_t rank;
    int32_t result;
  };
  // Keeps the first rank given for a pair, as Hugging Face and llama.cpp do.
  void Add(int32_t left, int32_t right, int32_t result, int32_t rank);
  const Merge* Find(int32_t left, int32_t right) const;
  size_t size() const { return map_.size(); }

 private:
  static uint64_t Key(int32_t l, int32_t r) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(l)) << 32) | static_cast<uint32_t>(r);
  }
  std::unordered_map<uint64_t, Merge> map_;
};

// GPT-2's rule: repeatedly merge the adjacent pair with the lowest rank in `merges` (ties: the
// leftmost pair). Symbols need ids; a symbol with id -1 never merges. Returns the survivors.
std::vector<Symbol> MergeByRank(const std::vector<Symbol>& symbols, const MergeTable& merges);

}  // namespace warden::engine::tokenizer_internal
