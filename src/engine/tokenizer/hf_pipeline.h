// Reading the pipeline parts of a Hugging Face tokenizer.json (normalizer, pre_tokenizer,
// post_processor) into the few settings warden's tokenizers take. Anything warden cannot
// reproduce exactly is refused as Unsupported, naming the JSON path, rather than approximated.
// Internal to warden_engine_tokenizer.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "warden/base/status.h"

namespace warden::engine::tokenizer_internal {

using Json = nlohmann::json;

struct HfPipeline {
  // pre_tokenizer
  std::vector<std::string> regexes;  // Split / ByteLevel(use_regex) / Digits / Punctuation, in order
  bool byte_level = false;           // a ByteLevel pre-tokenizer is present
  bool byte_level_add_prefix_space = false;
  bool metaspace = false;            // a Metaspace pre-tokenizer is present
  std::string prepend_scheme = "always";  // Metaspace: "always" | "first" | "never"
  bool metaspace_split = false;
  // normalizer
  bool prepend_metaspace = false;  // Prepend("▁")
  bool replace_space = false;      // Replace(" " -> "▁")
  // post_processor
  std::string bos_text;  // the special token TemplateProcessing puts first ("" if none)
};

// Each reads one part, accumulating into *p; `path` is the JSON path for errors
// ("tokenizer.json: pre_tokenizer.pretokenizers[1]"). A null node is "none".
Status ReadPreTokenizer(const Json& node, const std::string& path, HfPipeline* p);
Status ReadNormalizer(const Json& node, const std::string& path, HfPipeline* p);
Status ReadPostProcessor(const Json& node, const std::string& path, HfPipeline* p);

// Small typed accessors that turn a missing or mistyped field into a Corrupt status naming it.
Result<std::string> JsonString(const Json& obj, const char* key, const std::string& path);
bool JsonBool(const Json& obj, const char* key, bool fallback);

}  // namespace warden::engine::tokenizer_internal
