// Process-wide spdlog set-up for the daemons: human-readable by default,
// JSON lines on request; to stderr, to the systemd journal (stderr under a
// unit: each line carries its syslog priority, so `journalctl -p warning`
// works), or to a file rotated by size (docs/OPERATIONS.md "Logs").
//
// Thread safety: call once from main before starting threads.
#ifndef HOTLINE_LOGGING_H_
#define HOTLINE_LOGGING_H_

#include <spdlog/formatter.h>

#include <memory>
#include <string>
#include <string_view>

namespace hotline {

struct LogOptions {
  std::string file;  // empty: stderr (the journal under systemd)
  bool json = false;
  uint64_t max_file_bytes = 10ull << 20;  // a file is rotated at this size; 0: never
  uint32_t max_files = 5;  // rotated files kept: node.log -> node.1.log ... node.N.log
};
void InitLogging(const std::string& process_name, const LogOptions& options);

// Whether stderr is the systemd journal's stream ($JOURNAL_STREAM names
// its device and inode, as systemd.exec(5) says to check).
bool StderrIsJournal();

// Lines for the journal: "<PRIORITY>PROCESS: message" (sd-daemon(3) level
// prefixes; the journal adds the time).
std::unique_ptr<spdlog::formatter> MakeJournalFormatter();

// The line format: "TIME PROCESS LEVEL: message", or one JSON object per
// line ({"time","process","level","message"}) with the message escaped.
std::unique_ptr<spdlog::formatter> MakeLogFormatter(bool json);

// `text` as the inside of a JSON string (quotes, backslashes and control
// characters escaped; other bytes as they are).
std::string JsonEscape(std::string_view text);

}  // namespace hotline

#endif  // HOTLINE_LOGGING_H_
