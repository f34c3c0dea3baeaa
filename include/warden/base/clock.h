// Wall-clock time as UTC ISO 8601 text ("2026-11-29T19:15:12Z"), the form every warden record
// uses. Whole seconds; no time zones other than Z.
#pragma once

#include <cstdint>
#include <string>

#include "warden/base/status.h"

namespace warden {

// Seconds since the Unix epoch, now (Env::Default()'s clock; code that a test must control takes
// an Env* and asks it instead).
int64_t UnixNow();

// "YYYY-MM-DDTHH:MM:SSZ" for `unix_seconds`.
std::string UtcIso(int64_t unix_seconds);
inline std::string UtcNow() { return UtcIso(UnixNow()); }

// Parses "YYYY-MM-DDTHH:MM:SSZ" (a fractional part ".123" before the Z is accepted and
// dropped). Anything else, or an impossible date (month 13, 30 February), is InvalidArgument
// naming `where`.
Result<int64_t> ParseUtcIso(const std::string& text, const std::string& where);

}  // namespace warden
