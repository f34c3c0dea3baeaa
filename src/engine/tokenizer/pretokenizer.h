// Regex pre-tokenizers for byte-level BPE: text is cut into "words" before merging, so that a
// merge never crosses a word boundary. Internal to warden_engine_tokenizer.
//
// A pre-tokenizer is a list of regexes applied in sequence (llama.cpp's regex_exprs, Hugging
// Face's Sequence of Split pre-tokenizers with behavior "Isolated"): each regex splits every
// piece produced by the previous one; the matches AND the unmatched stretches between them
// both become pieces, nothing is dropped. A regex only ever sees one piece, so lookarounds
// and anchors stop at the piece's edges.
//
// Regexes run on PCRE2 with PCRE2_UTF | PCRE2_UCP, so \p{L}, \p{N}, \s ... have their Unicode
// meaning. Bytes that are not UTF-8 are barriers: each run of them becomes a piece of its own
// (which byte-level BPE then encodes byte by byte) and the regexes see only the valid text
// between them, where lookarounds and $ stop as at the end of a piece.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "warden/base/status.h"

struct pcre2_real_code_8;

namespace warden::engine::tokenizer_internal {

class Regex {
 public:
  // Compiles `pattern`; errors name `source` and the PCRE2 message and offset.
  static Result<std::unique_ptr<Regex>> Compile(const std::string& pattern, const std::string& source);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // Appends the matches and the gaps between them, in order, to *out (no empty pieces). If
  // PCRE2 hits a resource limit, the rest of that stretch of text is appended as one piece.
  void SplitInto(std::string_view text, std::vector<std::string_view>* out) const;
  const std::string& pattern() const { return pattern_; }

 private:
  Regex() = default;
  void SplitValid(std::string_view text, std::vector<std::string_view>* out) const;  // valid UTF-8
  pcre2_real_code_8* code_ = nullptr;
  std::string pattern_;
};

// An ordered list of regexes; immutable and thread-safe once built.
class RegexSplitter {
 public:
  static Result<RegexSplitter> Compile(const std::vector<std::string>& patterns, const std::string& source);
  RegexSplitter() = default;

  // The pieces of `text` (views into it). With no regexes, `text` itself.
  std::vector<std::string_view> Split(std::string_view text) const;
  size_t size() const { return regexes_.size(); }

 private:
  std::vector<std::unique_ptr<Regex>> regexes_;
};

// What tokenizer.ggml.pre selects, as llama.cpp defines it.
struct PreTokenizerSpec {
  std::vector<std::string> regexes;
  bool ignore_merges = false;  // a word that is a whole token is emitted as is (Llama 3)
  bool add_bos = false;        // BOS by default unless tokenizer.ggml.add_bos_token says otherwise
};

// The spec for a tokenizer.ggml.pre name ("gpt-2", "llama-bpe", "deepseek-coder" ...); an absent
// key means "default". nullopt for a name warden does not know.
std::optional<PreTokenizerSpec> PreTokenizerForName(std::string_view name);

// GPT-2's pattern, which Hugging Face's ByteLevel pre-tokenizer uses when use_regex is true.
extern const char* const kGpt2Pattern;

}  // namespace warden::engine::tokenizer_internal
