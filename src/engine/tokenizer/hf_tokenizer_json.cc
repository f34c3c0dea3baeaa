// ParseHfTokenizerJson: Hugging Face tokenizer.json files whose model is BPE, either byte-level
// (GPT-2, Llama 3, Qwen2, DeepSeek ...) or SentencePiece-style (Llama 2, Mistral: Metaspace or
// Prepend/Replace normalizers, byte_fallback).
#include <algorithm>
#include <optional>

#include "engine/tokenizer/bpe_tokenizer.h"
#include "engine/tokenizer/hf_pipeline.h"
#include "engine/tokenizer/spm_tokenizer.h"
#include "warden/base/file.h"
#include "warden/engine/tokenizer.h"

namespace warden::engine {
namespace {

using namespace tokenizer_internal;

// Bounds that keep a hostile file from exhausting memory or the stack.
constexpr int64_t kMaxTokens = int64_t{1} << 22;
constexpr int kMaxDepth = 64;

// nlohmann's parser is iterative but its destructor recurses; refuse absurd nesting up front.
Status CheckDepth(std::string_view json, const std::string& source) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxDepth) return Status::Corrupt(source + ": JSON nested deeper than " + std::to_string(kMaxDepth));
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return Status::Ok();
}

Result<int32_t> TokenIdOf(const Json& v, const std::string& path) {
  if (!v.is_number_integer()) return Status::Corrupt(path + " is not an integer id");
  const int64_t id = v.get<int64_t>();
  if (id < 0 || id >= kMaxTokens) return Status::Corrupt(path + " = " + std::to_string(id) + " is out of range");
  return static_cast<int32_t>(id);
}

struct Entry {
  int32_t id;
  std::string text;
  std::string path;
  const Json* added = nullptr;  // the added_tokens object, for added tokens
};

Result<std::vector<Entry>> CollectEntries(const Json& root, const Json& model, const std::string& source) {
  const auto vocab = model.find("vocab");
  if (vocab == model.end() || !vocab->is_object()) return Status::Corrupt(source + ": model.vocab is not an object");
  std::vector<Entry> entries;
  for (auto it = vocab->begin(); it != vocab->end(); ++it) {
    const std::string path = source + ": model.vocab['" + it.key() + "']";
    WARDEN_ASSIGN_OR_RETURN(int32_t id, TokenIdOf(it.value(), path));
    entries.push_back({id, it.key(), path});
  }
  const auto added = root.find("added_tokens");
  if (added != root.end() && added->is_array()) {
    for (size_t i = 0; i < added->size(); ++i) {
      const Json& a = (*added)[i];
      const std::string path = source + ": added_tokens[" + std::to_string(i) + "]";
      if (!a.is_object() || !a.contains("id")) return Status::Corrupt(path + " has no id");
      WARDEN_ASSIGN_OR_RETURN(int32_t id, TokenIdOf(a["id"], path + ".id"));
      WARDEN_ASSIGN_OR_RETURN(std::string content, JsonString(a, "content", path));
      entries.push_back({id, content, path, &a});
    }
  }
  return entries;
}

// model.vocab plus added_tokens; a slot may be named twice only with the same text. Ids no
// entry names become unused slots, but only a few: a file of ten tokens cannot claim id 4M.
Result<std::vector<TokenInfo>> ReadTokens(const Json& root, const Json& model, const std::string& source) {
  WARDEN_ASSIGN_OR_RETURN(std::vector<Entry> entries, CollectEntries(root, model, source));
  if (entries.empty()) return Status::Corrupt(source + ": the vocabulary is empty");
  int32_t max_id = 0;
  for (const Entry& e : entries) max_id = std::max(max_id, e.id);
  if (static_cast<size_t>(max_id) > 2 * entries.size() + 1024) {
    return Status::Corrupt(source + ": token ids run to " + std::to_string(max_id) + " but only " +
                           std::to_string(entries.size()) + " tokens are defined");
  }
  std::vector<TokenInfo> tokens(static_cast<size_t>(max_id) + 1);
  std::vector<bool> filled(tokens.size(), false);
  for (const Entry& e : entries) {
    TokenInfo& t = tokens[e.id];
    if (filled[e.id] && t.text != e.text) {
      return Status::Corrupt(e.path + ": id " + std::to_string(e.id) + " is both '" + t.text + "' and '" + e.text + "'");
    }
    filled[e.id] = true;
    t.text = e.text;
    if (e.added != nullptr) {
      t.type = JsonBool(*e.added, "special", false) ? TokenType::kControl : TokenType::kUserDefined;
      t.lstrip = JsonBool(*e.added, "lstrip", false);
      t.rstrip = JsonBool(*e.added, "rstrip", false);
    }
  }
  for (size_t id = 0; id < tokens.size(); ++id) {
    if (!filled[id]) tokens[id].type = TokenType::kUnused;
  }
  return tokens;
}

Status ReadMerges(const Json& model, const Vocab& vocab, const std::string& source, MergeTable* table) {
  const auto merges = model.find("merges");
  if (merges == model.end() || merges->is_null()) return Status::Ok();
  if (!merges->is_array()) return Status::Corrupt(source + ": model.merges is not an array");
  for (size_t i = 0; i < merges->size(); ++i) {
    const Json& m = (*merges)[i];
    const std::string where = source + ": model.merges[" + std::to_string(i) + "]";
    const int32_t rank = static_cast<int32_t>(i);
    if (m.is_string()) {
      WARDEN_RETURN_IF_ERROR(AddMergeString(vocab, m.get<std::string>(), rank, where, table));
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
      WARDEN_RETURN_IF_ERROR(AddMergePair(vocab, m[0].get<std::string>(), m[1].get<std::string>(), rank, where, table));
    } else {
      return Status::Corrupt(where + " is neither \"a b\" nor [\"a\", \"b\"]");
    }
  }
  return Status::Ok();
}

int32_t FindFirst(const Vocab& vocab, std::initializer_list<const char*> names) {
  for (const char* n : names) {
    const int32_t id = vocab.Find(n);
    if (id >= 0) return id;
  }
  return -1;
}

// BOS from the post-processor's template (which also means "add it"), else by common names;
// EOS and UNK by the model's unk_token and common names. tokenizer_config.json is not read.
SpecialIds ChooseSpecials(const Vocab& vocab, const HfPipeline& p, int32_t unk) {
  SpecialIds ids;
  ids.unk = unk;
  if (!p.bos_text.empty() && vocab.Find(p.bos_text) >= 0) {
    ids.bos = vocab.Find(p.bos_text);
    ids.add_bos = true;
  } else {
    ids.bos = FindFirst(vocab, {"<s>", "<|begin_of_text|>", "<｜begin▁of▁sentence｜>", "<bos>", "<|startoftext|>"});
  }
  ids.eos = FindFirst(vocab, {"</s>", "<|end_of_text|>", "<|endoftext|>", "<｜end▁of▁sentence｜>", "<eos>", "<|im_end|>"});
  return ids;
}

Result<std::unique_ptr<Tokenizer>> BuildByteLevel(const Json& model, const HfPipeline& p, Vocab vocab,
                                                  SpecialIds ids, MergeTable merges, const std::string& source) {
  BpeOptions options;
  options.merges = std::move(merges);
  options.ignore_merges = JsonBool(model, "ignore_merges", false);
  options.add_prefix_space = p.byte_level_add_prefix_space;
  WARDEN_ASSIGN_OR_RETURN(options.splitter, RegexSplitter::Compile(p.regexes, source + ": pre_tokenizer"));
  return std::unique_ptr<Tokenizer>(new BpeTokenizer(std::move(vocab), ids, std::move(options)));
}

// Metaspace "first" puts the dummy "▁" only at the very start; "always" (and the older
// Prepend normalizer) also after every special token, as llama.cpp does for GGUF.
Result<std::unique_ptr<Tokenizer>> BuildSentencePiece(const HfPipeline& p, bool byte_fallback, Vocab vocab,
                                                      SpecialIds ids, MergeTable merges, const std::string& source) {
  if (!p.regexes.empty()) return Status::Unsupported(source + ": Split pre-tokenizers with Metaspace");
  SpmOptions options;
  options.add_space_prefix = p.prepend_metaspace || (p.metaspace && p.prepend_scheme != "never");
  options.prefix_first_only = p.metaspace && p.prepend_scheme == "first";
  options.escape_whitespace = p.replace_space || p.metaspace;
  options.byte_fallback = byte_fallback;
  options.split_on_metaspace = p.metaspace && p.metaspace_split;
  options.merges = std::move(merges);
  return std::unique_ptr<Tokenizer>(new SpmTokenizer(std::move(vocab), ids, std::move(options)));
}

Result<std::unique_ptr<Tokenizer>> Build(const Json& root, const std::string& source) {
  const auto model = root.find("model");
  if (model == root.end() || !model->is_object()) return Status::Corrupt(source + ": model is missing");
  const std::string type = model->value("type", std::string("BPE"));
  if (type != "BPE") return Status::Unsupported(source + ": model.type '" + type + "' (only BPE is supported)");
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    const auto it = model->find(key);
    if (it != model->end() && it->is_string() && !it->get<std::string>().empty()) {
      return Status::Unsupported(source + ": model." + key + " is not supported");
    }
  }
  HfPipeline p;
  WARDEN_RETURN_IF_ERROR(ReadNormalizer(root.value("normalizer", Json()), source + ": normalizer", &p));
  WARDEN_RETURN_IF_ERROR(ReadPreTokenizer(root.value("pre_tokenizer", Json()), source + ": pre_tokenizer", &p));
  WARDEN_RETURN_IF_ERROR(ReadPostProcessor(root.value("post_processor", Json()), source + ": post_processor", &p));
  const bool byte_fallback = JsonBool(*model, "byte_fallback", false);
  const bool spm_style = p.metaspace || p.prepend_metaspace || p.replace_space || byte_fallback;
  if (p.byte_level == spm_style) {
    return Status::Unsupported(source + (p.byte_level ? ": mixes ByteLevel with SentencePiece-style settings"
                                                      : ": neither a ByteLevel nor a SentencePiece-style BPE"));
  }

  WARDEN_ASSIGN_OR_RETURN(std::vector<TokenInfo> tokens, ReadTokens(root, *model, source));
  std::string unk_text;
  if (model->contains("unk_token") && (*model)["unk_token"].is_string()) unk_text = (*model)["unk_token"].get<std::string>();
  for (TokenInfo& t : tokens) {
    if (!unk_text.empty() && t.text == unk_text && t.type == TokenType::kNormal) t.type = TokenType::kUnknown;
    if (spm_style && byte_fallback && t.type == TokenType::kNormal && ParseByteToken(t.text) >= 0) t.type = TokenType::kByte;
  }
  WARDEN_ASSIGN_OR_RETURN(Vocab vocab, Vocab::Build(std::move(tokens), source + ": tokens"));
  MergeTable merges;
  WARDEN_RETURN_IF_ERROR(ReadMerges(*model, vocab, source, &merges));
  const SpecialIds ids = ChooseSpecials(vocab, p, unk_text.empty() ? -1 : vocab.Find(unk_text));
  if (p.byte_level) return BuildByteLevel(*model, p, std::move(vocab), ids, std::move(merges), source);
  return BuildSentencePiece(p, byte_fallback, std::move(vocab), ids, std::move(merges), source);
}

}  // namespace

Result<std::unique_ptr<Tokenizer>> ParseHfTokenizerJson(std::string_view json, const std::string& source) {
  WARDEN_RETURN_IF_ERROR(CheckDepth(json, source));
  try {
    const Json root = Json::parse(json.begin(), json.end());
    if (!root.is_object()) return Status::Corrupt(source + ": not a JSON object");
    return Build(root, source);
  } catch (const Json::exception& e) {  // parse errors carry the byte position
    return Status::Corrupt(source + ": " + e.what());
  }
}

Result<std::unique_ptr<Tokenizer>> LoadHfTokenizerJson(const std::string& path) {
  WARDEN_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  return ParseHfTokenizerJson(text, path);
}

}  // namespace warden::engine
