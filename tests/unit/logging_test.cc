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

}  // namespace
}  // namespace hotline
