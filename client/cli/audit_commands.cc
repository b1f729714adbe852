#include "cli/audit_commands.h"

#include <iostream>
#include <memory>

#include "hotline/history.h"

namespace hotline::cli {
namespace {

struct AuditOptions {
  std::vector<std::string> stores;
};

// Expands a folder into the stores below it (node.db, relay.db).
std::vector<std::filesystem::path> ExpandStores(const std::vector<std::string>& args) {
  std::vector<std::filesystem::path> out;
  for (const auto& a : args) {
    std::filesystem::path p = a;
    if (std::filesystem::is_directory(p)) {
      for (const auto& e : std::filesystem::recursive_directory_iterator(p)) {
        auto name = e.path().filename().string();
        if (e.is_regular_file() && (name == "node.db" || name == "relay.db")) out.push_back(e.path());
      }
    } else {
      out.push_back(p);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

int RunHistory(const AuditOptions& o) {
  HistoryChecker checker;
  auto stores = ExpandStores(o.stores);
  if (stores.empty()) {
    std::cerr << "hotline: no node.db or relay.db found in the given paths\n";
    return 2;
  }
  for (const auto& path : stores) {
    auto records = ReadAuditRecords(path);
    if (!records.ok()) {
      std::cerr << "hotline: " << records.status().message() << "\n";
      return 1;
    }
    checker.Add(*records);
    std::cout << "read " << records->size() << " records from " << path.string() << "\n";
  }
  HistoryReport report = checker.Check();
  for (const auto& p : report.problems) std::cout << "  " << p << "\n";
  std::cout << (report.clean() ? "CLEAN: " : "PROBLEMS: ") << report.Summary() << "\n";
  return report.clean() ? 0 : 1;
}

}  // namespace

void AddAuditCommands(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<AuditOptions>();
  CLI::App* history = app.add_subcommand(
      "history", "Check a run: lost, duplicated, unreceipted, out-of-order messages (from audit logs)");
  history->add_option("stores", o->stores, "node.db / relay.db files, or folders holding them")
      ->required();
  history->callback([o, &exit_code] { exit_code = RunHistory(*o); });
}

}  // namespace hotline::cli
