#include "warden/base/format.h"

#include <cstdarg>
#include <cstdio>

namespace warden {

namespace {

// Appends the formatted text to *out; `args` is consumed, `copy` is a va_copy of it.
void AppendV(std::string* out, const char* format, va_list args, va_list copy) {
  char small[128];
  const int n = std::vsnprintf(small, sizeof small, format, args);
  if (n <= 0) return;
  if (static_cast<size_t>(n) < sizeof small) {
    out->append(small, static_cast<size_t>(n));
    return;
  }
  const size_t at = out->size();
  out->resize(at + static_cast<size_t>(n) + 1);
  std::vsnprintf(out->data() + at, static_cast<size_t>(n) + 1, format, copy);
  out->resize(at + static_cast<size_t>(n));
}

}  // namespace

std::string StrFormat(const char* format, ...) {
  std::string out;
  va_list args, copy;
  va_start(args, format);
  va_copy(copy, args);
  AppendV(&out, format, args, copy);
  va_end(copy);
  va_end(args);
  return out;
}

void StrAppendFormat(std::string* out, const char* format, ...) {
  va_list args, copy;
  va_start(args, format);
  va_copy(copy, args);
  AppendV(out, format, args, copy);
  va_end(copy);
  va_end(args);
}

std::string Fixed(double v, int digits) { return StrFormat("%.*f", digits, v); }

std::string Sig(double v, int digits) { return StrFormat("%.*g", digits, v); }

std::string WithInterval(double value, double low, double high, int digits) {
  return StrFormat("%.*f [%.*f, %.*f]", digits, value, digits, low, digits, high);
}

}  // namespace warden
