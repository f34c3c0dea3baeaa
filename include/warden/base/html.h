// Text into HTML and SVG (element content and quoted attribute values alike).
#pragma once

#include <string>
#include <string_view>

namespace warden {

// Escapes the five characters that can end an element or an attribute: & < > " '. Control
// characters other than tab, line feed and carriage return (invalid in XML 1.0, so in SVG) become
// U+FFFD, the replacement character, so that the output is valid HTML and XML alike.
std::string HtmlEscape(std::string_view text);

}  // namespace warden
