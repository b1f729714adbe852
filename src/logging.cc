#include "hotline/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>

#include "hotline/text.h"

namespace hotline {
namespace {

// %* in a pattern: the log message as the inside of a JSON string.
class JsonEscapedMessage : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    std::string escaped = JsonEscape(std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(escaped.data(), escaped.data() + escaped.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonEscapedMessage>();
  }
};

// %~ in a pattern: the log message as one line of printable UTF-8.
// Messages quote peers (relay names, refusal reasons); a newline or a
// control byte in them must not start a forged line, or a "<0>" priority
// in the journal, or move an operator's cursor.
class PrintableMessage : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    std::string safe = Printable(std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(safe.data(), safe.data() + safe.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<PrintableMessage>();
  }
};

// %P: the syslog priority of the line's level (sd-daemon(3) "<N>").
class SyslogPriority : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    char digit = '6';  // info
    switch (msg.level) {
      case spdlog::level::trace:
      case spdlog::level::debug:
        digit = '7';
        break;
      case spdlog::level::warn:
        digit = '4';
        break;
      case spdlog::level::err:
        digit = '3';
        break;
      case spdlog::level::critical:
        digit = '2';
        break;
      default:
        break;
    }
    dest.push_back(digit);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<SyslogPriority>();
  }
};

}  // namespace

std::string JsonEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  for (size_t i = 0; i < text.size();) {
    unsigned char c = p[i];
    if (c >= 0x80) {
      size_t n = Utf8SequenceLength(p + i, text.size() - i);
      if (n == 0) {
        out += "\\ufffd";  // not UTF-8: the replacement character
        ++i;
      } else {
        out.append(text.substr(i, n));
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  return out;
}

std::unique_ptr<spdlog::formatter> MakeLogFormatter(bool json) {
  auto f = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  if (json) {
    f->add_flag<JsonEscapedMessage>('*').set_pattern(
        R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","process":"%n","level":"%l","message":"%*"})");
  } else {
    f->add_flag<PrintableMessage>('~').set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %n %^%l%$: %~");
  }
  return f;
}

std::unique_ptr<spdlog::formatter> MakeJournalFormatter() {
  auto f = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  f->add_flag<SyslogPriority>('P').add_flag<PrintableMessage>('~').set_pattern("<%P>%n: %~");
  return f;
}

bool StderrIsJournal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (!stream) return false;
  unsigned long long device = 0, inode = 0;
  if (std::sscanf(stream, "%llu:%llu", &device, &inode) != 2) return false;
  struct stat st {};
  if (fstat(2, &st) != 0) return false;
  return static_cast<unsigned long long>(st.st_dev) == device &&
         static_cast<unsigned long long>(st.st_ino) == inode;
}

void InitLogging(const std::string& process_name, const LogOptions& options) {
  std::shared_ptr<spdlog::logger> logger;
  bool journal = false;
  if (options.file.empty()) {
    logger = spdlog::stderr_logger_mt(process_name);
    journal = !options.json && StderrIsJournal();
  } else if (options.max_file_bytes > 0) {
    // Rotated by size: node.log, then node.1.log ... node.N.log, the oldest dropped.
    logger = spdlog::rotating_logger_mt(
        process_name, options.file, static_cast<size_t>(options.max_file_bytes), options.max_files);
  } else {
    logger = spdlog::basic_logger_mt(process_name, options.file);
  }
  logger->set_formatter(journal ? MakeJournalFormatter() : MakeLogFormatter(options.json));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

}  // namespace hotline
