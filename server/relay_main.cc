// hotline-relay: the store-and-forward relay daemon.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "hotline/cli_options.h"
#include "hotline/crypto.h"
#include "hotline/file_util.h"
#include "hotline/logging.h"
#include "hotline/metrics_server.h"
#include "relay_server.h"

int main(int argc, char** argv) {
  hotline::relay::RelayConfig config;
  CLI::App app{"Trilateral Hotline relay: carries sealed envelopes between national nodes",
               "hotline-relay"};
  app.add_option("--certs", config.certs_dir, "Trust folder")->capture_default_str();
  app.add_option("--name", config.subject, "This relay's certificate subject")->capture_default_str();
  app.add_option("--listen", config.listen, "Address to listen on (HOST:PORT; port 0 = any)")
      ->capture_default_str();
  app.add_option("--data", config.data_dir, "Folder for relay.db (queue and audit log)")
      ->capture_default_str();
  app.add_option("--ready-file", config.ready_file, "Write the bound HOST:PORT here once listening");
  app.add_option("--control-socket", config.control_socket,
                 "Control socket for `hotline relay status` (default DATA/control.sock)");
  std::string control_group;
  hotline::AddControlGroupOption(app, &control_group);
  std::chrono::milliseconds skew = std::chrono::seconds(config.allowed_skew_seconds);
  hotline::AddDurationOption(app, "--clock-skew", &skew, std::chrono::seconds(1),
                    "Allowed clock difference for certificates (default 300s)");
  hotline::AddDurationOption(app, "--handshake-timeout,--handshake-timeout-ms", &config.handshake_timeout,
                    std::chrono::milliseconds(1), "Close connections not authenticated by then (default 5s)");
  app.add_option("--rekey-after", config.rekey_after_messages,
                 "Re-handshake a link after this many Noise messages in either direction")
      ->check(CLI::Range(uint64_t{16}, hotline::limits::kRekeyAfterMessages))
      ->capture_default_str();
  hotline::AddDurationOption(
      app, "--retention", &config.retention, std::chrono::seconds(1),
      "Remove an envelope still undelivered this long after it was stored, and tell its "
      "sender (default 72h, as the nodes' --key-retention)");
  app.add_flag("--fifo", config.fifo, "Ignore precedence (for benchmark comparison only)");
  hotline::LogOptions log;
  hotline::AddLogOptions(app, &log);
  hotline::MetricsOptions metrics;
  hotline::AddMetricsOptions(app, &metrics);
  if (auto exit_code = hotline::ParseDaemonCommandLine(app, "hotline-relay", argc, argv)) return *exit_code;
  auto control_access = hotline::OperatorsGroup(control_group);
  if (!control_access.ok()) {
    std::cerr << "hotline-relay: " << control_access.status().message() << "\n";
    return 1;
  }

  if (config.retention <= std::chrono::milliseconds(0) ||
      config.retention > std::chrono::hours(24 * 30)) {
    std::cerr << "hotline-relay: --retention must be 1s to 30d\n";
    return 2;
  }
  config.allowed_skew_seconds = std::chrono::duration_cast<std::chrono::seconds>(skew).count();
  if (!hotline::InitCrypto().ok()) return 1;
  hotline::InitLogging(config.subject, log);
  hotline::asio::io_context io(1);
  hotline::relay::RelayServer server(io, config);
  if (hotline::Status st = server.Start(); !st.ok()) {
    spdlog::critical("cannot start: {}", st.ToString());
    return 1;
  }
  // `hotline relay status --relay DATA` (docs/OPERATIONS.md "Relay status").
  hotline::ControlServer control(
      io, server,
      config.control_socket.empty() ? config.data_dir / "control.sock" : config.control_socket,
      *control_access);
  if (hotline::Status st = control.Start(); !st.ok()) {
    spdlog::critical("cannot open the control socket: {}", st.ToString());
    server.Stop("control socket failed");
    return 1;
  }
  hotline::metrics::Registry registry;
  hotline::metrics::MetricsServer metrics_server(io, registry);
  if (!metrics.listen.empty()) {
    server.InstallMetrics(registry);
    auto bound = metrics_server.StartAndPublish(metrics.listen, metrics.allow_remote,
                                                config.data_dir / "metrics.addr");
    if (!bound.ok()) {
      spdlog::critical("cannot serve metrics: {}", bound.status().ToString());
      server.Stop("metrics failed");
      return 1;
    }
  }
  return hotline::RunUntilSignalled(io, "relay", [&](const std::string& why) {
    control.Stop();
    metrics_server.Stop();
    server.Stop(why);
  });
}
