#include "cli/exercise_command.h"

#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <thread>

#include "cli/control_client.h"
#include "cli/exercise_cluster.h"
#include "cli/exercise_player.h"
#include "cli/exit_codes.h"
#include "hotline/exercise.h"
#include "hotline/file_util.h"
#include "hotline/names.h"
#include "hotline/net_util.h"
#include "hotline/text.h"

namespace hotline::cli {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

std::atomic<bool> g_interrupted{false};

struct ExerciseOptions {
  std::string scenario, run, bin, live;
  double speed = 1;
  int console_port = 0;
  bool hold = false;
};

std::string PercentEncode(const std::string& text) {
  std::string out;
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += ch;
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

// A one-time sign-in link per console, and the situation room (served by
// the US console) showing the three side by side.
void PrintConsoleLinks(ExerciseCluster& cluster, int port) {
  std::string room = "http://127.0.0.1:" + std::to_string(port) + "/room.html";
  char sep = '?';
  for (v1::Nation n : {v1::NATION_US, v1::NATION_JP, v1::NATION_KR}) {
    auto client = ControlClient::Connect(NodeSocketPath(cluster.NodeDir(n).string()));
    if (!client.ok()) continue;
    v1::ControlRequest req;
    req.mutable_console_link()->set_operator_name("duty-officer");
    auto r = (*client)->Call(req);
    if (!r.ok()) continue;
    std::cout << NationCode(n) << " console: " << r->console_link().url() << "\n";
    room += sep + std::string("c=") + PercentEncode(r->console_link().url());
    sep = '&';
  }
  std::cout << "situation room (US, JP and KR side by side): " << room << "\n"
            << "each link signs in once, as duty-officer; more: hotline console link --node "
            << cluster.NodeDir(v1::NATION_US).string() << std::endl;
}

int RunExercise(const ExerciseOptions& o) {
  auto text = ReadFileBytes(o.scenario, exercise::kMaxScenarioBytes);
  if (!text.ok()) return Fail(text.status());
  auto scenario = exercise::ParseScenario(ToString(*text));
  if (!scenario.ok()) {
    return Fail(InvalidArgumentError(o.scenario + ": " + scenario.status().message()));
  }
  if (!(o.speed >= 0.01 && o.speed <= 1000)) {
    return Fail(InvalidArgumentError("--speed must be 0.01..1000"));
  }
  if (!o.live.empty()) {
    auto live = exercise::ParseNations(o.live, v1::NATION_UNSPECIFIED);
    if (!live.ok()) return Fail(InvalidArgumentError("--live: " + live.status().message()));
  }
  ExerciseOptions options = o;
  if (options.run.empty()) options.run = "run/" + scenario->name();
  std::cout << "== " << Printable(scenario->title().empty() ? scenario->name() : scenario->title())
            << "\n";
  if (!scenario->description().empty()) {
    std::cout << Printable(scenario->description(), {.max_code_points = 2000}) << "\n";
  }
  std::cout << "starting " << (scenario->relays() ? scenario->relays() : 2)
            << " relays and the US, JP and KR nodes in " << options.run << std::endl;
  // Before anything starts, so that Ctrl-C always stops what did. Without
  // SA_RESTART: it also ends a wait for Enter.
  struct sigaction on_signal {};
  on_signal.sa_handler = [](int) { g_interrupted = true; };
  sigemptyset(&on_signal.sa_mask);
  sigaction(SIGINT, &on_signal, nullptr);
  sigaction(SIGTERM, &on_signal, nullptr);
  ExerciseClusterOptions co{options.run, options.bin.empty() ? OwnBinDir() : fs::path(options.bin),
                            static_cast<int>(scenario->relays() ? scenario->relays() : 2),
                            options.console_port, &g_interrupted};
  auto cluster = ExerciseCluster::Start(co);
  if (!cluster.ok()) {
    return Fail(g_interrupted ? UnavailableError("interrupted while starting; everything started "
                                                 "was stopped")
                              : cluster.status());
  }
  if (options.console_port > 0) {
    PrintConsoleLinks(**cluster, options.console_port);
    if (::isatty(STDIN_FILENO)) {  // time to open the consoles before T+0
      std::cout << "press Enter to start the exercise" << std::endl;
      std::string line;
      std::getline(std::cin, line);
    }
  }
  PlayerOptions play{o.scenario, options.run, options.speed, options.live, &g_interrupted};
  int code = PlayExercise(play, *scenario, **cluster);
  if (options.hold && !g_interrupted) {
    std::cout << "the exercise is over; nodes and consoles keep running (Ctrl-C stops them)"
              << std::endl;
    while (!g_interrupted) std::this_thread::sleep_for(milliseconds(200));
  }
  (*cluster)->StopAll();
  std::cout << "stopped every node and relay; report: hotline report " << options.run << "\n";
  return g_interrupted && !options.hold ? kExitFailed : code;
}

}  // namespace

void AddExerciseCommand(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<ExerciseOptions>();
  CLI::App* exercise =
      app.add_subcommand("exercise", "Table-top exercises: play a scenario against live nodes");
  exercise->require_subcommand(1);
  CLI::App* run = exercise->add_subcommand(
      "run",
      "Start relays and the US, JP and KR nodes, play the scenario's injects (all traffic marked "
      "EXERCISE), follow its expected responses, stop everything and leave exercise.json for "
      "`hotline report`");
  run->add_option("scenario", o->scenario, "Scenario file (proto3 JSON; see exercises/)")
      ->required();
  run->add_option("--run-dir", o->run, "Run folder (default run/<scenario name>)");
  run->add_option("--speed", o->speed,
                  "Play N times faster: every time and deadline of the scenario divided by N")
      ->capture_default_str();
  run->add_option("--live", o->live,
                  "Nations whose scripted answers and acknowledgments are left to people at "
                  "their consoles (US,JP,...)");
  run->add_option("--console", o->console_port,
                  "Operator consoles on this port (US), +1 (JP), +2 (KR)");
  run->add_flag("--hold", o->hold, "Keep nodes and consoles running after the end until Ctrl-C");
  run->add_option("--bin", o->bin,
                  "Folder of hotline-node and hotline-relay (default: beside "
                  "this program, or ../server)");
  run->callback([o, &exit_code] { exit_code = RunExercise(*o); });
}

}  // namespace hotline::cli
