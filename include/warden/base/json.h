// Parsing untrusted JSON (nlohmann::json) into Status errors instead of exceptions.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

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

}  // namespace warden
