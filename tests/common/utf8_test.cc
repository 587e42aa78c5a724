#include "common/utf8.h"

#include "gtest/gtest.h"

namespace bamctl {
namespace {

TEST(FirstInvalidUtf8Test, AcceptsUtf8AndFindsTheFirstBadSequence) {
  EXPECT_EQ(FirstInvalidUtf8(""), std::nullopt);
  EXPECT_EQ(FirstInvalidUtf8("plain ascii\n"), std::nullopt);
  EXPECT_EQ(FirstInvalidUtf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), std::nullopt);
  EXPECT_EQ(FirstInvalidUtf8("ab\xff"), 2u);                  // never valid
  EXPECT_EQ(FirstInvalidUtf8("a\xc3"), 1u);                   // truncated
  EXPECT_EQ(FirstInvalidUtf8("a\xc3(b"), 1u);                 // bad continuation
  EXPECT_EQ(FirstInvalidUtf8("\xc0\x80"), 0u);                // overlong NUL
  EXPECT_EQ(FirstInvalidUtf8("xy\xed\xa0\x80"), 2u);          // a surrogate
  EXPECT_EQ(FirstInvalidUtf8("\xf4\x90\x80\x80"), 0u);        // above U+10FFFF
  EXPECT_EQ(FirstInvalidUtf8("ok \xc3\xa9 then \x80"), 11u);  // stray continuation
}

TEST(CutTextTest, KeepsShortTextAndCutsLongTextOnACharacterBoundary) {
  EXPECT_EQ(CutText("short", 10), "short");
  EXPECT_EQ(CutText("0123456789abc", 10), "0123456789... (3 bytes cut)");
  // "é" is two bytes: a cut inside it backs off to before it.
  EXPECT_EQ(CutText("abc\xc3\xa9xyz", 4), "abc... (5 bytes cut)");
  EXPECT_EQ(CutText("abc\xc3\xa9xyz", 5), "abc\xc3\xa9... (3 bytes cut)");
}

}  // namespace
}  // namespace bamctl
