#include "hotline/text.h"

#include <cstdio>
#include <cstdlib>

namespace hotline {

size_t Utf8SequenceLength(const unsigned char* p, size_t left) {
  if (left == 0) return 0;
  unsigned char c = p[0];
  if (c < 0x80) return 1;
  size_t n = c >= 0xc2 && c <= 0xdf   ? 2
             : c >= 0xe0 && c <= 0xef ? 3
             : c >= 0xf0 && c <= 0xf4 ? 4
                                      : 0;
  if (n == 0 || n > left) return 0;
  unsigned char lo = 0x80, hi = 0xbf;  // the second byte's range excludes overlongs and surrogates
  if (c == 0xe0) lo = 0xa0;
  if (c == 0xed) hi = 0x9f;
  if (c == 0xf0) lo = 0x90;
  if (c == 0xf4) hi = 0x8f;
  if (p[1] < lo || p[1] > hi) return 0;
  for (size_t i = 2; i < n; ++i) {
    if (p[i] < 0x80 || p[i] > 0xbf) return 0;
  }
  return n;
}

std::string Printable(std::string_view text, PrintableOptions options) {
  std::string out;
  out.reserve(text.size());
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  size_t points = 0;
  for (size_t i = 0; i < text.size();) {
    if (options.max_code_points > 0 && points == options.max_code_points) {
      out += "...";
      break;
    }
    ++points;
    size_t n = Utf8SequenceLength(p + i, text.size() - i);
    if (n == 0) {
      out += "\xef\xbf\xbd";  // U+FFFD
      ++i;
      continue;
    }
    unsigned char c = p[i];
    bool c1_control = n == 2 && c == 0xc2 && p[i + 1] < 0xa0;  // U+0080..U+009F
    if (c == '\n' && options.keep_newlines) {
      out += '\n';
    } else if (c == '\t' || c == '\n') {
      out += ' ';
    } else if (c < 0x20 || c == 0x7f || c1_control) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c1_control ? p[i + 1] : c);
      out += buf;
    } else {
      out.append(text.substr(i, n));
    }
    i += n;
  }
  return out;
}

std::string DescribeClockOffset(int64_t offset_ms) {
  if (offset_ms == 0) return "in step";
  int64_t s = std::llabs(offset_ms) / 1000;
  std::string text;
  if (s >= 3600) text += std::to_string(s / 3600) + "h ";
  if (s >= 60) text += std::to_string(s / 60 % 60) + "m ";
  text += std::to_string(s % 60) + "s";
  if (s == 0) text = std::to_string(std::llabs(offset_ms)) + " ms";
  return (offset_ms > 0 ? "ahead" : "behind") + std::string(" by at least ") + text;
}

}  // namespace hotline
