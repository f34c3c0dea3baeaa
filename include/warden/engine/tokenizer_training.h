// Training a tokenizer on a corpus, for models warden trains from scratch (the model organisms).
// Torch-free.
//
//   TokenizerTrainOptions o;  o.vocab_size = 1024;  o.control_tokens = {"<|user|>", ...};
//   std::string json = TrainTokenizerJson(texts, o).ValueOrThrow();   // a tokenizer.json
//   auto tok = ParseHfTokenizerJson(json, "tokenizer.json").ValueOrThrow();
//
// Classic BPE (Sennrich et al. 2016) in SentencePiece's style: " " is written "▁" and starts a
// word, a newline is a word of its own, digits are never merged (arithmetic is written digit
// by digit), and characters too rare for the alphabet fall back to byte tokens. The result is a
// Hugging Face tokenizer.json of the SentencePiece-style family the engine reads (tokenizer.h):
// model BPE with byte_fallback, a Replace " " -> "▁" normalizer, no dummy-prefix space, and the
// merges in the order they were learned. Hugging Face `tokenizers` reads the same file.
//
// Why not SentencePiece's own trainer: Debian's libsentencepiece carries a private copy of
// protobuf-lite whose exported symbols collide with the libprotobuf that libtorch loads (any
// binary linking both crashes during static initialisation), so it cannot live in warden's
// process. The algorithm here is small and its output is checked against a literal reference.
//
// Layout of the vocabulary: 0 "<unk>", 1 "<s>", 2 "</s>", then the control tokens in the order
// given, then the 256 byte tokens "<0x00>".."<0xFF>", then the alphabet ("▁" always, then
// single characters, most frequent first), then one piece per merge. Control tokens are special: never learned
// from text and matched in text only with parse_special.
//
// Decode(Encode(text)) == text for any bytes, except that a literal "▁" (U+2581) in the text
// comes back as a space, as with every SentencePiece-style tokenizer.
//
// Deterministic: the same texts and options give the same bytes on every machine (ties between
// equally frequent pairs go to the smaller merged string).
#pragma once

#include <string>
#include <vector>

#include "warden/base/status.h"

namespace warden::engine {

struct TokenizerTrainOptions {
  int vocab_size = 1024;  // total, specials and the 256 byte tokens included
  std::vector<std::string> control_tokens;  // e.g. a chat format's turn markers
  int min_char_count = 2;     // a character seen fewer times is left to byte fallback
  int max_piece_bytes = 16;   // a merged piece never exceeds this many bytes
};

// Errors (never throws) when the options are unusable (a vocabulary too small for the specials
// and byte tokens, a control token that is empty or repeated) or the corpus is empty or too
// poor to fill `vocab_size` (no pair left that occurs twice; the message says how far it got).
Result<std::string> TrainTokenizerJson(const std::vector<std::string>& texts, const TokenizerTrainOptions& options);

}  // namespace warden::engine
