#include "engine/tokenizer/hf_pipeline.h"

#include "engine/tokenizer/pretokenizer.h"

namespace warden::engine::tokenizer_internal {
namespace {

constexpr const char* kMetaspace = "\xE2\x96\x81";  // U+2581

// PCRE2 \Q...\E quoting for Split's literal String patterns.
std::string QuoteRegex(const std::string& literal) {
  std::string out = "\\Q";
  for (size_t pos = 0;;) {
    const size_t end = literal.find("\\E", pos);
    if (end == std::string::npos) {
      out += literal.substr(pos);
      break;
    }
    out += literal.substr(pos, end - pos) + "\\E\\\\E\\Q";
    pos = end + 2;
  }
  return out + "\\E";
}

Status Unsupported(const std::string& path, const std::string& what) {
  return Status::Unsupported(path + ": " + what + " is not supported");
}

Result<std::string> TypeOf(const Json& node, const std::string& path) {
  if (!node.is_object()) return Status::Corrupt(path + " is not an object");
  return JsonString(node, "type", path);
}

Status ReadSplit(const Json& node, const std::string& path, HfPipeline* p) {
  WARDEN_ASSIGN_OR_RETURN(std::string behavior, JsonString(node, "behavior", path));
  if (behavior != "Isolated") return Unsupported(path, "Split behavior '" + behavior + "'");
  if (JsonBool(node, "invert", false)) return Unsupported(path, "Split with invert");
  const auto pattern = node.find("pattern");
  if (pattern == node.end() || !pattern->is_object()) return Status::Corrupt(path + ".pattern is missing");
  if (pattern->contains("Regex")) {
    WARDEN_ASSIGN_OR_RETURN(std::string re, JsonString(*pattern, "Regex", path + ".pattern"));
    p->regexes.push_back(re);
  } else {
    WARDEN_ASSIGN_OR_RETURN(std::string literal, JsonString(*pattern, "String", path + ".pattern"));
    p->regexes.push_back(QuoteRegex(literal));
  }
  return Status::Ok();
}

Status ReadMetaspace(const Json& node, const std::string& path, HfPipeline* p) {
  WARDEN_ASSIGN_OR_RETURN(std::string replacement, JsonString(node, "replacement", path));
  if (replacement != kMetaspace) return Unsupported(path, "Metaspace replacement '" + replacement + "'");
  p->metaspace = true;
  p->metaspace_split = JsonBool(node, "split", true);
  if (node.contains("prepend_scheme")) {
    WARDEN_ASSIGN_OR_RETURN(p->prepend_scheme, JsonString(node, "prepend_scheme", path));
  } else {
    p->prepend_scheme = JsonBool(node, "add_prefix_space", true) ? "always" : "never";
  }
  if (p->prepend_scheme != "always" && p->prepend_scheme != "first" && p->prepend_scheme != "never") {
    return Status::Corrupt(path + ".prepend_scheme '" + p->prepend_scheme + "' is not always/first/never");
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> JsonString(const Json& obj, const char* key, const std::string& path) {
  const auto it = obj.find(key);
  if (it == obj.end()) return Status::Corrupt(path + "." + key + " is missing");
  if (!it->is_string()) return Status::Corrupt(path + "." + key + " is not a string");
  return it->get<std::string>();
}

bool JsonBool(const Json& obj, const char* key, bool fallback) {
  const auto it = obj.find(key);
  return it != obj.end() && it->is_boolean() ? it->get<bool>() : fallback;
}

Status ReadPreTokenizer(const Json& node, const std::string& path, HfPipeline* p) {
  if (node.is_null()) return Status::Ok();
  WARDEN_ASSIGN_OR_RETURN(std::string type, TypeOf(node, path));
  if (type == "Sequence") {
    const auto list = node.find("pretokenizers");
    if (list == node.end() || !list->is_array()) return Status::Corrupt(path + ".pretokenizers is not an array");
    for (size_t i = 0; i < list->size(); ++i) {
      WARDEN_RETURN_IF_ERROR(ReadPreTokenizer((*list)[i], path + ".pretokenizers[" + std::to_string(i) + "]", p));
    }
    return Status::Ok();
  }
  if (type == "ByteLevel") {
    p->byte_level = true;
    p->byte_level_add_prefix_space = JsonBool(node, "add_prefix_space", false);
    if (JsonBool(node, "use_regex", true)) p->regexes.push_back(kGpt2Pattern);
    return Status::Ok();
  }
  if (type == "Split") return ReadSplit(node, path, p);
  if (type == "Digits") {
    p->regexes.push_back(JsonBool(node, "individual_digits", false) ? "\\p{N}" : "\\p{N}+");
    return Status::Ok();
  }
  if (type == "Punctuation") {
    const std::string behavior = node.value("behavior", std::string("Isolated"));
    if (behavior != "Isolated") return Unsupported(path, "Punctuation behavior '" + behavior + "'");
    p->regexes.push_back("[\\p{P}!-/:-@\\[-`{-~]");  // Unicode punctuation plus ASCII symbols
    return Status::Ok();
  }
  if (type == "Metaspace") return ReadMetaspace(node, path, p);
  return Unsupported(path, "pre-tokenizer '" + type + "'");
}

Status ReadNormalizer(const Json& node, const std::string& path, HfPipeline* p) {
  if (node.is_null()) return Status::Ok();
  WARDEN_ASSIGN_OR_RETURN(std::string type, TypeOf(node, path));
  if (type == "Sequence") {
    const auto list = node.find("normalizers");
    if (list == node.end() || !list->is_array()) return Status::Corrupt(path + ".normalizers is not an array");
    for (size_t i = 0; i < list->size(); ++i) {
      WARDEN_RETURN_IF_ERROR(ReadNormalizer((*list)[i], path + ".normalizers[" + std::to_string(i) + "]", p));
    }
    return Status::Ok();
  }
  if (type == "Prepend") {
    WARDEN_ASSIGN_OR_RETURN(std::string prepend, JsonString(node, "prepend", path));
    if (prepend != kMetaspace) return Unsupported(path, "Prepend '" + prepend + "'");
    p->prepend_metaspace = true;
    return Status::Ok();
  }
  if (type == "Replace") {
    const auto pattern = node.find("pattern");
    if (pattern == node.end() || !pattern->is_object()) return Status::Corrupt(path + ".pattern is missing");
    Result<std::string> from = JsonString(*pattern, "String", path + ".pattern");
    WARDEN_ASSIGN_OR_RETURN(std::string to, JsonString(node, "content", path));
    if (!from.ok() || from.value() != " " || to != kMetaspace) return Unsupported(path, "Replace other than ' ' -> '▁'");
    p->replace_space = true;
    return Status::Ok();
  }
  // NFC leaves text that is already in NFC (nearly all text) unchanged; warden does not
  // normalise, so such a tokenizer is accepted and input is assumed to be NFC already.
  if (type == "NFC") return Status::Ok();
  return Unsupported(path, "normalizer '" + type + "'");
}

Status ReadPostProcessor(const Json& node, const std::string& path, HfPipeline* p) {
  if (node.is_null()) return Status::Ok();
  WARDEN_ASSIGN_OR_RETURN(std::string type, TypeOf(node, path));
  if (type == "Sequence") {
    const auto list = node.find("processors");
    if (list == node.end() || !list->is_array()) return Status::Corrupt(path + ".processors is not an array");
    for (size_t i = 0; i < list->size(); ++i) {
      WARDEN_RETURN_IF_ERROR(ReadPostProcessor((*list)[i], path + ".processors[" + std::to_string(i) + "]", p));
    }
    return Status::Ok();
  }
  if (type != "TemplateProcessing") return Status::Ok();  // ByteLevel, Roberta ...: no BOS added
  const auto single = node.find("single");
  if (single == node.end() || !single->is_array() || single->empty()) return Status::Ok();
  const Json& first = (*single)[0];
  if (!first.is_object() || !first.contains("SpecialToken") || !first["SpecialToken"].is_object()) {
    return Status::Ok();
  }
  WARDEN_ASSIGN_OR_RETURN(p->bos_text, JsonString(first["SpecialToken"], "id", path + ".single[0].SpecialToken"));
  return Status::Ok();
}

}  // namespace warden::engine::tokenizer_internal
