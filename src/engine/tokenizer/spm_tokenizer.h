// SentencePiece-style BPE (kind "spm"): GGUF vocabularies with tokenizer.ggml.model "llama"
// and Hugging Face tokenizer.json files in the Llama style (Metaspace, byte_fallback).
// Internal to warden_engine_tokenizer.
//
// Encoding, as llama.cpp does it: special tokens are cut out first (vocab.h); each remaining
// stretch of text gets a leading space if it is the first or follows a special token
// (add_space_prefix), spaces become U+2581 "▁", the text is split into UTF-8 characters and
// adjacent symbols are merged, best first: by token score (GGUF) or by merge rank (tokenizer.json).
// A symbol that is not a token becomes its bytes' "<0xNN>" tokens (byte fallback).
#pragma once

#include <memory>
#include <optional>

#include "engine/tokenizer/merge.h"
#include "engine/tokenizer/vocab.h"

namespace warden::engine::tokenizer_internal {

struct SpmOptions {
  bool add_space_prefix = true;   // the dummy "▁" before the text and after special tokens
  bool prefix_first_only = false;  // ... but only at the very start of the text (Metaspace "first")
  bool escape_whitespace = true;  // ' ' -> "▁"
  bool byte_fallback = true;      // unknown characters -> "<0xNN>"; otherwise -> UNK
  bool split_on_metaspace = false;  // Metaspace split: each "▁" starts a word merges cannot cross
  std::optional<MergeTable> merges;  // merge by rank (tokenizer.json) instead of by score
};

class SpmTokenizer final : public VocabTokenizer {
 public:
  SpmTokenizer(Vocab vocab, SpecialIds specials, SpmOptions options);

  std::string kind() const override { return "spm"; }

 private:
  void EncodeFragments(std::string_view text, const std::vector<Fragment>& fragments,
                       std::vector<int32_t>* out) const override;
  void EncodeRaw(std::string_view text, std::vector<int32_t>* out) const;
  void EncodeWord(std::string_view word, std::vector<int32_t>* out) const;

  SpmOptions options_;
};

// The bytes each SentencePiece token decodes to: "▁" -> ' ' in normal tokens, "<0xNN>" -> the
// byte, special and user-defined tokens verbatim, unused tokens nothing.
DecodeRules SpmDecodeRules(const Vocab& vocab, bool add_space_prefix);

}  // namespace warden::engine::tokenizer_internal
