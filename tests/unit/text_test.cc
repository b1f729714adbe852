#include "hotline/text.h"

#include <gtest/gtest.h>

#include "node/node_store.h"

namespace hotline {
namespace {

TEST(PrintableTest, KeepsOrdinaryTextInEveryScript) {
  EXPECT_EQ(Printable("Launch detected"), "Launch detected");
  EXPECT_EQ(Printable("발사 탐지 / 発射を探知"), "발사 탐지 / 発射を探知");
}

TEST(PrintableTest, ReplacesNulAndControlBytes) {
  std::string utf16("H\0i\0", 4);
  EXPECT_EQ(Printable(utf16), "H\\x00i\\x00");
  EXPECT_EQ(Printable("\x1b[2Jcleared"), "\\x1b[2Jcleared");
  EXPECT_EQ(Printable("a\x7f"
                      "b"),
            "a\\x7fb");
  EXPECT_EQ(Printable("c1 \xc2\x9b"
                      "x"),
            "c1 \\x9bx");  // U+009B, the 8-bit CSI
  EXPECT_EQ(Printable("tab\there"), "tab here");
}

TEST(PrintableTest, ReplacesInvalidUtf8WithTheReplacementCharacter) {
  EXPECT_EQ(Printable("a\xff"
                      "b"),
            "a\xef\xbf\xbd"
            "b");
  EXPECT_EQ(Printable("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");                  // overlong '/'
  EXPECT_EQ(Printable("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");  // surrogate
  EXPECT_EQ(Printable("\xe2\x82"), "\xef\xbf\xbd\xef\xbf\xbd");                  // truncated
}

TEST(PrintableTest, NewlinesAreKeptOnlyWhenAsked) {
  EXPECT_EQ(Printable("one\ntwo"), "one two");
  EXPECT_EQ(Printable("one\ntwo", {.keep_newlines = true}), "one\ntwo");
  EXPECT_EQ(Printable("one\r\ntwo", {.keep_newlines = true}), "one\\x0d\ntwo");
}

TEST(PrintableTest, ClipsByCodePointNeverInsideOne) {
  EXPECT_EQ(Printable("abcdef", {.max_code_points = 3}), "abc...");
  EXPECT_EQ(Printable("발사탐지", {.max_code_points = 2}), "발사...");
  EXPECT_EQ(Printable("abc", {.max_code_points = 3}), "abc");
}

TEST(SummarizeBodyTest, AUtf16TextSummaryIsPrintable) {
  v1::Body body;
  body.mutable_text()->set_text(std::string("H\0e\0l\0l\0o\0", 10));
  std::string summary = node::SummarizeBody(body);
  EXPECT_EQ(summary.find('\0'), std::string::npos);
  EXPECT_EQ(summary, "H\\x00e\\x00l\\x00l\\x00o\\x00");
}

}  // namespace
}  // namespace hotline
