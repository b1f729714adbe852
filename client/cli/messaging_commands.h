// `hotline send | inbox | ack | status | watch | wait`: thin clients of the
// local node's control socket.
//
// Thread safety: single-threaded CLI. Error contract: a clear message on
// stderr and a non-zero exit code (2 for bad arguments, 1 otherwise).
#ifndef HOTLINE_CLIENT_CLI_MESSAGING_COMMANDS_H_
#define HOTLINE_CLIENT_CLI_MESSAGING_COMMANDS_H_

#include <CLI/CLI.hpp>

namespace hotline::cli {

void AddMessagingCommands(CLI::App& app, int& exit_code);
// "US", "JP,KR", "all": checked while parsing, so a bad name is exit 2.
CLI::Validator NationList();

}  // namespace hotline::cli

#endif  // HOTLINE_CLIENT_CLI_MESSAGING_COMMANDS_H_
