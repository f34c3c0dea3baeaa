#include "warden/base/json.h"

#include <cstdint>
#include <set>
#include <vector>

namespace warden {
namespace {

// Returns the offset of the first bracket that opens level max_depth + 1, or npos.
size_t FindTooDeep(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth) return i;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return std::string_view::npos;
}

// nlohmann's messages start with "[json.exception.parse_error.101] "; users need the rest.
std::string StripExceptionId(const char* what) {
  std::string s = what;
  const size_t close = s.find("] ");
  return close == std::string::npos ? s : s.substr(close + 2);
}

}  // namespace

Result<nlohmann::json> ParseJson(std::string_view text, const std::string& source,
                                 size_t base_offset, int max_depth) {
  const size_t deep = FindTooDeep(text, max_depth);
  if (deep != std::string_view::npos) {
    return Status::Corrupt(source + ": malformed JSON at byte " +
                           std::to_string(base_offset + deep) + ": nested deeper than " +
                           std::to_string(max_depth) + " levels");
  }
  using Event = nlohmann::json::parse_event_t;
  std::vector<std::set<std::string>> open_objects;  // the keys seen in each open object
  std::string duplicate;
  auto callback = [&](int /*depth*/, Event event, nlohmann::json& parsed) {
    if (event == Event::object_start) {
      open_objects.emplace_back();
    } else if (event == Event::object_end) {
      if (!open_objects.empty()) open_objects.pop_back();
    } else if (event == Event::key && !open_objects.empty() && duplicate.empty()) {
      const std::string& key = parsed.get_ref<const std::string&>();
      if (!open_objects.back().insert(key).second) duplicate = key;
    }
    return true;
  };
  try {
    nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), callback);
    if (!duplicate.empty()) {
      return Status::Corrupt(source + ": malformed JSON: duplicate key '" + duplicate + "'");
    }
    return j;
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte is 1-based: the position of the last character read.
    const size_t at = base_offset + (e.byte > 0 ? e.byte - 1 : 0);
    return Status::Corrupt(source + ": malformed JSON at byte " + std::to_string(at) + ": " +
                           StripExceptionId(e.what()));
  } catch (const nlohmann::json::exception& e) {
    return Status::Corrupt(source + ": malformed JSON: " + StripExceptionId(e.what()));
  }
}

const char* JsonTypeName(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::object: return "object";
    case nlohmann::json::value_t::array: return "array";
    case nlohmann::json::value_t::string: return "string";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned: return "integer";
    case nlohmann::json::value_t::number_float: return "number";
    case nlohmann::json::value_t::boolean: return "boolean";
    case nlohmann::json::value_t::null: return "null";
    default: return "binary";
  }
}

namespace {
// The field, or a Corrupt error if it is missing or `ok` rejects it.
Result<const nlohmann::json*> Field(const nlohmann::json& obj, const char* key, const std::string& where,
                                    bool (nlohmann::json::*ok)() const noexcept, const char* expected) {
  auto it = obj.find(key);
  if (it == obj.end()) return Status::Corrupt(where + ": missing field '" + key + "'");
  if (!((*it).*ok)()) {
    return Status::Corrupt(where + ": field '" + key + "' is " + JsonTypeName(*it) + ", expected " + expected);
  }
  return &*it;
}
}  // namespace

Status JsonString(const nlohmann::json& obj, const char* key, const std::string& where,
                  std::string* out) {
  WARDEN_ASSIGN_OR_RETURN(const nlohmann::json* v, Field(obj, key, where, &nlohmann::json::is_string, "string"));
  *out = v->get<std::string>();
  return Status::Ok();
}

Status JsonUint(const nlohmann::json& obj, const char* key, const std::string& where,
                uint64_t* out) {
  WARDEN_ASSIGN_OR_RETURN(const nlohmann::json* v, Field(obj, key, where, &nlohmann::json::is_number_unsigned,
                                                         "non-negative integer"));
  *out = v->get<uint64_t>();
  return Status::Ok();
}

Status JsonNumber(const nlohmann::json& obj, const char* key, const std::string& where, double* out) {
  WARDEN_ASSIGN_OR_RETURN(const nlohmann::json* v, Field(obj, key, where, &nlohmann::json::is_number, "number"));
  *out = v->get<double>();
  return Status::Ok();
}

Status JsonInt64(const nlohmann::json& obj, const char* key, const std::string& where, int64_t* out) {
  WARDEN_ASSIGN_OR_RETURN(const nlohmann::json* v, Field(obj, key, where, &nlohmann::json::is_number_integer, "integer"));
  if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
    return Status::Corrupt(where + ": field '" + key + "' is " + std::to_string(v->get<uint64_t>()) +
                           ", larger than the largest 64-bit integer");
  }
  *out = v->get<int64_t>();
  return Status::Ok();
}

Status JsonStringList(const nlohmann::json& obj, const char* key, const std::string& where,
                      std::vector<std::string>* out) {
  WARDEN_ASSIGN_OR_RETURN(const nlohmann::json* v, Field(obj, key, where, &nlohmann::json::is_array, "array"));
  for (size_t i = 0; i < v->size(); ++i) {
    if (!(*v)[i].is_string()) {
      return Status::Corrupt(where + ": field '" + key + "'[" + std::to_string(i) + "] is " +
                             JsonTypeName((*v)[i]) + ", expected string");
    }
  }
  for (const auto& s : *v) out->push_back(s.get<std::string>());
  return Status::Ok();
}

Status JsonOptionalString(const nlohmann::json& obj, const char* key, const std::string& where,
                          const std::string& fallback, std::string* out) {
  if (!obj.is_object() || !obj.contains(key)) {
    *out = fallback;
    return Status::Ok();
  }
  return JsonString(obj, key, where, out);
}

}  // namespace warden
