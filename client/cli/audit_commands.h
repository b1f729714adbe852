// `hotline history` (and, later, `hotline audit ...`): offline checks over
// the stores of nodes and relays. Reads SQLite files only; needs no running
// process.
//
// Thread safety: single-threaded CLI. Error contract: exit 1 with the
// problems listed when a check fails, 2 for bad arguments.
#ifndef HOTLINE_CLIENT_CLI_AUDIT_COMMANDS_H_
#define HOTLINE_CLIENT_CLI_AUDIT_COMMANDS_H_

#include <CLI/CLI.hpp>

namespace hotline::cli {

void AddAuditCommands(CLI::App& app, int& exit_code);

}  // namespace hotline::cli

#endif  // HOTLINE_CLIENT_CLI_AUDIT_COMMANDS_H_
