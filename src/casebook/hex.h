// Lower-case hex, for keys and signatures (internal to casebook).
#pragma once

#include <cstddef>
#include <string>

namespace warden::casebook {

inline std::string ToHex(const unsigned char* data, size_t size) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 15];
  }
  return out;
}

// Decodes exactly `size` bytes of lower- or upper-case hex; false on any other length or digit.
inline bool FromHex(const std::string& hex, size_t size, std::string* out) {
  if (hex.size() != size * 2) return false;
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  out->assign(size, '\0');
  for (size_t i = 0; i < size; ++i) {
    const int hi = digit(hex[2 * i]), lo = digit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    (*out)[i] = static_cast<char>(hi * 16 + lo);
  }
  return true;
}

}  // namespace warden::casebook
