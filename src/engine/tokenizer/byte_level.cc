#include "engine/tokenizer/byte_level.h"

#include <array>

#include "engine/tokenizer/utf8.h"

namespace warden::engine::tokenizer_internal {
namespace {

bool MapsToItself(int b) {
  return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

struct Tables {
  std::array<std::string, 256> byte_to_mapped;
  std::array<int16_t, 0x200> cp_to_byte;  // every mapped code point is below U+0144
  Tables() {
    cp_to_byte.fill(-1);
    int next = 0x100;
    for (int b = 0; b < 256; ++b) {
      const uint32_t cp = MapsToItself(b) ? static_cast<uint32_t>(b) : static_cast<uint32_t>(next++);
      AppendUtf8(cp, &byte_to_mapped[b]);
      cp_to_byte[cp] = static_cast<int16_t>(b);
    }
  }
};

const Tables& GetTables() {
  static const Tables tables;
  return tables;
}

}  // namespace

std::string_view ByteToMapped(uint8_t b) { return GetTables().byte_to_mapped[b]; }

void AppendMapped(std::string_view raw, std::string* out) {
  const Tables& t = GetTables();
  for (char c : raw) *out += t.byte_to_mapped[static_cast<uint8_t>(c)];
}

std::string UnmapBytes(std::string_view mapped) {
  const Tables& t = GetTables();
  std::string out;
  out.reserve(mapped.size());
  for (size_t pos = 0; pos < mapped.size();) {
    const size_t len = ValidUtf8CharLen(mapped, pos);
    if (len == 0) {  // not UTF-8 at all: keep the byte
      out.push_back(mapped[pos++]);
      continue;
    }
    const uint32_t cp = DecodeUtf8Char(mapped, pos, len);
    if (cp < t.cp_to_byte.size() && t.cp_to_byte[cp] >= 0) {
      out.push_back(static_cast<char>(t.cp_to_byte[cp]));
    } else {
      out.append(mapped, pos, len);
    }
    pos += len;
  }
  return out;
}

}  // namespace warden::engine::tokenizer_internal
