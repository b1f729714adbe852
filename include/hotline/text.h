// Text from peers made safe to show: every string a peer chose (message
// text, topics, remarks, event texts) passes through Printable before it
// reaches a terminal, a log line or a summary column, so that no byte of it
// can move a cursor, clear a screen or hide in a NUL.
//
// Thread safety: pure functions. Error contract: none; bad input is
// replaced, never refused.
#ifndef HOTLINE_TEXT_H_
#define HOTLINE_TEXT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace hotline {

// Length of the well-formed UTF-8 sequence (RFC 3629) at `p`, 1..4, or 0
// when the bytes there are not UTF-8 (overlongs and surrogates included).
size_t Utf8SequenceLength(const unsigned char* p, size_t left);

struct PrintableOptions {
  bool keep_newlines = false;  // '\n' kept (multi-line views); else shown as a space
  size_t max_code_points = 0;  // 0 = no limit; longer text ends with "..."
};

// `text` with every byte sequence that is not printable UTF-8 replaced:
// invalid UTF-8 by U+FFFD, C0 and C1 controls and DEL by "\xNN" (tabs and,
// unless kept, newlines by a space). Clipping never splits a code point.
std::string Printable(std::string_view text, PrintableOptions options = {});

// A peer's clock minus ours, for people: "ahead by at least 2h 0m 3s",
// "behind by at least 45s", "in step".
std::string DescribeClockOffset(int64_t offset_ms);

}  // namespace hotline

#endif  // HOTLINE_TEXT_H_
