#include "cli/messaging_commands.h"

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <thread>

#include "cli/control_client.h"
#include "cli/format.h"
#include "hotline/certs.h"
#include "hotline/file_util.h"
#include "hotline/limits.h"

namespace hotline::cli {
namespace {

struct Options {
  std::string node;
  std::vector<std::string> to;
  std::string channel = "general", precedence, text, file, id, reply, tier = "delivered";
  uint32_t limit = 20;
  bool all = false;
  double timeout_s = 30;
  int count = 0;
};

int Fail(const Status& st) {
  std::cerr << "hotline: " << st.message() << "\n";
  return st.code() == StatusCode::kInvalidArgument ? 2 : 1;
}

std::filesystem::path SocketPath(const Options& o) {
  std::string node = o.node;
  if (node.empty()) {
    const char* env = std::getenv("HOTLINE_NODE");
    if (env) node = env;
  }
  if (node.empty()) return {};
  std::filesystem::path p = node;
  if (std::filesystem::is_directory(p)) p /= "control.sock";
  return p;
}

StatusOr<v1::ControlResponse> Call(const Options& o, const v1::ControlRequest& req) {
  auto path = SocketPath(o);
  if (path.empty()) return InvalidArgumentError("which node? pass --node DIR (or set HOTLINE_NODE)");
  HOTLINE_ASSIGN_OR_RETURN(auto client, ControlClient::Connect(path));
  auto timeout = std::chrono::milliseconds(static_cast<int64_t>(o.timeout_s * 1000));
  return client->Call(req, timeout);
}

int RunSend(const Options& o) {
  v1::ControlRequest req;
  auto* send = req.mutable_send();
  for (const auto& t : o.to) {
    for (size_t pos = 0; pos <= t.size();) {
      size_t comma = t.find(',', pos);
      if (comma == std::string::npos) comma = t.size();
      std::string one = t.substr(pos, comma - pos);
      pos = comma + 1;
      if (one == "all" || one == "ALL") continue;
      auto n = ParseNation(one);
      if (!n.ok()) return Fail(n.status());
      send->add_to(*n);
    }
  }
  auto channel = ParseChannel(o.channel);
  if (!channel.ok()) return Fail(channel.status());
  send->set_channel(*channel);
  if (!o.precedence.empty()) {
    auto p = ParsePrecedence(o.precedence);
    if (!p.ok()) return Fail(p.status());
    send->set_precedence(*p);
  }
  if (!o.text.empty() && !o.file.empty()) return Fail(InvalidArgumentError("give --text or --file, not both"));
  if (!o.file.empty()) {
    auto bytes = ReadFileBytes(o.file, limits::kMaxBodyBytes - 1024);
    if (!bytes.ok()) return Fail(bytes.status());
    send->mutable_body()->mutable_text()->set_text(ToString(*bytes));
  } else if (!o.text.empty()) {
    send->mutable_body()->mutable_text()->set_text(o.text);
  } else {
    return Fail(InvalidArgumentError("nothing to send: give --text TEXT or --file PATH"));
  }
  auto r = Call(o, req);
  if (!r.ok()) return Fail(r.status());
  std::cout << ToHex(AsBytes(r->send().message_id())) << "\n";
  return 0;
}

int RunInboxList(const Options& o) {
  v1::ControlRequest req;
  req.mutable_inbox()->set_limit(o.limit);
  req.mutable_inbox()->set_unacknowledged_only(!o.all);
  auto r = Call(o, req);
  if (!r.ok()) return Fail(r.status());
  if (r->inbox().entries().empty()) std::cout << (o.all ? "inbox is empty\n" : "no unacknowledged messages\n");
  for (const auto& e : r->inbox().entries()) std::cout << FormatInboxLine(e) << "\n";
  return 0;
}

int RunInboxShow(const Options& o) {
  v1::ControlRequest req;
  req.mutable_show()->set_id_prefix(o.id);
  auto r = Call(o, req);
  if (!r.ok()) return Fail(r.status());
  std::cout << FormatInboxEntry(r->show());
  return 0;
}

int RunAck(const Options& o) {
  v1::ControlRequest req;
  req.mutable_ack()->set_id_prefix(o.id);
  req.mutable_ack()->set_reply_text(o.reply);
  auto r = Call(o, req);
  if (!r.ok()) return Fail(r.status());
  std::cout << "acknowledged " << ToHex(AsBytes(r->ack().message_id()));
  if (!r->ack().reply_message_id().empty()) {
    std::cout << "; reply " << ToHex(AsBytes(r->ack().reply_message_id()));
  }
  std::cout << "\n";
  return 0;
}

int RunStatus(const Options& o) {
  v1::ControlRequest req;
  req.mutable_status()->set_id_prefix(o.id);
  req.mutable_status()->set_limit(o.limit);
  auto r = Call(o, req);
  if (!r.ok()) return Fail(r.status());
  const auto& s = r->status();
  std::cout << "node " << NationCode(s.nation()) << "\n";
  for (const auto& relay : s.relays()) {
    std::cout << "  relay " << relay.address() << "  ";
    if (relay.connected()) {
      std::cout << "UP since " << FormatTimeMs(relay.since_ms()) << " (" << relay.subject() << ")\n";
    } else {
      std::cout << "DOWN" << (relay.last_error().empty() ? "" : ": " + relay.last_error()) << "\n";
    }
  }
  for (const auto& a : s.alerts()) std::cout << "  ALERT " << a << "\n";
  for (const auto& m : s.messages()) std::cout << FormatMessageStatus(m);
  return 0;
}

int RunWatch(const Options& o) {
  auto path = SocketPath(o);
  if (path.empty()) return Fail(InvalidArgumentError("which node? pass --node DIR (or set HOTLINE_NODE)"));
  auto client = ControlClient::Connect(path);
  if (!client.ok()) return Fail(client.status());
  v1::ControlRequest req;
  req.mutable_watch();
  if (auto st = (*client)->Send(req); !st.ok()) return Fail(st);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<int64_t>(o.timeout_s * 1000));
  int seen = 0;
  while (o.count == 0 || seen < o.count) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (o.timeout_s > 0 && left.count() <= 0) break;
    auto r = (*client)->Receive(o.timeout_s > 0 ? left : std::chrono::hours(24 * 365));
    if (!r.ok()) {
      if (r.status().code() == StatusCode::kDeadlineExceeded) break;
      return Fail(r.status());
    }
    std::cout << FormatWatchEvent(r->event()) << std::endl;
    ++seen;
  }
  return 0;
}

// Polls status until every recipient reached the tier or the deadline passes.
int RunWait(const Options& o) {
  if (o.tier != "accepted" && o.tier != "delivered" && o.tier != "acknowledged") {
    return Fail(InvalidArgumentError("--tier must be accepted, delivered or acknowledged"));
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<int64_t>(o.timeout_s * 1000));
  v1::ControlRequest req;
  req.mutable_status()->set_id_prefix(o.id);
  for (;;) {
    auto r = Call(o, req);
    if (!r.ok()) return Fail(r.status());
    const auto& m = r->status().messages(0);
    bool all = true;
    for (const auto& rs : m.recipients()) {
      int64_t t = o.tier == "accepted" ? rs.accepted_at_ms()
                  : o.tier == "delivered" ? rs.delivered_at_ms() : rs.acknowledged_at_ms();
      all = all && t > 0;
    }
    if (all) {
      std::cout << FormatMessageStatus(m);
      return 0;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      std::cerr << "hotline: timed out waiting for tier '" << o.tier << "'\n" << FormatMessageStatus(m);
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // poll interval, bounded by the deadline
  }
}

}  // namespace

void AddMessagingCommands(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<Options>();
  app.add_option("--node", o->node, "Node data folder or control socket (default $HOTLINE_NODE)");
  app.add_option("--timeout", o->timeout_s, "Seconds to wait for the node or a condition")
      ->capture_default_str();
  app.fallthrough();  // --node and --timeout may follow the subcommand

  CLI::App* send = app.add_subcommand("send", "Send a message; prints its id");
  send->add_option("--to", o->to, "US, JP, KR, a comma list, or all (default all)");
  send->add_option("--channel", o->channel, "crisis, missile-warning, consult, general")->capture_default_str();
  send->add_option("--precedence", o->precedence, "flash, immediate, priority, routine (default: channel's)");
  send->add_option("--text", o->text, "Message text");
  send->add_option("--file", o->file, "Send the contents of a file");
  send->callback([o, &exit_code] { exit_code = RunSend(*o); });

  CLI::App* inbox = app.add_subcommand("inbox", "List or show received messages");
  inbox->add_flag("--all", o->all, "Include acknowledged messages");
  inbox->add_option("--limit", o->limit, "At most this many")->capture_default_str();
  CLI::App* show = inbox->add_subcommand("show", "Show one message in full");
  show->add_option("id", o->id, "Message id or unique prefix")->required();
  show->callback([o, &exit_code] { exit_code = RunInboxShow(*o); });
  inbox->callback([o, &exit_code, inbox] {
    if (inbox->get_subcommands().empty()) exit_code = RunInboxList(*o);
  });

  CLI::App* ack = app.add_subcommand("ack", "Acknowledge a received message (signed, sent to its sender)");
  ack->add_option("id", o->id, "Message id or unique prefix")->required();
  ack->add_option("--reply", o->reply, "Optional reply text, sent as a new message");
  ack->callback([o, &exit_code] { exit_code = RunAck(*o); });

  CLI::App* status = app.add_subcommand("status", "Tiers per sent message and relay link state");
  status->add_option("id", o->id, "Message id or unique prefix (default: recent messages)");
  status->add_option("--limit", o->limit, "Recent messages to show")->capture_default_str();
  status->callback([o, &exit_code] { exit_code = RunStatus(*o); });

  CLI::App* watch = app.add_subcommand("watch", "Live feed of arrivals, receipts and alerts");
  watch->add_option("--count", o->count, "Stop after this many events (0 = no limit)");
  watch->callback([o, &exit_code] { exit_code = RunWatch(*o); });

  CLI::App* wait = app.add_subcommand("wait", "Wait until every recipient reached a tier");
  wait->add_option("id", o->id, "Message id or unique prefix")->required();
  wait->add_option("--tier", o->tier, "accepted, delivered or acknowledged")->capture_default_str();
  wait->callback([o, &exit_code] { exit_code = RunWait(*o); });
}

}  // namespace hotline::cli
