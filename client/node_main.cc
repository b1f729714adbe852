// hotline-node: the daemon of one nation.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>

#include "console/console_server.h"
#include "hotline/certs.h"
#include "hotline/cli_options.h"
#include "hotline/control_server.h"
#include "hotline/crypto.h"
#include "hotline/deadlines.h"
#include "hotline/epoch_key.h"
#include "hotline/file_util.h"
#include "hotline/logging.h"
#include "hotline/metrics_server.h"
#include "hotline/net_util.h"
#include "node/node_daemon.h"

int main(int argc, char** argv) {
  hotline::node::NodeConfig config;
  std::string nation;
  CLI::App app{"Trilateral Hotline national node daemon", "hotline-node"};
  app.add_option("--nation", nation, "This node's nation")
      ->required()
      ->check(CLI::IsMember({"US", "JP", "KR"}, CLI::ignore_case));
  app.add_option("--certs", config.certs_dir, "Trust folder")->capture_default_str();
  app.add_option("--data", config.data_dir, "Folder for node.db and control.sock")->required();
  app.add_option("--relay", config.relays, "Relay address HOST:PORT (repeat for each relay)")->required();
  app.add_option("--control-socket", config.control_socket, "Control socket (default DATA/control.sock)");
  std::string control_group;
  hotline::AddControlGroupOption(app, &control_group);
  std::chrono::milliseconds skew = std::chrono::seconds(config.allowed_skew_seconds);
  hotline::AddDurationOption(app, "--clock-skew", &skew, std::chrono::seconds(1),
                    "Allowed clock difference for certificates and skew alerts (default 300s)");
  std::vector<std::string> deadlines;
  app.add_option("--deadline", deadlines,
                 "Deadlines for a precedence: PRECEDENCE=DELIVER/ACK, e.g. flash=5s/2m (repeatable)");
  hotline::AddDurationOption(app, "--checkpoint-interval,--checkpoint-interval-ms", &config.checkpoint_interval,
                    std::chrono::milliseconds(1),
                    "Sign an audit checkpoint and send it to the other nations this often (default 10s)");
  std::chrono::milliseconds epoch_length(config.epochs.epoch_ms),
      key_retention(config.epochs.retention_ms);
  hotline::AddDurationOption(
      app, "--epoch", &epoch_length, std::chrono::seconds(1),
      "How long senders use one epoch key of ours (forward secrecy; default 1h)");
  hotline::AddDurationOption(
      app, "--key-retention", &key_retention, std::chrono::seconds(1),
      "How long an epoch key is kept after its epoch, for what is still in transit "
      "(default 72h)");
  std::chrono::milliseconds retain_bodies(0);
  hotline::AddDurationOption(
      app, "--retain-bodies", &retain_bodies, std::chrono::seconds(1),
      "Remove a message's body this long after it was received and acknowledged, "
      "or sent and receipted (its audit digest stays; default: keep)");
  app.add_option("--rekey-after", config.rekey_after_messages,
                 "Re-handshake a link after this many Noise messages in either direction")
      ->check(CLI::Range(uint64_t{16}, hotline::limits::kRekeyAfterMessages))
      ->capture_default_str();
  hotline::AddDurationOption(
      app, "--relay-silence", &config.relay_silence, std::chrono::milliseconds(1),
      "Take a relay link down when it has been silent this long (heartbeats every 200 ms; "
      "default 750ms; longer for slow links). A FLASH a relay has not accepted within 100 ms "
      "also goes through another relay regardless");
  hotline::AddDurationOption(
      app, "--path-test-interval", &config.path_tests.interval, std::chrono::seconds(1),
      "Test every path (each relay to each other nation) this often with a signed probe "
      "(default 60s; 0 = only on `hotline links --test-now`)");
  hotline::AddDurationOption(
      app, "--path-test-deadline", &config.path_tests.deadline, std::chrono::seconds(1),
      "A path test fails when its signed reply is not back within this (default 10s)");
  std::vector<std::string> holds;
  app.add_option("--release-hold", holds,
                 "How long a message may wait for an earlier one of its stream before it is"
                 " shown ahead of the gap: PRECEDENCE=DURATION (defaults flash=0s, immediate=2s,"
                 " priority=10s, routine=30s; repeatable)");
  std::string gap_timeout;
  app.add_option("--gap-timeout", gap_timeout,
                 "Skip a stream gap (with an alert) after this long (default 30s)");
  std::string clock_offset;
  app.add_option("--clock-offset", clock_offset,
                 "Run this node's clock this far ahead of the system clock, or behind with a"
                 " leading '-' (e.g. 2h, -90s): for skewed-clock drills and tests");
  app.add_flag("--fifo", config.fifo, "Ignore precedence (for benchmark comparison only)");
  hotline::LogOptions log;
  hotline::AddLogOptions(app, &log);
  hotline::MetricsOptions metrics;
  hotline::AddMetricsOptions(app, &metrics);
  hotline::console::ConsoleServerConfig console;
  std::string console_listen;
  auto* console_group = app.add_option_group("Console", "The operator console in a browser (docs/CONSOLE.md)");
  console_group->add_option("--console", console_listen,
                            "Serve the console at HOST:PORT (loopback unless --console-allow-remote)");
  console_group->add_flag("--console-allow-remote", console.allow_remote,
                          "Allow a non-loopback --console address (put TLS in front of it)");
  console_group->add_option("--console-origin", console.extra_origins,
                            "Another origin the console is reached at, e.g. https://hotline.example "
                            "behind a TLS proxy (repeatable)");
  console_group->add_option("--console-frame-ancestor", console.frame_ancestors,
                            "An origin whose page may frame the console, e.g. the situation room "
                            "(repeatable)");
  console_group->add_flag("--console-secure-cookie", console.secure_cookie,
                          "Mark the session cookie Secure (when served over TLS)");
  if (auto exit_code = hotline::ParseDaemonCommandLine(app, "hotline-node", argc, argv)) return *exit_code;
  auto control_access = hotline::OperatorsGroup(control_group);
  if (!control_access.ok()) {
    std::cerr << "hotline-node: " << control_access.status().message() << "\n";
    return 1;
  }

  auto parsed = hotline::ParseNation(nation);
  if (!parsed.ok()) {
    std::cerr << "hotline-node: " << parsed.status().message() << "\n";
    return 2;
  }
  config.nation = *parsed;
  config.allowed_skew_seconds = std::chrono::duration_cast<std::chrono::seconds>(skew).count();
  // Peers refuse an epoch key outside these bounds (PROTOCOL.md §4).
  if (epoch_length.count() < 1000 || epoch_length.count() > hotline::kMaxEpochMs ||
      key_retention.count() < 0 || key_retention.count() > hotline::kMaxEpochKeepMs) {
    std::cerr << "hotline-node: --epoch must be 1s to 7d and --key-retention at most 30d\n";
    return 2;
  }
  // Heartbeats come every 200 ms: shorter would take healthy links down.
  if (config.relay_silence < 2 * hotline::limits::kHeartbeatInterval ||
      config.relay_silence > std::chrono::minutes(10)) {
    std::cerr << "hotline-node: --relay-silence must be 400ms to 10m\n";
    return 2;
  }
  if (config.path_tests.deadline < std::chrono::milliseconds(100) ||
      config.path_tests.deadline > std::chrono::minutes(10) ||
      config.path_tests.interval.count() < 0 ||
      (config.path_tests.interval.count() > 0 &&
       config.path_tests.interval < config.path_tests.deadline)) {
    std::cerr << "hotline-node: --path-test-deadline must be 100ms to 10m, and "
                 "--path-test-interval 0 (only on request) or at least the deadline\n";
    return 2;
  }
  config.epochs.epoch_ms = epoch_length.count();
  config.epochs.retention_ms = key_retention.count();
  config.retain_bodies = retain_bodies;
  config.epochs.lead_ms = std::min<int64_t>(config.epochs.lead_ms, config.epochs.epoch_ms / 4);
  for (const auto& spec : deadlines) {
    if (auto st = config.deadlines.Apply(spec); !st.ok()) {
      std::cerr << "hotline-node: " << st.message() << "\n";
      return 2;
    }
  }
  for (const auto& spec : holds) {
    auto eq = spec.find('=');
    auto precedence = hotline::v1::PRECEDENCE_UNSPECIFIED;
    std::string name = spec.substr(0, eq);
    for (char& ch : name) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    bool known = eq != std::string::npos &&
                 hotline::v1::Precedence_Parse("PRECEDENCE_" + name, &precedence) &&
                 precedence != hotline::v1::PRECEDENCE_UNSPECIFIED;
    auto hold = known ? hotline::ParseDuration(spec.substr(eq + 1))
                      : hotline::StatusOr<std::chrono::milliseconds>(hotline::InvalidArgumentError(
                            "expected PRECEDENCE=DURATION, e.g. immediate=2s"));
    if (!hold.ok()) {
      std::cerr << "hotline-node: --release-hold " << spec << ": " << hold.status().message()
                << "\n";
      return 2;
    }
    config.release_policy.hold[precedence] = *hold;
  }
  if (!gap_timeout.empty()) {
    auto timeout = hotline::ParseDuration(gap_timeout);
    if (!timeout.ok()) {
      std::cerr << "hotline-node: --gap-timeout: " << timeout.status().message() << "\n";
      return 2;
    }
    config.release_policy.gap_timeout = *timeout;
  }
  if (!clock_offset.empty()) {
    bool behind = clock_offset[0] == '-';
    auto offset = hotline::ParseDuration(behind ? clock_offset.substr(1) : clock_offset);
    if (!offset.ok()) {
      std::cerr << "hotline-node: --clock-offset: " << offset.status().message() << "\n";
      return 2;
    }
    int64_t us = (behind ? -offset->count() : offset->count()) * 1000;
    config.now_us = [us] { return hotline::NowUnixUs() + us; };
  }
  if (!hotline::InitCrypto().ok()) return 1;
  hotline::InitLogging("node-" + hotline::NationCode(config.nation), log);

  hotline::asio::io_context io(1);
  hotline::node::NodeDaemon daemon(io, config);
  if (hotline::Status st = daemon.Start(); !st.ok()) {
    spdlog::critical("cannot start: {}", st.ToString());
    return 1;
  }
  hotline::ControlServer control(io, daemon, daemon.config().control_socket, *control_access);
  if (hotline::Status st = control.Start(); !st.ok()) {
    spdlog::critical("cannot start the control socket: {}", st.ToString());
    daemon.Stop("control socket failed");
    return 1;
  }
  hotline::metrics::Registry registry;
  hotline::metrics::MetricsServer metrics_server(io, registry);
  if (!metrics.listen.empty()) {
    daemon.InstallMetrics(registry);
    auto bound = metrics_server.StartAndPublish(metrics.listen, metrics.allow_remote,
                                                config.data_dir / "metrics.addr");
    if (!bound.ok()) {
      spdlog::critical("cannot serve metrics: {}", bound.status().ToString());
      control.Stop();
      daemon.Stop("metrics failed");
      return 1;
    }
  }
  std::unique_ptr<hotline::console::ConsoleServer> console_server;
  if (!console_listen.empty()) {
    console.listen = console_listen;
    console.data_dir = config.data_dir;
    console_server = std::make_unique<hotline::console::ConsoleServer>(io, daemon, console);
    if (hotline::Status st = console_server->Start(); !st.ok()) {
      spdlog::critical("cannot start the console: {}", st.ToString());
      control.Stop();
      daemon.Stop("console failed");
      return 1;
    }
  }
  return hotline::RunUntilSignalled(io, "node", [&](const std::string& why) {
    if (console_server) console_server->Stop();
    metrics_server.Stop();
    control.Stop();
    daemon.Stop(why);
  });
}
