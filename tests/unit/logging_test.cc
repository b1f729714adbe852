#include "hotline/logging.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>
#include <spdlog/details/log_msg.h>

namespace hotline {
namespace {

TEST(LoggingTest, JsonLinesStayValidWhateverTheMessageHolds) {
  const std::string hostile = "peer said \"hi\\\" then\nnewline\ttab\x01 end";
  spdlog::details::log_msg msg("node-us", spdlog::level::warn, hostile);
  spdlog::memory_buf_t buf;
  MakeLogFormatter(true)->format(msg, buf);
  std::string line(buf.data(), buf.size());
  ASSERT_EQ(line.back(), '\n');
  line.pop_back();
  EXPECT_EQ(line.find('\n'), std::string::npos) << "one record per line";
  google::protobuf::Struct parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(line, &parsed).ok()) << line;
  EXPECT_EQ(parsed.fields().at("message").string_value(), hostile);
  EXPECT_EQ(parsed.fields().at("process").string_value(), "node-us");
  EXPECT_EQ(parsed.fields().at("level").string_value(), "warning");
}

std::string Repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

TEST(LoggingTest, InvalidUtf8BecomesReplacementCharactersAndValidUtf8Stays) {
  // Valid 日本 and 한; then 0xff, an overlong "/", a surrogate, and a cut-off sequence.
  const std::string text =
      "\xe6\x97\xa5\xe6\x9c\xac / \xed\x95\x9c / bad \xff\xc0\xaf\xed\xa0\x80 / cut \xe6\x97";
  spdlog::details::log_msg msg("node-jp", spdlog::level::info, text);
  spdlog::memory_buf_t buf;
  MakeLogFormatter(true)->format(msg, buf);
  std::string line(buf.data(), buf.size() - 1);
  google::protobuf::Struct parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(line, &parsed).ok()) << line;
  EXPECT_EQ(parsed.fields().at("message").string_value(),
            "\xe6\x97\xa5\xe6\x9c\xac / \xed\x95\x9c / bad " + Repeat("\xef\xbf\xbd", 6) +
                " / cut " + Repeat("\xef\xbf\xbd", 2));
}

}  // namespace
}  // namespace hotline
