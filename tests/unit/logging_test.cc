#include "hotline/logging.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>
#include <spdlog/details/log_msg.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

#include "test_util.h"

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

TEST(LoggingTest, JournalLinesCarryTheirSyslogPriority) {
  auto line = [](spdlog::level::level_enum level) {
    spdlog::details::log_msg msg("relay-2", level, "queue full");
    spdlog::memory_buf_t buf;
    MakeJournalFormatter()->format(msg, buf);
    return std::string(buf.data(), buf.size());
  };
  EXPECT_EQ(line(spdlog::level::info), "<6>relay-2: queue full\n");
  EXPECT_EQ(line(spdlog::level::warn), "<4>relay-2: queue full\n");
  EXPECT_EQ(line(spdlog::level::err), "<3>relay-2: queue full\n");
  EXPECT_EQ(line(spdlog::level::critical), "<2>relay-2: queue full\n");
  EXPECT_EQ(line(spdlog::level::debug), "<7>relay-2: queue full\n");
}

// A relay names itself and peers choose text that reaches logs: a newline
// or control byte in it never starts a second line (a forged entry, or a
// "<0>" emergency in the journal) nor reaches a terminal raw.
TEST(LoggingTest, PeerTextCannotForgeALineInTextOrJournalLogs) {
  const std::string hostile = "refused relay-2\n<0>node-us: forged\r\x1b[2J\x07 end";
  for (bool journal : {false, true}) {
    spdlog::details::log_msg msg("node-us", spdlog::level::warn, hostile);
    spdlog::memory_buf_t buf;
    (journal ? MakeJournalFormatter() : MakeLogFormatter(false))->format(msg, buf);
    std::string line(buf.data(), buf.size());
    ASSERT_EQ(line.back(), '\n');
    line.pop_back();
    EXPECT_EQ(line.find_first_of("\n\r\x1b\x07"), std::string::npos) << line;
    EXPECT_NE(line.find("refused relay-2 <0>node-us: forged\\x0d\\x1b[2J\\x07 end"),
              std::string::npos)
        << line;
    if (journal) {
      EXPECT_EQ(line.rfind("<4>node-us: ", 0), 0u) << line;
    }
  }
}

TEST(LoggingTest, StderrIsTheJournalOnlyWhenJournalStreamNamesIt) {
  struct stat st {};
  ASSERT_EQ(fstat(2, &st), 0);
  std::string mine = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  const char* before = std::getenv("JOURNAL_STREAM");
  std::string saved = before ? before : "";
  setenv("JOURNAL_STREAM", mine.c_str(), 1);
  EXPECT_TRUE(StderrIsJournal());
  setenv("JOURNAL_STREAM",
         (std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino + 1)).c_str(), 1);
  EXPECT_FALSE(StderrIsJournal()) << "inherited from a parent whose stderr was the journal";
  setenv("JOURNAL_STREAM", "garbage", 1);
  EXPECT_FALSE(StderrIsJournal());
  unsetenv("JOURNAL_STREAM");
  EXPECT_FALSE(StderrIsJournal());
  if (before) setenv("JOURNAL_STREAM", saved.c_str(), 1);
}

TEST(LoggingTest, ALogFileIsRotatedBySizeKeepingTheNewestFiles) {
  testing::TempDir dir;
  std::filesystem::path file = dir.path() / "relay-1.log";
  auto previous = spdlog::default_logger();
  InitLogging("rotation-test", {.file = file.string(), .max_file_bytes = 4096, .max_files = 2});
  for (int i = 0; i < 400; ++i) spdlog::info("line {} of a busy relay's log", i);
  spdlog::default_logger()->flush();
  spdlog::drop("rotation-test");
  spdlog::set_default_logger(previous);
  EXPECT_TRUE(std::filesystem::exists(file));
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "relay-1.1.log"));
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "relay-1.2.log"));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "relay-1.3.log")) << "only two kept";
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    EXPECT_LE(std::filesystem::file_size(entry.path()), 4096u + 200u) << entry.path();
  }
  std::string newest = testing::ReadFileOrDie(file);
  EXPECT_NE(newest.find("line 399 of a busy relay's log"), std::string::npos);
}

}  // namespace
}  // namespace hotline
