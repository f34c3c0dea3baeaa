#include "warden/base/clock.h"

#include <cstdio>
#include <ctime>

#include "warden/base/env.h"

namespace warden {

int64_t UnixNow() { return Env::Default()->NowUnixSeconds(); }

std::string UtcIso(int64_t unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Result<int64_t> ParseUtcIso(const std::string& text, const std::string& where) {
  auto bad = [&] {
    return Status::InvalidArgument(where + ": '" + text.substr(0, 40) + "' is not a UTC time (YYYY-MM-DDTHH:MM:SSZ)");
  };
  if (text.size() < 20 || text.size() > 40 || text.back() != 'Z') return bad();
  int y, mo, d, h, mi, s;
  char t_sep, tail;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2d%c%2d:%2d:%2d%c", &y, &mo, &d, &t_sep, &h, &mi, &s, &tail) != 8) {
    return bad();
  }
  if (t_sep != 'T' || text[4] != '-' || text[7] != '-' || text[13] != ':' || text[16] != ':') return bad();
  if (tail == '.') {
    for (size_t i = 20; i + 1 < text.size(); ++i) {
      if (text[i] < '0' || text[i] > '9') return bad();
    }
  } else if (tail != 'Z' || text.size() != 20) {
    return bad();
  }
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 60) return bad();
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  const int64_t out = static_cast<int64_t>(timegm(&tm));
  // timegm normalises 30 February into March: a round trip catches impossible dates.
  std::tm back{};
  const std::time_t tt = static_cast<std::time_t>(out);
  gmtime_r(&tt, &back);
  if (back.tm_mday != d || back.tm_mon != mo - 1) return bad();
  return out;
}

}  // namespace warden
