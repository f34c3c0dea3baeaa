#include "warden/guard/release.h"

#include <gtest/gtest.h>

namespace warden::guard {
namespace {

TEST(ReleaseBuffer, ATokenLeavesOnlyWhenItAndHoldbackLaterTokensAreScored) {
  ReleaseBuffer r(2, {});
  for (const char* t : {"a", "b", "c", "d", "e"}) r.Add(t);
  r.Scored(2);  // tokens 0, 1 read: none has 2 later tokens read
  EXPECT_EQ(r.Take(), "");
  r.Scored(3);
  EXPECT_EQ(r.Take(), "a");
  r.Scored(5);
  EXPECT_EQ(r.Take(), "bc");
  EXPECT_EQ(r.released_tokens(), 3);
  r.Finish(5);
  EXPECT_EQ(r.Take(), "de");
  EXPECT_EQ(r.released_text(), "abcde");
}

TEST(ReleaseBuffer, ACutWithholdsTheFiringTokenAndEverythingHeldBack) {
  ReleaseBuffer r(2, {});
  for (const char* t : {"a", "b", "c", "d", "e", "f"}) r.Add(t);
  r.Scored(4);
  EXPECT_EQ(r.Take(), "ab");
  r.Cut();  // the monitor fired on token 4: c and d were held back and stay withheld
  r.Finish(6);
  EXPECT_EQ(r.Take(), "");
  EXPECT_EQ(r.released_text(), "ab");
  EXPECT_EQ(r.released_tokens(), 2);
  EXPECT_TRUE(r.cut());
}

TEST(ReleaseBuffer, HoldbackZeroReleasesEachTokenAsSoonAsItIsScored) {
  ReleaseBuffer r(0, {});
  r.Add("x");
  EXPECT_EQ(r.Take(), "");
  r.Scored(1);
  EXPECT_EQ(r.Take(), "x");
}

TEST(ReleaseBuffer, AStopStringIsNeverReleasedEvenInPart) {
  ReleaseBuffer r(0, {"<|end|>"});
  EXPECT_FALSE(r.Add("Hello"));
  r.Scored(1);
  // "Hello" could still be followed by a stop string's start in the same bytes: the last 6
  // bytes wait.
  EXPECT_EQ(r.Take(), "");
  EXPECT_FALSE(r.Add(" world <|"));
  r.Scored(2);
  EXPECT_EQ(r.Take(), "Hello wo");
  EXPECT_TRUE(r.Add("end|> more"));
  r.Finish(3);
  EXPECT_EQ(r.Take(), "rld ");
  EXPECT_EQ(r.released_text(), "Hello world ");
}

TEST(ReleaseBuffer, TextLeavesAsWholeUtf8Characters) {
  ReleaseBuffer r(0, {});
  r.Add("caf\xC3");  // "é" split across two tokens
  r.Scored(1);
  EXPECT_EQ(r.Take(), "caf");
  r.Add("\xA9!");
  r.Scored(2);
  EXPECT_EQ(r.Take(), "\xC3\xA9!");
  EXPECT_EQ(CompleteUtf8Prefix("ab\xE2\x82"), 2u);
  EXPECT_EQ(CompleteUtf8Prefix("ab\xE2\x82\xAC"), 5u);
  EXPECT_EQ(CompleteUtf8Prefix("\xF0\x9F\x98"), 0u);
}

}  // namespace
}  // namespace warden::guard

namespace warden::guard {
namespace {

TEST(ReleaseBuffer, BytesThatAreNotUtf8LeaveAsReplacementCharactersOnePerByte) {
  EXPECT_EQ(ValidUtf8("\xE7|"), "\xEF\xBF\xBD|");
  EXPECT_EQ(ValidUtf8("\xF1\x82\xDE h"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD h");
  EXPECT_EQ(ValidUtf8("caf\xC3\xA9"), "caf\xC3\xA9");
  ReleaseBuffer r(0, {});
  r.Add("a\xFF");
  r.Finish(1);
  EXPECT_EQ(r.Take(), "a\xEF\xBF\xBD");
}

}  // namespace
}  // namespace warden::guard
