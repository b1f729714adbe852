// What operators check before a crisis: `hotline links`, the matrix of
// path tests from the local node through every relay to every other
// nation (PROTOCOL.md §13), through the node's control socket; and
// `hotline relay status`, a relay's links, queues and refusals, through
// the relay's control socket.
//
// Thread safety: single-threaded CLI. Error contract: a clear message on
// stderr and a non-zero exit code (README "Exit codes"); `links` exits 1
// when a path's last test failed, so scripts and monitors can use it.
#ifndef HOTLINE_CLIENT_CLI_OPS_COMMANDS_H_
#define HOTLINE_CLIENT_CLI_OPS_COMMANDS_H_

#include <CLI/CLI.hpp>

#include "hotline/v1/control.pb.h"

namespace hotline::cli {

void AddOpsCommands(CLI::App& app, int& exit_code);

// The path matrix as `hotline links` prints it: one row per relay, one
// column per nation, then every failed path's last error.
std::string FormatLinks(const v1::LinksResponse& links, int64_t now_ms);
std::string FormatRelayStatus(const v1::RelayStatusResponse& status);

}  // namespace hotline::cli

#endif  // HOTLINE_CLIENT_CLI_OPS_COMMANDS_H_
