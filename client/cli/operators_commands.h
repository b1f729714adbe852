// `hotline operators add | list | remove`: a node's console accounts
// (DATA/operators.pb), edited in the node's data folder; a running node
// reads the file at each login.
#ifndef HOTLINE_CLIENT_CLI_OPERATORS_COMMANDS_H_
#define HOTLINE_CLIENT_CLI_OPERATORS_COMMANDS_H_

#include <CLI/CLI.hpp>

namespace hotline::cli {

void AddOperatorsCommands(CLI::App& app, int& exit_code);

}  // namespace hotline::cli

#endif  // HOTLINE_CLIENT_CLI_OPERATORS_COMMANDS_H_
