#include "store/database.h"

#include <charconv>
#include <cstdlib>

namespace warden::store::internal {

int64_t Rows::Int(size_t row, int col) const {
  const std::string& s = Text(row, col);
  int64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

double Rows::Double(size_t row, int col) const { return std::strtod(Text(row, col).c_str(), nullptr); }

std::string Schema(const std::string& generic, Dialect dialect) {
  const bool pg = dialect == Dialect::kPostgres;
  std::string out;
  out.reserve(generic.size());
  for (size_t i = 0; i < generic.size(); ++i) {
    auto at = [&](const char* word) { return generic.compare(i, std::char_traits<char>::length(word), word) == 0; };
    if (at("{int}")) {
      out += pg ? "BIGINT" : "INTEGER";
      i += 4;
    } else if (at("{real}")) {
      out += pg ? "DOUBLE PRECISION" : "REAL";
      i += 5;
    } else if (at("{text}")) {
      out += pg ? "BYTEA" : "TEXT";
      i += 5;
    } else {
      out += generic[i];
    }
  }
  return out;
}

std::string RedactPassword(const std::string& url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const size_t at = url.find('@', scheme + 3);
  if (at == std::string::npos) return url;
  const size_t colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

}  // namespace warden::store::internal
