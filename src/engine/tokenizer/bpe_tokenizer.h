// Byte-level BPE (kind "bpe"), GPT-2 style: GGUF vocabularies with tokenizer.ggml.model "gpt2"
// and Hugging Face tokenizer.json files whose pre-tokenizer is ByteLevel.
// Internal to warden_engine_tokenizer.
//
// Encoding, as llama.cpp does it: special tokens are cut out first (vocab.h); each remaining
// stretch of text is cut into words by the pre-tokenizer's regexes (pretokenizer.h); each
// word's bytes are mapped to printable code points (byte_level.h), one symbol per byte, and
// adjacent symbols are merged by merge rank, lowest first. Every byte has a token, so nothing
// is ever unknown; any byte sequence, valid UTF-8 or not, encodes and decodes back exactly.
#pragma once

#include "engine/tokenizer/merge.h"
#include "engine/tokenizer/pretokenizer.h"
#include "engine/tokenizer/vocab.h"

namespace warden::engine::tokenizer_internal {

struct BpeOptions {
  RegexSplitter splitter;
  MergeTable merges;
  bool ignore_merges = false;     // a word that is itself a token is emitted whole (Llama 3)
  bool add_prefix_space = false;  // Hugging Face ByteLevel: ' ' before text not starting with one
};

class BpeTokenizer final : public VocabTokenizer {
 public:
  BpeTokenizer(Vocab vocab, SpecialIds specials, BpeOptions options);

  std::string kind() const override { return "bpe"; }

 private:
  void EncodeFragments(std::string_view text, const std::vector<Fragment>& fragments,
                       std::vector<int32_t>* out) const override;
  void EncodeWord(std::string_view word, std::vector<int32_t>* out) const;

  BpeOptions options_;
};

// Reads a merge written "left right" (split at the first space after the first character,
// as llama.cpp does) and adds it to *table at `rank`. Errors name `where` (file, field, index)
// when there is no separator or a side is not a token.
Status AddMergeString(const Vocab& vocab, std::string_view merge, int32_t rank, const std::string& where,
                      MergeTable* table);
// The same for a merge already split in two.
Status AddMergePair(const Vocab& vocab, std::string_view left, std::string_view right, int32_t rank,
                    const std::string& where, MergeTable* table);

}  // namespace warden::engine::tokenizer_internal
