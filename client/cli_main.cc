// hotline: the operator and auditor command line.
#include <CLI/CLI.hpp>
#include <iostream>
#include <string_view>

#include "cli/audit_commands.h"
#include "cli/certs_commands.h"
#include "cli/exercise_command.h"
#include "cli/exit_codes.h"
#include "cli/messaging_commands.h"
#include "cli/operators_commands.h"
#include "cli/ops_commands.h"
#include "cli/report_command.h"
#include "cli/track_commands.h"
#include "hotline/crypto.h"

int main(int argc, char** argv) {
  if (!hotline::InitCrypto().ok()) {
    std::cerr << "hotline: libsodium failed to initialise\n";
    return 1;
  }
  CLI::App app{"Trilateral Hotline: operator and auditor command line", "hotline"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("hotline ") + HOTLINE_VERSION);
  app.footer(hotline::cli::kExitCodesHelp);
  // Before 0.3 these were global options, given before the command.
  if (argc > 1 && (std::string_view(argv[1]) == "--node" || std::string_view(argv[1]) == "--timeout")) {
    std::cerr << "hotline: " << argv[1]
              << " goes after the command it applies to, e.g. `hotline status --node DIR`\n";
    return hotline::cli::kExitUsage;
  }
  int exit_code = 0;
  hotline::cli::AddCertsCommands(app, exit_code);
  hotline::cli::AddMessagingCommands(app, exit_code);
  hotline::cli::AddAuditCommands(app, exit_code);
  hotline::cli::AddOperatorsCommands(app, exit_code);
  hotline::cli::AddTrackCommands(app, exit_code);
  hotline::cli::AddReportCommand(app, exit_code);
  hotline::cli::AddExerciseCommand(app, exit_code);
  hotline::cli::AddOpsCommands(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (app.get_subcommands().empty() && argc > 1 && argv[1][0] != '-') {
      std::cerr << "hotline: unknown command '" << argv[1] << "' (hotline --help lists them)\n";
      return hotline::cli::kExitUsage;
    }
    int printed = app.exit(e);  // prints help, the version, or the error
    return printed == 0 ? 0 : hotline::cli::kExitUsage;
  }
  return exit_code;
}
