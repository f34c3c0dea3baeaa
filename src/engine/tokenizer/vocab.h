// The vocabulary every tokenizer family shares: token texts, scores and types, lookup by text,
// the special-token partition of input text, and the base class that implements Decode,
// TokenBytes and the accessors once a family has said what bytes each token stands for.
// Internal to warden_engine_tokenizer.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "warden/base/status.h"
#include "warden/engine/tokenizer.h"

namespace warden::engine::tokenizer_internal {

// GGUF's tokenizer.ggml.token_type values (llama.cpp's llama_token_type).
enum class TokenType : int32_t {
  kUndefined = 0,
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

struct TokenInfo {
  std::string text;  // as stored in the vocabulary (byte-level BPE: the mapped form)
  float score = 0.0f;
  TokenType type = TokenType::kNormal;
  bool lstrip = false;  // special token swallows the whitespace before it (Hugging Face lstrip)
  bool rstrip = false;  // ... and after it
};

// Immutable after Build(); movable, not copyable (the lookup table points into the tokens).
class Vocab {
 public:
  // Validates and indexes the tokens. `source` names the file and field for errors, e.g.
  // "model.gguf: tokenizer.ggml.tokens". Duplicate texts are an error naming both ids unless
  // allow_duplicates (then the lowest id wins lookups); an empty text is replaced by
  // "[EMPTY_<id>]" (as llama.cpp does) so that it cannot match.
  static Result<Vocab> Build(std::vector<TokenInfo> tokens, const std::string& source,
                             bool allow_duplicates = false);

  Vocab(Vocab&&) = default;
  Vocab& operator=(Vocab&&) = default;
  Vocab(const Vocab&) = delete;
  Vocab& operator=(const Vocab&) = delete;

  int32_t size() const { return static_cast<int32_t>(tokens_.size()); }
  const TokenInfo& at(int32_t id) const { return tokens_[static_cast<size_t>(id)]; }
  bool valid(int32_t id) const { return id >= 0 && id < size(); }
  // The id whose text is exactly `text`, or -1.
  int32_t Find(std::string_view text) const;
  // The SentencePiece byte token "<0xNN>" for byte b, or -1.
  int32_t ByteToken(uint8_t b) const { return byte_tokens_[b]; }
  // Control, user-defined and unknown tokens, longest text first (ties: lower id first): the
  // order in which PartitionSpecials looks for them.
  const std::vector<int32_t>& specials() const { return specials_; }

 private:
  Vocab() = default;
  std::vector<TokenInfo> tokens_;
  std::unordered_map<std::string_view, int32_t> ids_;  // views into tokens_[i].text
  std::vector<int32_t> specials_;
  int32_t byte_tokens_[256] = {};
};

// One piece of input text after special tokens were cut out: either a special token (token
// >= 0) or raw text still to be tokenized (token == -1). `text` views the caller's input.
struct Fragment {
  int32_t token = -1;
  std::string_view text;
};

// A byte range [begin, end) of a text.
struct ByteRange {
  size_t begin;
  size_t end;
};

// llama.cpp's (and Hugging Face's) special-token partition. User-defined tokens are always cut
// out of the text; control and unknown tokens only when parse_special, and never where they
// would overlap one of the `untrusted` ranges (sorted, disjoint; may be null). Tokens are
// searched longest first over the whole text, so a longer token wins over a shorter one it
// overlaps. lstrip/rstrip tokens also take the ASCII whitespace next to them.
std::vector<Fragment> PartitionSpecials(const Vocab& vocab, std::string_view text, bool parse_special,
                                        const std::vector<ByteRange>* untrusted = nullptr);

// Merge positions are 32-bit: text longer than this is merged in chunks cut at character
// boundaries (a boundary may then split what would have been one token; no real text is
// a single gigabyte-long word).
inline constexpr size_t kMaxMergeSpan = size_t{1} << 30;
// Calls fn on consecutive chunks of `text`, each at most kMaxMergeSpan bytes, never cutting a
// valid UTF-8 character.
void ForEachMergeChunk(std::string_view text, const std::function<void(std::string_view)>& fn);

// The byte value of a SentencePiece byte token "<0xNN>" (hex digits either case), or -1.
int ParseByteToken(std::string_view text);

// What a family says about its vocabulary so that VocabTokenizer can decode.
struct DecodeRules {
  // The bytes each token decodes to (control/unknown tokens: their text; the caller decides
  // whether to skip them). Indexed by id, size == vocab.size().
  std::vector<std::string> pieces;
  // SentencePiece-style: the first piece of a text (and the piece after BOS) loses one leading
  // space, the dummy prefix the encoder added.
  bool strip_dummy_prefix = false;
};

// The special token ids a vocabulary declares (-1: none) and whether it wants BOS by default.
struct SpecialIds {
  int32_t bos = -1;
  int32_t eos = -1;
  int32_t unk = -1;
  bool add_bos = false;
};

// Implements everything but fragment encoding and kind() for a vocabulary-backed tokenizer.
class VocabTokenizer : public Tokenizer {
 public:
  std::vector<int32_t> Encode(std::string_view text, const EncodeOptions& opts) const final;
  std::vector<int32_t> EncodeSpans(const std::vector<TextSpan>& spans, bool add_bos) const final;
  std::string Decode(const std::vector<int32_t>& ids, bool skip_special) const override;
  std::string TokenBytes(int32_t id, int32_t prev) const override;
  int32_t vocab_size() const override { return vocab_.size(); }
  int32_t bos_id() const override { return bos_id_; }
  int32_t eos_id() const override { return eos_id_; }
  bool add_bos_by_default() const override { return add_bos_; }
  std::optional<int32_t> SpecialTokenId(std::string_view text) const override;

  const Vocab& vocab() const { return vocab_; }

 protected:
  // Ids outside the vocabulary are dropped (treated as -1). The derived constructor must call
  // SetDecodeRules before the object is used.
  VocabTokenizer(Vocab vocab, SpecialIds specials);
  void SetDecodeRules(DecodeRules rules) { rules_ = std::move(rules); }

  // Appends the ids of `fragments` (the partition of `text`) to *out. Special-token fragments
  // become their ids; raw ones are the family's business.
  virtual void EncodeFragments(std::string_view text, const std::vector<Fragment>& fragments,
                               std::vector<int32_t>* out) const = 0;
  // llama2.c's vocabulary has no special tokens to find in text.
  void DisableSpecialParsing() { parse_specials_ = false; }
  int32_t unk_id() const { return unk_id_; }
  // Appends the byte tokens "<0xNN>" for `bytes`; a byte without one becomes UNK (if any).
  void AppendByteFallback(std::string_view bytes, std::vector<int32_t>* out) const;

 private:
  bool IsSpecial(int32_t id) const;  // control or unknown: what skip_special skips
  std::vector<int32_t> EncodeImpl(std::string_view text, bool add_bos, bool parse_special,
                                  const std::vector<ByteRange>* untrusted) const;

  Vocab vocab_;
  int32_t bos_id_, eos_id_, unk_id_;
  bool add_bos_;
  bool parse_specials_ = true;
  DecodeRules rules_;
};

}  // namespace warden::engine::tokenizer_internal
