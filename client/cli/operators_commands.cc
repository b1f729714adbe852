#include "cli/operators_commands.h"

#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <memory>

#include "cli/exit_codes.h"
#include "cli/format.h"
#include "console/operator_accounts.h"
#include "hotline/net_util.h"

namespace hotline::cli {
namespace {

struct OperatorsOptions {
  std::string node, name;
};

std::filesystem::path DataDir(const OperatorsOptions& o) {
  std::string node = o.node;
  if (node.empty()) {
    const char* env = std::getenv("HOTLINE_NODE");
    if (env) node = env;
  }
  return node;
}

// One line from stdin; with a terminal, asked for twice without echo.
StatusOr<std::string> ReadPassword() {
  bool tty = ::isatty(STDIN_FILENO) != 0;
  auto read_line = [&](const char* prompt) -> std::string {
    termios old{};
    if (tty) {
      std::cerr << prompt << std::flush;
      ::tcgetattr(STDIN_FILENO, &old);
      termios quiet = old;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    std::string line;
    std::getline(std::cin, line);
    if (tty) {
      ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
      std::cerr << "\n";
    }
    return line;
  };
  std::string password = read_line("password: ");
  if (tty && read_line("again: ") != password) {
    return InvalidArgumentError("the passwords differ");
  }
  return password;
}

}  // namespace

void AddOperatorsCommands(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<OperatorsOptions>();
  CLI::App* operators = app.add_subcommand(
      "operators", "Console accounts of a node (DATA/operators.pb; Argon2id password hashes)");
  operators->require_subcommand(1);
  auto node_option = [o](CLI::App* command) {
    command->add_option("--node", o->node, "Node data folder (default $HOTLINE_NODE)");
  };

  CLI::App* add = operators->add_subcommand(
      "add", "Add an operator, or set their password (read from stdin; asked twice on a terminal)");
  add->add_option("name", o->name, "1-32 of A-Z a-z 0-9 . _ -")->required();
  node_option(add);
  add->callback([o, &exit_code] {
    if (DataDir(*o).empty()) {
      exit_code = Fail(InvalidArgumentError("which node? pass --node DIR (or set HOTLINE_NODE)"));
      return;
    }
    auto password = ReadPassword();
    if (!password.ok()) {
      exit_code = Fail(password.status());
      return;
    }
    Status st = console::AddOperator(DataDir(*o), o->name, *password, NowUnixMs());
    exit_code = Fail(st);
    if (st.ok()) std::cout << "operator " << o->name << " can sign in to this node's console\n";
  });

  CLI::App* list = operators->add_subcommand("list", "List the operators");
  node_option(list);
  list->callback([o, &exit_code] {
    auto accounts = console::LoadOperators(DataDir(*o));
    if (!accounts.ok()) {
      exit_code = Fail(accounts.status());
      return;
    }
    for (const auto& a : accounts->operators()) {
      std::cout << a.name() << "  added " << FormatTimeMs(a.added_at_ms()) << "\n";
    }
    exit_code = 0;
  });

  CLI::App* remove = operators->add_subcommand("remove", "Remove an operator");
  remove->add_option("name", o->name)->required();
  node_option(remove);
  remove->callback([o, &exit_code] {
    exit_code = Fail(console::RemoveOperator(DataDir(*o), o->name));
  });
}

}  // namespace hotline::cli
