// `hotline certs init-nation | root ... | request | sign | assemble`: the
// trust ceremony across three nations (docs/TRUST.md), each step a command
// on the machine that holds what it needs.
#ifndef HOTLINE_CLIENT_CLI_CEREMONY_COMMANDS_H_
#define HOTLINE_CLIENT_CLI_CEREMONY_COMMANDS_H_

#include <CLI/CLI.hpp>

namespace hotline::cli {

// Adds the ceremony subcommands to `certs`.
void AddCeremonyCommands(CLI::App& certs, int& exit_code);

}  // namespace hotline::cli

#endif  // HOTLINE_CLIENT_CLI_CEREMONY_COMMANDS_H_
