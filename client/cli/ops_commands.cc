#include "cli/ops_commands.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>

#include "cli/control_client.h"
#include "cli/exit_codes.h"
#include "cli/format.h"
#include "hotline/certs.h"
#include "hotline/cli_options.h"
#include "hotline/net_util.h"
#include "hotline/text.h"

namespace hotline::cli {
namespace {

struct LinksOptions {
  std::string node;
  bool test_now = false, as_json = false;
  std::chrono::milliseconds timeout{30'000};
  bool timeout_given = false;
};

std::string Ago(int64_t now_ms, int64_t at_ms) {
  if (at_ms <= 0) return "never";
  int64_t s = std::max<int64_t>(0, (now_ms - at_ms) / 1000);
  if (s < 120) return std::to_string(s) + "s ago";
  if (s < 7200) return std::to_string(s / 60) + "m ago";
  return std::to_string(s / 3600) + "h ago";
}

std::string Cell(const v1::PathStatus& p, int64_t now_ms) {
  if (p.state() == "ok") {
    return "ok " + std::to_string(p.rtt_ms()) + " ms (" + Ago(now_ms, p.last_success_ms()) + ")";
  }
  if (p.state() == "failed") {
    return "FAILED x" + std::to_string(p.consecutive_failures()) + " (last ok " +
           Ago(now_ms, p.last_success_ms()) + ")";
  }
  return p.outstanding() ? "testing..." : "untested";
}

int RunLinks(const LinksOptions& o) {
  auto path = NodeSocketPath(o.node);
  if (path.empty()) {
    std::cerr << "hotline: which node? pass --node DIR (or set HOTLINE_NODE)\n";
    return kExitUsage;
  }
  auto client = ControlClient::Connect(path);
  if (!client.ok()) return Fail(client.status());
  v1::ControlRequest req;
  req.set_operator_name(CliOperatorName());
  req.mutable_links();
  std::chrono::milliseconds timeout = o.timeout;
  if (o.test_now && !o.timeout_given) {
    // The node answers a test one deadline after it asked at the latest;
    // the deadline is the node's (up to 10 min), so ask it first.
    auto current = (*client)->Call(req, o.timeout);
    if (!current.ok()) return Fail(current.status());
    timeout = std::max(timeout, std::chrono::milliseconds(current->links().deadline_ms()) +
                                    std::chrono::seconds(10));
  }
  req.mutable_links()->set_test_now(o.test_now);
  auto r = (*client)->Call(req, timeout);
  if (!r.ok()) return Fail(r.status());
  const v1::LinksResponse& links = r->links();
  if (o.as_json) {
    PrintJson(links);
  } else {
    std::cout << FormatLinks(links, NowUnixMs());
  }
  bool failed = std::any_of(links.paths().begin(), links.paths().end(),
                            [](const v1::PathStatus& p) { return p.state() == "failed"; });
  return failed ? kExitFailed : kExitOk;
}

struct RelayOptions {
  std::string relay;
  bool as_json = false;
  std::chrono::milliseconds timeout{30'000};
};

int RunRelayStatus(const RelayOptions& o) {
  std::string where = o.relay;
  if (where.empty()) {
    if (const char* env = std::getenv("HOTLINE_RELAY")) where = env;
  }
  if (where.empty()) {
    std::cerr << "hotline: which relay? pass --relay DATA (its data folder or control socket; "
                 "or set HOTLINE_RELAY)\n";
    return kExitUsage;
  }
  std::filesystem::path socket = where;
  if (std::filesystem::is_directory(socket)) socket /= "control.sock";
  auto client = ControlClient::Connect(socket);
  if (!client.ok()) return Fail(client.status());
  v1::ControlRequest req;
  req.set_operator_name(CliOperatorName());
  req.mutable_relay_status();
  auto r = (*client)->Call(req, o.timeout);
  if (!r.ok()) return Fail(r.status());
  if (o.as_json) {
    PrintJson(r->relay_status());
  } else {
    std::cout << FormatRelayStatus(r->relay_status());
  }
  return kExitOk;
}

}  // namespace

std::string FormatRelayStatus(const v1::RelayStatusResponse& s) {
  std::ostringstream out;
  out << "relay " << Printable(s.relay(), {.max_code_points = 64}) << ": running since "
      << FormatTimeMs(s.started_at_ms()) << ", " << s.connections() << " connection"
      << (s.connections() == 1 ? "" : "s") << " open\n\n";
  out << std::left << "  " << std::setw(8) << "nation" << std::setw(48) << "link" << std::right
      << std::setw(7) << "FLASH" << std::setw(11) << "IMMEDIATE" << std::setw(10) << "PRIORITY"
      << std::setw(9) << "ROUTINE" << std::setw(11) << "in flight"
      << "\n";
  for (const auto& n : s.nodes()) {
    std::string link = n.connected()
                           ? "UP from " + Printable(n.remote_address(), {.max_code_points = 40}) +
                                 " since " + FormatTimeMs(n.since_ms()).substr(11)
                           : "not linked";
    out << "  " << std::left << std::setw(8) << NationCode(n.nation()) << std::setw(48) << link
        << std::right;
    std::map<int, uint64_t> queued;
    for (const auto& q : n.queued()) queued[q.precedence()] = q.items();
    out << std::setw(7) << queued[v1::PRECEDENCE_FLASH] << std::setw(11)
        << queued[v1::PRECEDENCE_IMMEDIATE] << std::setw(10) << queued[v1::PRECEDENCE_PRIORITY]
        << std::setw(9) << queued[v1::PRECEDENCE_ROUTINE] << std::setw(11) << n.in_flight() << "\n";
  }
  out << "  (queued: envelopes and receipts stored for that nation, not yet taken)\n";
  if (s.recent_refusals().empty()) {
    out << "\nno inputs refused since the relay started\n";
  } else {
    out << "\nrecent refusals, newest first:\n";
    for (const auto& r : s.recent_refusals()) {
      out << "  " << FormatTimeMs(r.at_ms()) << " " << r.event() << " "
          << Printable(r.peer(), {.max_code_points = 64}) << ": "
          << Printable(r.reason(), {.max_code_points = 200}) << "\n";
    }
  }
  return out.str();
}

std::string FormatLinks(const v1::LinksResponse& links, int64_t now_ms) {
  std::ostringstream out;
  out << "Path tests from " << NationCode(links.nation()) << ": ";
  if (links.interval_ms() > 0) {
    out << "every " << links.interval_ms() / 1000 << " s";
  } else {
    out << "only on request (--test-now)";
  }
  out << ", each expecting the signed reply within "
      << static_cast<double>(links.deadline_ms()) / 1000.0 << " s\n";
  std::vector<v1::Nation> nations;
  std::map<uint32_t, std::string> relays;
  std::map<std::pair<uint32_t, int>, const v1::PathStatus*> cells;
  for (const auto& p : links.paths()) {
    if (std::find(nations.begin(), nations.end(), p.nation()) == nations.end()) {
      nations.push_back(p.nation());
    }
    relays[p.relay_index()] = Printable(p.relay(), {.max_code_points = 40});
    cells[{p.relay_index(), p.nation()}] = &p;
  }
  size_t relay_width = 5;
  for (const auto& [i, name] : relays) relay_width = std::max(relay_width, name.size());
  constexpr int kCell = 34;
  out << "\n  " << std::left << std::setw(static_cast<int>(relay_width) + 2) << "relay";
  for (v1::Nation n : nations) out << std::setw(kCell) << ("to " + NationCode(n));
  out << "\n";
  for (const auto& [i, name] : relays) {
    out << "  " << std::setw(static_cast<int>(relay_width) + 2) << name;
    for (v1::Nation n : nations) {
      auto it = cells.find({i, n});
      out << std::setw(kCell) << (it == cells.end() ? "-" : Cell(*it->second, now_ms));
    }
    out << "\n";
  }
  bool any = false;
  for (const auto& p : links.paths()) {
    if (p.state() != "failed") continue;
    if (!any) out << "\n";
    any = true;
    out << "  FAILED " << Printable(p.path(), {.max_code_points = 80}) << " at "
        << FormatTimeMs(p.last_failure_ms()) << ": "
        << Printable(p.last_error(), {.max_code_points = 200}) << " (" << p.failures() << " of "
        << p.failures() + p.successes() << " tests failed)\n";
  }
  out << "\n  answered (probes from each nation through each relay, last):";
  for (const auto& p : links.paths()) {
    out << "  " << NationCode(p.nation()) << " via "
        << Printable(p.relay(), {.max_code_points = 40}) << " " << Ago(now_ms, p.last_answered_ms())
        << ";";
  }
  out << "\n";
  return out.str();
}

void AddOpsCommands(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<LinksOptions>();
  CLI::App* links = app.add_subcommand(
      "links", "Path tests: every relay to every other nation, last success and round trip");
  links->add_option("--node", o->node,
                    "Node data folder or control socket (default $HOTLINE_NODE)");
  links->add_flag("--test-now", o->test_now,
                  "Test every path now and wait for the results (at most the path test deadline)");
  links->add_flag("--json", o->as_json, "Print the answer as proto3 JSON");
  AddDurationOption(*links, "--timeout", &o->timeout, std::chrono::seconds(1),
                    "How long to wait for the node (default 30s; with --test-now, the node's "
                    "path test deadline + 10s if longer)");
  links->callback([o, links, &exit_code] {
    o->timeout_given = links->get_option("--timeout")->count() > 0;
    exit_code = RunLinks(*o);
  });

  auto ro = std::make_shared<RelayOptions>();
  CLI::App* relay = app.add_subcommand("relay", "A relay's own state, through its control socket");
  relay->require_subcommand(1);
  CLI::App* status = relay->add_subcommand(
      "status", "Nodes linked, what waits for each by precedence, inputs refused lately");
  status->add_option("--relay", ro->relay,
                     "The relay's data folder or control socket (default $HOTLINE_RELAY)");
  status->add_flag("--json", ro->as_json, "Print the answer as proto3 JSON");
  AddDurationOption(*status, "--timeout", &ro->timeout, std::chrono::seconds(1),
                    "How long to wait for the relay (default 30s)");
  status->callback([ro, &exit_code] { exit_code = RunRelayStatus(*ro); });
}

}  // namespace hotline::cli
