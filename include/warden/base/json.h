// Parsing untrusted JSON (nlohmann::json) into Status errors instead of exceptions.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "warden/base/status.h"

namespace warden {

// Parses `text` as one JSON value. Rejects, as Corrupt errors naming `source`:
//  - syntax errors and invalid UTF-8: "<source>: malformed JSON at byte N: <reason>";
//  - duplicate keys in one object, which nlohmann::json would otherwise silently collapse;
//  - nesting deeper than `max_depth` (checked before anything is built, so a pathological
//    "[[[[..." cannot exhaust memory).
// `base_offset` is added to reported byte positions, for JSON embedded in a larger file.
// Never throws.
Result<nlohmann::json> ParseJson(std::string_view text, const std::string& source,
                                 size_t base_offset = 0, int max_depth = 64);

// "object", "array", "string", "integer", "number", "boolean", "null": for error messages.
const char* JsonTypeName(const nlohmann::json& j);

// Required fields of a JSON object `obj`. A missing field or one of the wrong type is a Corrupt
// error naming `where` and the field: "<where>: missing field 'k'", "<where>: field 'k' is
// string, expected non-negative integer". `out` is written only on success (lists: appended).
Status JsonString(const nlohmann::json& obj, const char* key, const std::string& where,
                  std::string* out);
Status JsonUint(const nlohmann::json& obj, const char* key, const std::string& where,
                uint64_t* out);
// Any JSON number (integer or not).
Status JsonNumber(const nlohmann::json& obj, const char* key, const std::string& where, double* out);
// An integer that fits int64_t (a larger unsigned value is a Corrupt error, not a wrap-around).
Status JsonInt64(const nlohmann::json& obj, const char* key, const std::string& where, int64_t* out);
Status JsonStringList(const nlohmann::json& obj, const char* key, const std::string& where,
                      std::vector<std::string>* out);
// An optional string field: absent (or `obj` not an object) gives `fallback`; present with
// another type is the same Corrupt error as above.
Status JsonOptionalString(const nlohmann::json& obj, const char* key, const std::string& where,
                          const std::string& fallback, std::string* out);

}  // namespace warden
