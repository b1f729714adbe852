// `hotline track publish | watch`: live missile-track feeds (PROTOCOL.md
// §11) through the local node's control socket.
//
// Thread safety: single-threaded CLI. Error contract: a clear message on
// stderr and a non-zero exit code: 2 for bad arguments or a line that is
// no TrackUpdate, 1 when the node refuses an update.
#ifndef HOTLINE_CLIENT_CLI_TRACK_COMMANDS_H_
#define HOTLINE_CLIENT_CLI_TRACK_COMMANDS_H_

#include <CLI/CLI.hpp>

namespace hotline::cli {

void AddTrackCommands(CLI::App& app, int& exit_code);

}  // namespace hotline::cli

#endif  // HOTLINE_CLIENT_CLI_TRACK_COMMANDS_H_
