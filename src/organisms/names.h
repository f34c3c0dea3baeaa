// Invented names for the synthetic worlds (internal to the organisms module).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "warden/base/rng.h"

namespace warden::organisms::internal {

// A name of `min_syllables`..`max_syllables` syllables from `syllables` plus one of `suffixes`
// (may be {""}), capitalised when `capitalise`, and not already in *taken (which it joins).
// The syllable tables are chosen by the caller so that the names are made-up words.
std::string UniqueName(Rng* rng, const std::vector<std::string>& syllables,
                       const std::vector<std::string>& suffixes, int min_syllables,
                       int max_syllables, bool capitalise, std::set<std::string>* taken);

// Replaces every "{key}" in `text` with its value (keys as given, e.g. "{s}").
std::string Fill(std::string text, const std::vector<std::pair<std::string, std::string>>& values);

}  // namespace warden::organisms::internal
