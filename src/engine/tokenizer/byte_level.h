// GPT-2's reversible byte <-> code point mapping (bytes_to_unicode in OpenAI's encoder.py).
// Byte-level BPE vocabularies store each byte as a printable code point: the printable Latin-1
// bytes ('!'..'~', '¡'..'¬', '®'..'ÿ') stand for themselves, the other 68 bytes (controls, space,
// DEL, NBSP, soft hyphen ...) become U+0100, U+0101, ... in byte order. So ' ' is 'Ġ' (U+0120)
// and '\n' is 'Ċ' (U+010A). Internal to warden_engine_tokenizer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace warden::engine::tokenizer_internal {

// The UTF-8 text of the code point that stands for byte b (1 or 2 bytes long).
std::string_view ByteToMapped(uint8_t b);

// Appends the mapped form of every byte of `raw` to *out.
void AppendMapped(std::string_view raw, std::string* out);

// The raw bytes a mapped token text stands for. A code point outside the mapping (a token
// that was never byte-mapped) is kept as its own UTF-8, so no text is lost.
std::string UnmapBytes(std::string_view mapped);

}  // namespace warden::engine::tokenizer_internal
