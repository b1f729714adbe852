// `hotline exercise run SCENARIO`: plays a table-top exercise (PROTOCOL.md
// §12) against live relays and nodes it starts itself, and leaves
// exercise.json in the run folder for `hotline report`.
//
// Thread safety: single-threaded CLI. Error contract: a clear message on
// stderr; exit 2 for a bad scenario or arguments, 1 if it cannot run.
#ifndef HOTLINE_CLIENT_CLI_EXERCISE_COMMAND_H_
#define HOTLINE_CLIENT_CLI_EXERCISE_COMMAND_H_

#include <CLI/CLI.hpp>

namespace hotline::cli {

void AddExerciseCommand(CLI::App& app, int& exit_code);

}  // namespace hotline::cli

#endif  // HOTLINE_CLIENT_CLI_EXERCISE_COMMAND_H_
