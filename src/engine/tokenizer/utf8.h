// UTF-8 helpers shared by the tokenizers. Internal to warden_engine_tokenizer.
//
// Every tokenizer accepts arbitrary bytes: text that is not valid UTF-8 is never rejected and
// never crashes; the helpers here say where the valid characters are so that the tokenizer
// can send the rest through byte fallback.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace warden::engine::tokenizer_internal {

// Length in bytes of the valid UTF-8 character starting at text[pos] (1..4), or 0 if the
// bytes there are not a valid, shortest-form encoding of a scalar value (overlong forms,
// surrogates, values above U+10FFFF and truncated sequences are all invalid).
// Requires pos < text.size().
size_t ValidUtf8CharLen(std::string_view text, size_t pos);

// The code point of the valid character at text[pos]; requires ValidUtf8CharLen(...) > 0.
uint32_t DecodeUtf8Char(std::string_view text, size_t pos, size_t len);

// Appends the UTF-8 encoding of code point cp (< 0x110000) to *out.
void AppendUtf8(uint32_t cp, std::string* out);

// True when the whole of `text` is valid UTF-8.
bool IsValidUtf8(std::string_view text);

// U+FFFD REPLACEMENT CHARACTER, used where invalid bytes must be shown as text.
inline constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";

}  // namespace warden::engine::tokenizer_internal
