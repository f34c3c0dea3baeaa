#include "names.h"

#include <cctype>

namespace warden::organisms::internal {

std::string UniqueName(Rng* rng, const std::vector<std::string>& syllables,
                       const std::vector<std::string>& suffixes, int min_syllables,
                       int max_syllables, bool capitalise, std::set<std::string>* taken) {
  // The tables give far more names than any world asks for; after many collisions a numeric
  // tail keeps the loop finite whatever the sizes requested.
  for (int attempt = 0;; ++attempt) {
    const int n = static_cast<int>(rng->Range(min_syllables, max_syllables));
    std::string name;
    for (int i = 0; i < n; ++i) name += rng->Pick(syllables);
    name += rng->Pick(suffixes);
    if (attempt > 64) name += std::to_string(attempt);
    if (capitalise && !name.empty()) name[0] = static_cast<char>(std::toupper(name[0]));
    if (taken->insert(name).second) return name;
  }
}

std::string Fill(std::string text, const std::vector<std::pair<std::string, std::string>>& values) {
  for (const auto& [key, value] : values) {
    for (size_t pos = text.find(key); pos != std::string::npos;
         pos = text.find(key, pos + value.size())) {
      text.replace(pos, key.size(), value);
    }
  }
  return text;
}

}  // namespace warden::organisms::internal
