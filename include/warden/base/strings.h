// Small string helpers that the standard library (C++17) lacks.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace warden {

// `s` without leading and trailing ASCII white space (space, \t, \n, \r, \f, \v).
std::string_view Trim(std::string_view s);

bool StartsWith(std::string_view s, std::string_view prefix);
bool EndsWith(std::string_view s, std::string_view suffix);

// Pieces of `s` between occurrences of `sep`, empty pieces kept: Split("a,,b", ',') is
// {"a", "", "b"}; Split("", ',') is {""}.
std::vector<std::string> Split(std::string_view s, char sep);

std::string Join(const std::vector<std::string>& parts, std::string_view sep);

// ASCII lower case (other bytes unchanged).
std::string AsciiLower(std::string_view s);

}  // namespace warden
