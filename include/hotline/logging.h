// Process-wide spdlog set-up for the daemons: human-readable by default,
// JSON lines on request, to stderr or a file.
//
// Thread safety: call once from main before starting threads.
#ifndef HOTLINE_LOGGING_H_
#define HOTLINE_LOGGING_H_

#include <spdlog/formatter.h>

#include <memory>
#include <string>
#include <string_view>

namespace hotline {

void InitLogging(const std::string& process_name, const std::string& log_file, bool json);

// The line format: "TIME PROCESS LEVEL: message", or one JSON object per
// line ({"time","process","level","message"}) with the message escaped.
std::unique_ptr<spdlog::formatter> MakeLogFormatter(bool json);

// `text` as the inside of a JSON string (quotes, backslashes and control
// characters escaped; other bytes as they are).
std::string JsonEscape(std::string_view text);

}  // namespace hotline

#endif  // HOTLINE_LOGGING_H_
