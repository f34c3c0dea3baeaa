// Tokenizers: text <-> token ids. Torch-free.
//
// Three families, one interface:
//  - llama2.c's tokenizer.bin (SentencePiece-style scores, byte tokens "<0xNN>");
//  - SentencePiece-style BPE from a GGUF vocabulary (tokenizer.ggml.model = "llama"), with
//    byte fallback;
//  - byte-level BPE (GPT-2 style: bytes mapped to printable code points, merges, a regex
//    pre-tokenizer chosen by tokenizer.ggml.pre) from GGUF ("gpt2") or Hugging Face
//    tokenizer.json.
// Special tokens (control/user-defined) are matched in text only when `parse_special` is set.
// Thread-safety: a constructed Tokenizer is immutable; Encode/Decode may be called concurrently.
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

struct EncodeOptions {
  bool add_bos = true;         // prepend BOS if the vocabulary asks for it (tokenizer.ggml.add_bos_token)
  bool parse_special = false;  // treat special-token text like "<|im_start|>" as that token
};

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  virtual std::vector<int32_t> Encode(std::string_view text, const EncodeOptions& opts) const = 0;
  // The text of the ids concatenated. Special tokens render as their text unless skipped.
  virtual std::string Decode(const std::vector<int32_t>& ids, bool skip_special = false) const = 0;
  // The raw bytes one token contributes when it follows `prev` (SentencePiece strips the
  // leading space after BOS). May be an incomplete UTF-8 sequence.
  virtual std::string TokenBytes(int32_t id, int32_t prev = -1) const = 0;

  virtual int32_t vocab_size() const = 0;
  virtual int32_t bos_id() const = 0;  // -1 if none
  virtual int32_t eos_id() const = 0;  // -1 if none
  virtual bool add_bos_by_default() const = 0;
  // Id of a special token by its text ("<|im_start|>"), if the vocabulary has one.
  virtual std::optional<int32_t> SpecialTokenId(std::string_view text) const = 0;
  virtual std::string kind() const = 0;  // "llama2c" | "spm" | "bpe"
};

// Each factory validates the file and names the problem (file, field, index) on failure.
Result<std::unique_ptr<Tokenizer>> LoadLlama2cTokenizer(const std::string& path, int32_t vocab_size);
Result<std::unique_ptr<Tokenizer>> LoadGgufTokenizer(const GgufFile& gguf);
Result<std::unique_ptr<Tokenizer>> LoadHfTokenizerJson(const std::string& path);
// From memory, for the fuzzer and tests.
Result<std::unique_ptr<Tokenizer>> ParseHfTokenizerJson(std::string_view json, const std::string& source);
Result<std::unique_ptr<Tokenizer>> ParseLlama2cTokenizer(std::string_view bytes, int32_t vocab_size,
                                                         const std::string& source);

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
