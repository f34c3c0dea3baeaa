#include "engine/tokenizer/utf8.h"

#include <gtest/gtest.h>

#include "warden/engine/tokenizer.h"

namespace warden::engine {
namespace {

using tokenizer_internal::IsValidUtf8;
using tokenizer_internal::ValidUtf8CharLen;

TEST(Utf8Test, Validation) {
  EXPECT_TRUE(IsValidUtf8("plain \xc3\xa9 \xe2\x82\xac \xf0\x9f\xa6\x99"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));          // truncated
  EXPECT_FALSE(IsValidUtf8("\x80"));
  EXPECT_EQ(ValidUtf8CharLen("\xe2\x82\xac", 0), 3u);
  EXPECT_EQ(ValidUtf8CharLen("\xe2\x82", 0), 0u);
}

TEST(Utf8StreamerTest, ReleasesOnlyWholeCharacters) {
  Utf8Streamer s;
  EXPECT_EQ(s.Push("a\xe2"), "a");
  EXPECT_EQ(s.Push("\x82"), "");
  EXPECT_EQ(s.Push("\xac!"), "\xe2\x82\xac!");
  EXPECT_EQ(s.Push("\xf0\x9f"), "");
  EXPECT_EQ(s.Push("\xa6\x99"), "\xf0\x9f\xa6\x99");
  EXPECT_EQ(s.Flush(), "");
}

TEST(Utf8StreamerTest, InvalidBytesBecomeReplacementCharacters) {
  Utf8Streamer s;
  EXPECT_EQ(s.Push("\xff" "a"), "\xef\xbf\xbd" "a");
  EXPECT_EQ(s.Push("\xe2\x82" "x"), "\xef\xbf\xbd\xef\xbf\xbd" "x");  // cut short by 'x'
  EXPECT_EQ(s.Push("\xed\xa0"), "\xef\xbf\xbd\xef\xbf\xbd");         // a surrogate can never complete
  EXPECT_EQ(s.Push("\xe2\x82"), "");
  EXPECT_EQ(s.Flush(), "\xef\xbf\xbd\xef\xbf\xbd");  // the incomplete tail at the end
  EXPECT_EQ(s.Flush(), "");
}

}  // namespace
}  // namespace warden::engine
