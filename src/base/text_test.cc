// format.h, html.h, strings.h
#include <gtest/gtest.h>

#include "warden/base/format.h"
#include "warden/base/html.h"
#include "warden/base/strings.h"

namespace warden {
namespace {

TEST(Format, FixedSigAndIntervals) {
  EXPECT_EQ(Fixed(0.89551), "0.896");
  EXPECT_EQ(Fixed(3.0, 1), "3.0");
  EXPECT_EQ(Sig(0.000123456), "0.0001235");
  EXPECT_EQ(Sig(2.5e21), "2.5e+21");
  EXPECT_EQ(Sig(0.5), "0.5");
  EXPECT_EQ(WithInterval(0.896, 0.821, 0.970), "0.896 [0.821, 0.970]");
}

TEST(Format, StrFormatHasNoLengthLimit) {
  const std::string long_text(1000, 'x');
  EXPECT_EQ(StrFormat("<%s>", long_text.c_str()).size(), 1002u);
  EXPECT_EQ(StrFormat("%d-%s", 7, "a"), "7-a");
}

TEST(HtmlEscape, EscapesAllFiveSpecialCharacters) {
  EXPECT_EQ(HtmlEscape(R"(<a href="x" title='y'>&</a>)"),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
  EXPECT_EQ(HtmlEscape("plain"), "plain");
}

TEST(Strings, TrimSplitJoin) {
  EXPECT_EQ(Trim("  a b \t\n"), "a b");
  EXPECT_EQ(Trim(" \r\n"), "");
  EXPECT_TRUE(StartsWith("blocks.3", "blocks."));
  EXPECT_FALSE(StartsWith("b", "blocks."));
  EXPECT_TRUE(EndsWith("x.gguf", ".gguf"));
  EXPECT_FALSE(EndsWith("gguf", ".gguf"));
  EXPECT_EQ(Split("a,,b", ','), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_EQ(Split("", ','), (std::vector<std::string>{""}));
  EXPECT_EQ(Join({"a", "b", "c"}, ", "), "a, b, c");
  EXPECT_EQ(AsciiLower("AbC-Ü"), "abc-Ü");
}

}  // namespace
}  // namespace warden
