#include "engine/tokenizer/pretokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "engine/tokenizer/utf8.h"

namespace warden::engine::tokenizer_internal {
namespace {

// The patterns below are the regexes llama.cpp (src/llama-vocab.cpp) and the models'
// tokenizer.json files use. Where llama.cpp rewrote a pattern for std::regex (case-insensitive
// groups spelled out as [sS]...), the rewritten form is kept: it means the same thing and
// avoids Unicode case folding ('ſ' folds to 's'). Where llama.cpp approximated Unicode
// categories it cannot express (\p{Lu}, \p{Ll}), the original pattern is used: PCRE2 can.
// Non-ASCII characters are written as \x{...} escapes, so that no editor or tool that
// normalises Unicode can change a range. ("deepseek-llm" is left out: its letter class lists
// compatibility characters whose exact code points could not be confirmed.)
constexpr const char* kGpt2 = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S))";
#define WARDEN_CONTRACTIONS R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD]))"
constexpr const char* kLlama3 = WARDEN_CONTRACTIONS
    R"(|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr const char* kQwen2 = WARDEN_CONTRACTIONS
    R"(|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr const char* kSeedCoder = WARDEN_CONTRACTIONS
    R"(|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1}| ?[^\s\p{L}\p{N}\r\n]+|\s*[\r\n]+|\s+(?!\S)|\s+)";
#define WARDEN_UPPER R"([\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}])"
#define WARDEN_LOWER R"([\p{Ll}\p{Lm}\p{Lo}\p{M}])"
constexpr const char* kTekken =
    R"([^\r\n\p{L}\p{N}]?)" WARDEN_UPPER "*" WARDEN_LOWER "+"
    R"(|[^\r\n\p{L}\p{N}]?)" WARDEN_UPPER "+" WARDEN_LOWER "*"
    R"(|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr const char* kGpt4o =
    R"([^\r\n\p{L}\p{N}]?)" WARDEN_UPPER "*" WARDEN_LOWER "+" WARDEN_CONTRACTIONS "?"
    R"(|[^\r\n\p{L}\p{N}]?)" WARDEN_UPPER "+" WARDEN_LOWER "*" WARDEN_CONTRACTIONS "?"
    R"(|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
#undef WARDEN_UPPER
#undef WARDEN_LOWER
#undef WARDEN_CONTRACTIONS
constexpr const char* kCjk = R"([\x{4E00}-\x{9FA5}\x{0800}-\x{4E00}\x{AC00}-\x{D7FF}]+)";
constexpr const char* kPoro = R"( ?[^(\s|.,!?\x{2026}\x{3002}\x{FF0C}\x{3001}\x{0964}\x{06D4}\x{060C})]+)";
constexpr const char* kDeepseekV3Words =
    R"([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

struct Family {
  std::vector<const char*> names;
  std::vector<const char*> regexes;
  bool ignore_merges = false;
  bool add_bos = false;
};

const std::vector<Family>& Families() {
  static const std::vector<Family> families = {
      {{"default"}, {R"([\p{P}\$\+<=>\^~\|]+)", kGpt2, R"(\p{N}+)", "[0-9][0-9][0-9]"}},
      {{"llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2"},
       {kLlama3}, /*ignore_merges=*/true, /*add_bos=*/true},
      {{"dbrx", "smaug-bpe", "chatglm-bpe", "glm4"}, {kLlama3}},
      {{"deepseek-coder"}, {"[\r\n]", R"(\s?\p{L}+)", R"(\s?\p{P}+)", kCjk, R"(\p{N})"}},
      {{"deepseek-v3"}, {R"(\p{N}{1,3})", R"([\x{4E00}-\x{9FA5}\x{3040}-\x{309F}\x{30A0}-\x{30FF}]+)", kDeepseekV3Words}},
      {{"falcon"}, {R"([\p{P}\$\+<=>\^~\|`]+)", kGpt2, "[0-9][0-9][0-9]"}},
      {{"starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b"},
       {R"(\p{N})", kGpt2}},
      {{"gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de", "a.x-4.0",
        "mellum", "modern-bert", "jina-v1-en", "jina-v2-code", "roberta-bpe", "exaone4", "mpt",
        "olmo", "jais", "trillion", "granite-docling"},
       {kGpt2}},
      {{"qwen2", "deepseek-r1-qwen", "megrez", "stablelm2", "hunyuan"}, {kQwen2}},
      {{"poro-chat", "bloom", "gpt3-finnish"}, {kPoro}},
      {{"viking"}, {kPoro, R"(\p{N})"}},
      {{"tekken"}, {kTekken}, /*ignore_merges=*/true, /*add_bos=*/true},
      {{"gpt-4o", "llama4"}, {kGpt4o}},
      {{"seed-coder"}, {kSeedCoder}},
      {{"chameleon"},
       {"<sentinel:[0-9]+>", "(IMGIMG)((A|B|C|D|E|F|G|H|I){1,4})Z", "([\\t\\n]|    |  )", R"(\p{N})",
        R"([\p{P}!-/:-@\[-`{-~])", kGpt2},
       /*ignore_merges=*/false, /*add_bos=*/true},
  };
  return families;
}

}  // namespace

const char* const kGpt2Pattern = kGpt2;

Result<std::unique_ptr<Regex>> Regex::Compile(const std::string& pattern, const std::string& source) {
  int error = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                   PCRE2_UTF | PCRE2_UCP | PCRE2_DOLLAR_ENDONLY, &error, &offset,
                                   nullptr);
  if (code == nullptr) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error, message, sizeof(message));
    return Status::InvalidArgument(source + ": regex /" + pattern + "/ does not compile at offset " +
                                   std::to_string(offset) + ": " + reinterpret_cast<char*>(message));
  }
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // best effort: the interpreter is the fallback
  std::unique_ptr<Regex> re(new Regex());
  re->code_ = code;
  re->pattern_ = pattern;
  return re;
}

Regex::~Regex() { pcre2_code_free(code_); }

void Regex::SplitInto(std::string_view text, std::vector<std::string_view>* out) const {
  // Invalid bytes are barriers: each run of them is a piece of its own, and the regex only ever
  // sees valid UTF-8, which lets PCRE2 skip its own O(n) validity check on every call.
  for (size_t pos = 0; pos < text.size();) {
    size_t end = pos;
    for (size_t len; end < text.size() && (len = ValidUtf8CharLen(text, end)) > 0;) end += len;
    if (end > pos) SplitValid(text.substr(pos, end - pos), out);
    pos = end;
    while (end < text.size() && ValidUtf8CharLen(text, end) == 0) ++end;
    if (end > pos) out->push_back(text.substr(pos, end - pos));
    pos = end;
  }
}

void Regex::SplitValid(std::string_view text, std::vector<std::string_view>* out) const {
  pcre2_match_data* md = pcre2_match_data_create_from_pattern(code_, nullptr);
  const auto subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t last = 0;    // end of what has been emitted
  size_t offset = 0;  // where the next search starts
  while (md != nullptr && offset <= text.size()) {
    int rc = pcre2_match(code_, subject, text.size(), offset, PCRE2_NO_UTF_CHECK, md, nullptr);
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT) {
      rc = pcre2_match(code_, subject, text.size(), offset, PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT, md, nullptr);
    }
    if (rc < 0) break;  // no more matches, or a resource limit
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
    const size_t start = ov[0], end = ov[1];
    if (start < last || end < start || end > text.size()) break;  // \K games: stop safely
    if (start > last) out->push_back(text.substr(last, start - last));
    if (end > start) {
      out->push_back(text.substr(start, end - start));
      last = offset = end;
    } else {  // an empty match is only a split point; step over one character
      last = start;
      if (start >= text.size()) break;
      offset = start + ValidUtf8CharLen(text, start);
    }
  }
  pcre2_match_data_free(md);
  if (last < text.size()) out->push_back(text.substr(last));
}

Result<RegexSplitter> RegexSplitter::Compile(const std::vector<std::string>& patterns,
                                             const std::string& source) {
  RegexSplitter s;
  for (size_t i = 0; i < patterns.size(); ++i) {
    WARDEN_ASSIGN_OR_RETURN(auto re, Regex::Compile(patterns[i], source + "[" + std::to_string(i) + "]"));
    s.regexes_.push_back(std::move(re));
  }
  return s;
}

std::vector<std::string_view> RegexSplitter::Split(std::string_view text) const {
  std::vector<std::string_view> pieces;
  if (text.empty()) return pieces;
  pieces.push_back(text);
  std::vector<std::string_view> next;
  for (const auto& re : regexes_) {
    next.clear();
    for (std::string_view piece : pieces) re->SplitInto(piece, &next);
    pieces.swap(next);
  }
  return pieces;
}

std::optional<PreTokenizerSpec> PreTokenizerForName(std::string_view name) {
  if (name.empty()) name = "default";
  for (const Family& f : Families()) {
    for (const char* n : f.names) {
      if (name == n) {
        PreTokenizerSpec spec;
        spec.regexes.assign(f.regexes.begin(), f.regexes.end());
        spec.ignore_merges = f.ignore_merges;
        spec.add_bos = f.add_bos;
        return spec;
      }
    }
  }
  return std::nullopt;
}

}  // namespace warden::engine::tokenizer_internal
