// UTF-8 validation (RFC 3629) and the Utf8Streamer that releases only whole characters.
#include "engine/tokenizer/utf8.h"

#include "warden/engine/tokenizer.h"

namespace warden::engine {
namespace tokenizer_internal {

size_t ValidUtf8CharLen(std::string_view text, size_t pos) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(text[pos + i]); };
  const size_t avail = text.size() - pos;
  const uint8_t b0 = byte(0);
  if (b0 < 0x80) return 1;
  size_t len;
  uint8_t lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) lo = 0xA0;  // overlong
    if (b0 == 0xED) hi = 0x9F;  // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) lo = 0x90;  // overlong
    if (b0 == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;  // continuation byte, C0/C1 (overlong) or F5..FF
  }
  if (avail < len) return 0;
  if (byte(1) < lo || byte(1) > hi) return 0;
  for (size_t i = 2; i < len; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return 0;
  }
  return len;
}

uint32_t DecodeUtf8Char(std::string_view text, size_t pos, size_t len) {
  const auto byte = [&](size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(text[pos + i])); };
  switch (len) {
    case 1: return byte(0);
    case 2: return ((byte(0) & 0x1F) << 6) | (byte(1) & 0x3F);
    case 3: return ((byte(0) & 0x0F) << 12) | ((byte(1) & 0x3F) << 6) | (byte(2) & 0x3F);
    default:
      return ((byte(0) & 0x07) << 18) | ((byte(1) & 0x3F) << 12) | ((byte(2) & 0x3F) << 6) |
             (byte(3) & 0x3F);
  }
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool IsValidUtf8(std::string_view text) {
  for (size_t pos = 0; pos < text.size();) {
    const size_t len = ValidUtf8CharLen(text, pos);
    if (len == 0) return false;
    pos += len;
  }
  return true;
}

namespace {

// How many bytes the character that starts with `lead` claims, if `lead` can start one.
size_t ClaimedLen(uint8_t lead) {
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

// True when pending[pos..] is a prefix of some valid character: more bytes could complete it.
bool IsIncompletePrefix(std::string_view pending, size_t pos) {
  const size_t want = ClaimedLen(static_cast<uint8_t>(pending[pos]));
  const size_t have = pending.size() - pos;
  if (want == 0 || have >= want) return false;
  // Pad with the smallest continuation byte allowed in each position and validate.
  std::string probe(pending.substr(pos));
  const uint8_t b0 = static_cast<uint8_t>(probe[0]);
  while (probe.size() < want) {
    uint8_t pad = 0x80;
    if (probe.size() == 1 && b0 == 0xE0) pad = 0xA0;
    if (probe.size() == 1 && b0 == 0xF0) pad = 0x90;
    probe.push_back(static_cast<char>(pad));
  }
  return ValidUtf8CharLen(probe, 0) == want;
}

// Moves the complete prefix of *pending to the result; invalid bytes become U+FFFD. With
// `final`, an incomplete tail is invalid too; otherwise it stays pending.
std::string Drain(std::string* pending, bool final) {
  std::string out;
  size_t pos = 0;
  while (pos < pending->size()) {
    const size_t len = ValidUtf8CharLen(*pending, pos);
    if (len > 0) {
      out.append(*pending, pos, len);
      pos += len;
    } else if (!final && IsIncompletePrefix(*pending, pos)) {
      break;
    } else {
      out += kReplacementChar;
      pos += 1;
    }
  }
  pending->erase(0, pos);
  return out;
}

}  // namespace
}  // namespace tokenizer_internal

std::string Utf8Streamer::Push(std::string_view bytes) {
  pending_.append(bytes);
  return tokenizer_internal::Drain(&pending_, /*final=*/false);
}

std::string Utf8Streamer::Flush() { return tokenizer_internal::Drain(&pending_, /*final=*/true); }

}  // namespace warden::engine
