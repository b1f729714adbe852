// `hotline certs ...`: create and inspect the trust folder.
//
// Thread safety: single-threaded CLI. Error contract: each command prints a
// clear message to stderr and returns a non-zero exit code on failure.
#ifndef HOTLINE_CLIENT_CLI_CERTS_COMMANDS_H_
#define HOTLINE_CLIENT_CLI_CERTS_COMMANDS_H_

#include <CLI/CLI.hpp>

namespace hotline::cli {

// Registers the `certs` subcommand tree on `app`; `exit_code` receives the
// result of whichever command runs.
void AddCertsCommands(CLI::App& app, int& exit_code);

}  // namespace hotline::cli

#endif  // HOTLINE_CLIENT_CLI_CERTS_COMMANDS_H_
