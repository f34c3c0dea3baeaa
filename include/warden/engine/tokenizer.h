// Tokenizers: text <-> token ids. Torch-free.
//
// Three families, one interface:
//  - llama2.c's tokenizer.bin (SentencePiece-style scores, byte tokens "<0xNN>");
//  - SentencePiece-style BPE from a GGUF vocabulary (tokenizer.ggml.model = "llama"), with
//    byte fallback;
//  - byte-level BPE (GPT-2 style: bytes mapped to printable code points, merges, a regex
//    pre-tokenizer chosen by tokenizer.ggml.pre) from GGUF ("gpt2") or Hugging Face
//    tokenizer.json.
// Encoding reproduces llama.cpp's (tested id for id against its tokenizer test vectors, see
// src/engine/tokenizer/README.md). Any bytes are accepted, valid UTF-8 or not; nothing crashes.
//
// Special tokens, as llama.cpp and Hugging Face treat them: control tokens ("<s>",
// "<|im_start|>") are matched in text only when `parse_special` is set; user-defined tokens
// (Hugging Face's non-special added tokens) are always matched; longer tokens win.
//
// Thread-safety: a constructed Tokenizer is immutable; every method may be called concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "warden/base/status.h"

namespace warden::engine {

class GgufFile;

// One piece of a text assembled from parts of different trust (see Tokenizer::EncodeSpans).
struct TextSpan {
  std::string_view text;
  bool trusted;  // special-token text here becomes the special token
};

struct EncodeOptions {
  bool add_bos = true;         // prepend BOS if the vocabulary asks for it (tokenizer.ggml.add_bos_token)
  bool parse_special = false;  // treat special-token text like "<|im_start|>" as that token
};

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // Token ids for `text`: BOS first when opts.add_bos and the vocabulary wants it
  // (add_bos_by_default()); never EOS. llama2.c ignores parse_special (it has no special text).
  virtual std::vector<int32_t> Encode(std::string_view text, const EncodeOptions& opts) const = 0;
  // Encodes the concatenation of `spans` exactly as Encode(concatenation, {add_bos,
  // parse_special=true}) would, except that control tokens are recognised only where their
  // text lies wholly inside trusted spans. Chat templates use it so that a user who types
  // "<|im_end|>" gets text, not a turn boundary. (User-defined tokens match everywhere, as in
  // Encode.)
  virtual std::vector<int32_t> EncodeSpans(const std::vector<TextSpan>& spans, bool add_bos) const = 0;
  // The bytes of the ids concatenated (may be invalid UTF-8 if the ids are). Control and unknown
  // tokens render as their text unless skip_special; user-defined tokens always do. For
  // SentencePiece and llama2.c the dummy-prefix space the encoder adds is dropped from the first
  // piece and from the piece after BOS, so Decode(Encode(s)) == s. No clean-up of spaces before
  // punctuation is applied. Ids outside the vocabulary are skipped.
  virtual std::string Decode(const std::vector<int32_t>& ids, bool skip_special = false) const = 0;
  // The raw bytes one token contributes when it follows `prev` (-1: unknown): for streaming.
  // SentencePiece and llama2.c drop the leading space only when prev is BOS. May be an
  // incomplete UTF-8 sequence (feed it to a Utf8Streamer). Empty for an id outside the vocabulary.
  virtual std::string TokenBytes(int32_t id, int32_t prev = -1) const = 0;

  virtual int32_t vocab_size() const = 0;
  virtual int32_t bos_id() const = 0;  // -1 if none
  virtual int32_t eos_id() const = 0;  // -1 if none
  virtual bool add_bos_by_default() const = 0;
  // Id of a special (control, user-defined or unknown) token by its text ("<|im_start|>").
  virtual std::optional<int32_t> SpecialTokenId(std::string_view text) const = 0;
  virtual std::string kind() const = 0;  // "llama2c" | "spm" | "bpe"
};

// Each factory validates the file and names the problem (file, field, index) on failure:
// Corrupt for contradictions (a merge naming an unknown token, a token_type array of the wrong
// length, a duplicate token), Unsupported for well-formed features warden does not implement
// (an unknown tokenizer.ggml.pre, a Unigram tokenizer.json, a WordPiece GGUF ...).
// The returned tokenizer owns copies of everything it needs; the GgufFile may be closed.
// llama2.c: tokenizer.bin does not record its size; vocab_size is the model's (the first
// vocab_size entries are read, trailing ones ignored, as run.c does), or 0 for "all of them".
Result<std::unique_ptr<Tokenizer>> LoadLlama2cTokenizer(const std::string& path, int32_t vocab_size);
Result<std::unique_ptr<Tokenizer>> LoadGgufTokenizer(const GgufFile& gguf);
Result<std::unique_ptr<Tokenizer>> LoadHfTokenizerJson(const std::string& path);
// From memory, for the fuzzer and tests.
Result<std::unique_ptr<Tokenizer>> ParseHfTokenizerJson(std::string_view json, const std::string& source);
Result<std::unique_ptr<Tokenizer>> ParseLlama2cTokenizer(std::string_view bytes, int32_t vocab_size,
                                                         const std::string& source);
// Any of the above, chosen by content: GGUF magic -> the file's tokenizer.ggml.* metadata; a
// first non-blank byte '{' -> tokenizer.json; otherwise llama2.c's tokenizer.bin, reading
// `llama2c_vocab_size` entries (0: all of them; see LoadLlama2cTokenizer).
Result<std::unique_ptr<Tokenizer>> LoadTokenizer(const std::string& path, int32_t llama2c_vocab_size = 0);

// The test strings of a llama.cpp tokenizer vector file (FILE.inp): strings separated by lines
// "__ggml_vocab_test__", in order, exactly as llama.cpp's test-tokenizer-0 reads them.
Result<std::vector<std::string>> ReadVocabTestStrings(const std::string& path);

// Streams bytes from successive tokens and releases only complete UTF-8 characters, so a
// client never sees half a character. Invalid sequences are released as U+FFFD.
class Utf8Streamer {
 public:
  std::string Push(std::string_view bytes);  // returns the text that is now complete
  std::string Flush();                       // whatever remains, invalid tail as U+FFFD
 private:
  std::string pending_;
};

}  // namespace warden::engine
