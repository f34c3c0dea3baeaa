// LoadGgufTokenizer: the tokenizer.ggml.* metadata of a GGUF file, read the way llama.cpp reads
// it (src/llama-vocab.cpp, llama_vocab::impl::load), including its defaults for absent keys.
#include <algorithm>
#include <cctype>
#include <cmath>

#include "engine/tokenizer/bpe_tokenizer.h"
#include "engine/tokenizer/spm_tokenizer.h"
#include "warden/engine/gguf.h"
#include "warden/engine/tokenizer.h"

namespace warden::engine {
namespace {

using namespace tokenizer_internal;

// Key names, as llama.cpp's LLM_KV table spells them.
constexpr const char* kModel = "tokenizer.ggml.model";
constexpr const char* kPre = "tokenizer.ggml.pre";
constexpr const char* kTokens = "tokenizer.ggml.tokens";
constexpr const char* kScores = "tokenizer.ggml.scores";
constexpr const char* kTypes = "tokenizer.ggml.token_type";
constexpr const char* kMerges = "tokenizer.ggml.merges";

std::string Where(const GgufFile& gguf, const char* key) { return gguf.path() + ": " + key; }

// An optional numeric array that, when present, must have one entry per token.
Result<const std::vector<double>*> PerTokenArray(const GgufFile& gguf, const char* key, size_t n) {
  if (gguf.Find(key) == nullptr) return static_cast<const std::vector<double>*>(nullptr);
  WARDEN_ASSIGN_OR_RETURN(const std::vector<double>* values, gguf.GetNumberArray(key));
  if (values->size() != n) {
    return Status::Corrupt(Where(gguf, key) + " has " + std::to_string(values->size()) +
                           " entries for " + std::to_string(n) + " tokens");
  }
  return values;
}

Result<std::vector<TokenInfo>> ReadTokens(const GgufFile& gguf) {
  WARDEN_ASSIGN_OR_RETURN(const std::vector<std::string>* texts, gguf.GetStringArray(kTokens));
  if (texts->empty()) return Status::Corrupt(Where(gguf, kTokens) + " is empty");
  WARDEN_ASSIGN_OR_RETURN(const std::vector<double>* scores, PerTokenArray(gguf, kScores, texts->size()));
  WARDEN_ASSIGN_OR_RETURN(const std::vector<double>* types, PerTokenArray(gguf, kTypes, texts->size()));
  std::vector<TokenInfo> tokens(texts->size());
  for (size_t i = 0; i < tokens.size(); ++i) {
    tokens[i].text = (*texts)[i];
    if (scores != nullptr) {
      const double s = (*scores)[i];
      if (std::isnan(s)) return Status::Corrupt(Where(gguf, kScores) + "[" + std::to_string(i) + "] is NaN");
      tokens[i].score = static_cast<float>(s);
    }
    if (types != nullptr) {
      const double t = (*types)[i];
      if (!(t >= 0 && t <= 6) || t != std::floor(t)) {
        return Status::Corrupt(Where(gguf, kTypes) + "[" + std::to_string(i) + "] = " + std::to_string(t) +
                               " is not a token type (0..6)");
      }
      tokens[i].type = static_cast<TokenType>(static_cast<int32_t>(t));
    }
  }
  return tokens;
}

// Overrides *id with the key's value when present; an id outside the vocabulary is an error.
Status ReadTokenId(const GgufFile& gguf, const char* key, int32_t n_tokens, int32_t* id) {
  if (gguf.Find(key) == nullptr) {
    if (*id >= n_tokens) *id = -1;  // a default that does not fit this vocabulary
    return Status::Ok();
  }
  WARDEN_ASSIGN_OR_RETURN(int64_t v, gguf.GetInt(key));
  if (v < 0 || v >= n_tokens) {
    return Status::Corrupt(Where(gguf, key) + " = " + std::to_string(v) + " is outside the vocabulary (" +
                           std::to_string(n_tokens) + " tokens)");
  }
  *id = static_cast<int32_t>(v);
  return Status::Ok();
}

Status ReadBool(const GgufFile& gguf, const char* key, bool* value) {
  if (gguf.Find(key) == nullptr) return Status::Ok();
  WARDEN_ASSIGN_OR_RETURN(*value, gguf.GetBool(key));
  return Status::Ok();
}

Status ReadSpecialIds(const GgufFile& gguf, int32_t n_tokens, SpecialIds* ids) {
  WARDEN_RETURN_IF_ERROR(ReadTokenId(gguf, "tokenizer.ggml.bos_token_id", n_tokens, &ids->bos));
  WARDEN_RETURN_IF_ERROR(ReadTokenId(gguf, "tokenizer.ggml.eos_token_id", n_tokens, &ids->eos));
  WARDEN_RETURN_IF_ERROR(ReadTokenId(gguf, "tokenizer.ggml.unknown_token_id", n_tokens, &ids->unk));
  return ReadBool(gguf, "tokenizer.ggml.add_bos_token", &ids->add_bos);
}

// llama.cpp gives Phi-3's special tokens (except <unk>, <s>, <|endoftext|>) and "</s>" rstrip,
// as its tokenizer.json does; GGUF has no field for it, so the model name decides.
void ApplyPhi3Rstrip(const GgufFile& gguf, std::vector<TokenInfo>* tokens) {
  if (gguf.Find("general.name") == nullptr) return;
  Result<std::string> name = gguf.GetString("general.name");
  if (!name.ok()) return;
  std::string lower = name.value();
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower.find("phi-3") == std::string::npos && lower.find("phi3") == std::string::npos) return;
  for (TokenInfo& t : *tokens) {
    const bool special = t.type == TokenType::kControl || t.type == TokenType::kUserDefined ||
                         t.type == TokenType::kUnknown;
    if (special || t.text == "</s>") t.rstrip = true;
    if (t.text == "<unk>" || t.text == "<s>" || t.text == "<|endoftext|>") t.rstrip = false;
  }
}

// llama.cpp makes these end-of-turn tokens control tokens whatever the file says (converters
// sometimes store them as user-defined), so that text a user types never produces them.
void ForceEndOfTurnControl(std::vector<TokenInfo>* tokens) {
  static const char* const kEndOfTurn[] = {"<|eot_id|>", "<|eom_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
                                           "<|endoftext|>", "<|end_of_text|>", "<EOT>", "_<EOT>",
                                           "<｜end▁of▁sentence｜>", "<end_of_utterance>"};
  for (TokenInfo& t : *tokens) {
    for (const char* name : kEndOfTurn) {
      if (t.text == name) t.type = TokenType::kControl;
    }
  }
}

Result<std::unique_ptr<Tokenizer>> LoadSpm(const GgufFile& gguf, std::vector<TokenInfo> tokens) {
  SpecialIds ids{/*bos=*/1, /*eos=*/2, /*unk=*/0, /*add_bos=*/true};
  const int32_t n = static_cast<int32_t>(tokens.size());
  WARDEN_RETURN_IF_ERROR(ReadSpecialIds(gguf, n, &ids));
  SpmOptions options;
  WARDEN_RETURN_IF_ERROR(ReadBool(gguf, "tokenizer.ggml.add_space_prefix", &options.add_space_prefix));
  ApplyPhi3Rstrip(gguf, &tokens);
  WARDEN_ASSIGN_OR_RETURN(Vocab vocab, Vocab::Build(std::move(tokens), Where(gguf, kTokens)));
  return std::unique_ptr<Tokenizer>(new SpmTokenizer(std::move(vocab), ids, std::move(options)));
}

Result<std::unique_ptr<Tokenizer>> LoadBpe(const GgufFile& gguf, std::vector<TokenInfo> tokens) {
  std::string pre = "default";
  if (gguf.Find(kPre) != nullptr) {
    WARDEN_ASSIGN_OR_RETURN(pre, gguf.GetString(kPre));
  }
  std::optional<PreTokenizerSpec> spec = PreTokenizerForName(pre);
  if (!spec) {
    return Status::Unsupported(Where(gguf, kPre) + " = '" + pre + "' is a pre-tokenizer warden does not know");
  }
  SpecialIds ids{/*bos=*/11, /*eos=*/11, /*unk=*/-1, /*add_bos=*/spec->add_bos};
  const int32_t n = static_cast<int32_t>(tokens.size());
  WARDEN_RETURN_IF_ERROR(ReadSpecialIds(gguf, n, &ids));
  WARDEN_ASSIGN_OR_RETURN(Vocab vocab, Vocab::Build(std::move(tokens), Where(gguf, kTokens)));

  BpeOptions options;
  options.ignore_merges = spec->ignore_merges;
  WARDEN_ASSIGN_OR_RETURN(options.splitter, RegexSplitter::Compile(spec->regexes, "pre-tokenizer " + pre));
  WARDEN_ASSIGN_OR_RETURN(const std::vector<std::string>* merges, gguf.GetStringArray(kMerges));
  for (size_t i = 0; i < merges->size(); ++i) {
    WARDEN_RETURN_IF_ERROR(AddMergeString(vocab, (*merges)[i], static_cast<int32_t>(i),
                                          Where(gguf, kMerges) + "[" + std::to_string(i) + "]",
                                          &options.merges));
  }
  return std::unique_ptr<Tokenizer>(new BpeTokenizer(std::move(vocab), ids, std::move(options)));
}

}  // namespace

Result<std::unique_ptr<Tokenizer>> LoadGgufTokenizer(const GgufFile& gguf) {
  if (gguf.Find(kModel) == nullptr) {
    return Status::NotFound(gguf.path() + ": no tokenizer (metadata key '" + kModel + "' is absent)");
  }
  WARDEN_ASSIGN_OR_RETURN(std::string model, gguf.GetString(kModel));
  if (model != "llama" && model != "gpt2") {
    return Status::Unsupported(Where(gguf, kModel) + " = '" + model +
                               "' is not a tokenizer warden implements (llama, gpt2)");
  }
  WARDEN_ASSIGN_OR_RETURN(std::vector<TokenInfo> tokens, ReadTokens(gguf));
  ForceEndOfTurnControl(&tokens);
  if (model == "llama") return LoadSpm(gguf, std::move(tokens));
  return LoadBpe(gguf, std::move(tokens));
}

}  // namespace warden::engine
