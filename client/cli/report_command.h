// `hotline report RUN_DIR`: the after-action report of a run, from its
// audit logs alone, after verifying them (PROTOCOL.md §8).
//
// Thread safety: single-threaded CLI. Error contract: exit 1 when a log is
// not intact (unless --allow-unverified) or a file cannot be written, 2 for
// bad arguments.
#ifndef HOTLINE_CLIENT_CLI_REPORT_COMMAND_H_
#define HOTLINE_CLIENT_CLI_REPORT_COMMAND_H_

#include <CLI/CLI.hpp>

namespace hotline::cli {

void AddReportCommand(CLI::App& app, int& exit_code);

}  // namespace hotline::cli

#endif  // HOTLINE_CLIENT_CLI_REPORT_COMMAND_H_
