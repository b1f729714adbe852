// Process-wide spdlog set-up for the daemons: human-readable by default,
// JSON lines on request, to stderr or a file.
//
// Thread safety: call once from main before starting threads.
#ifndef HOTLINE_LOGGING_H_
#define HOTLINE_LOGGING_H_

#include <string>

namespace hotline {

void InitLogging(const std::string& process_name, const std::string& log_file, bool json);

}  // namespace hotline

#endif  // HOTLINE_LOGGING_H_
