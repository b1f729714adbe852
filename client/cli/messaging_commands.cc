#include "cli/messaging_commands.h"

#include <google/protobuf/util/json_util.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <thread>

#include "cli/control_client.h"
#include "cli/exit_codes.h"
#include "cli/format.h"
#include "hotline/certs.h"
#include "hotline/cli_options.h"
#include "hotline/file_util.h"
#include "hotline/limits.h"
#include "hotline/names.h"
#include "hotline/net_util.h"
#include "hotline/text.h"

namespace hotline::cli {
namespace {

struct Options {
  std::string node;
  std::vector<std::string> to;
  std::string channel = "general", precedence, text, file, id, reply, tier = "delivered";
  uint32_t limit = 20;
  bool all = false;
  std::chrono::milliseconds timeout{30'000};
  int count = 0;
  // Missile warning and consultation fields.
  std::string status, event_id, source, remarks, json, topic, question, position;
  double launch_lat = 0, launch_lon = 0, azimuth = 0, impact_lat = 0, impact_lon = 0;
  int64_t launch_time_ms = 0;
  uint32_t confidence = 0;
  std::chrono::milliseconds respond_within{30 * 60'000};
  std::chrono::milliseconds watch_for{0};  // 0 = until interrupted
  bool as_json = false;      // --json: the control API's answer as proto3 JSON
  std::string operator_as = "duty-officer";  // console link --as
};

std::filesystem::path SocketPath(const Options& o) { return NodeSocketPath(o.node); }

StatusOr<v1::ControlResponse> Call(const Options& o, const v1::ControlRequest& req) {
  auto path = SocketPath(o);
  if (path.empty()) return InvalidArgumentError("which node? pass --node DIR (or set HOTLINE_NODE)");
  HOTLINE_ASSIGN_OR_RETURN(auto client, ControlClient::Connect(path));
  v1::ControlRequest named = req;
  named.set_operator_name(CliOperatorName());
  return client->Call(named, o.timeout);
}

// Fills recipients, channel and precedence of `send` from the options.
Status FillRouting(const Options& o, v1::SendRequest* send) {
  for (const auto& t : o.to) {
    for (size_t pos = 0; pos <= t.size();) {
      size_t comma = t.find(',', pos);
      if (comma == std::string::npos) comma = t.size();
      std::string one = t.substr(pos, comma - pos);
      pos = comma + 1;
      if (one == "all" || one == "ALL") continue;
      HOTLINE_ASSIGN_OR_RETURN(v1::Nation n, ParseNation(one));
      send->add_to(n);
    }
  }
  HOTLINE_ASSIGN_OR_RETURN(v1::Channel channel, ParseChannel(o.channel));
  send->set_channel(channel);
  if (!o.precedence.empty()) {
    HOTLINE_ASSIGN_OR_RETURN(v1::Precedence p, ParsePrecedence(o.precedence));
    send->set_precedence(p);
  }
  return Status::Ok();
}

int SendAndPrintId(const Options& o, const v1::ControlRequest& req) {
  auto r = Call(o, req);
  if (!r.ok()) return Fail(r.status());
  std::cout << ToHex(AsBytes(r->send().message_id())) << "\n";
  return 0;
}

int RunSend(const Options& o) {
  v1::ControlRequest req;
  auto* send = req.mutable_send();
  if (auto st = FillRouting(o, send); !st.ok()) return Fail(st);
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
  return SendAndPrintId(o, req);
}

StatusOr<v1::MissileWarning> WarningFromOptions(const Options& o) {
  v1::MissileWarning w;
  if (!o.json.empty()) {
    HOTLINE_ASSIGN_OR_RETURN(Bytes bytes, ReadFileBytes(o.json, 64 * 1024));
    auto st = google::protobuf::util::JsonStringToMessage(ToString(bytes), &w);
    if (!st.ok()) {
      return InvalidArgumentError(o.json + " is not a valid MissileWarning JSON: " + st.ToString());
    }
  } else {
    auto status = ParseWarningStatusText(o.status);
    if (!status.ok()) {
      return InvalidArgumentError("--status is required (actual, exercise or test) unless --json is given");
    }
    w.set_status(*status);
    w.set_event_id(o.event_id);
    w.set_launch_time_ms(o.launch_time_ms ? o.launch_time_ms : NowUnixMs());
    w.set_launch_latitude(o.launch_lat);
    w.set_launch_longitude(o.launch_lon);
    w.set_azimuth_degrees(o.azimuth);
    w.set_predicted_impact_latitude(o.impact_lat);
    w.set_predicted_impact_longitude(o.impact_lon);
    w.set_confidence_percent(o.confidence);
    w.set_source(o.source);
    w.set_remarks(o.remarks);
  }
  if (w.status() == v1::MissileWarning::STATUS_UNSPECIFIED) {
    return InvalidArgumentError("a missile warning must say ACTUAL, EXERCISE or TEST");
  }
  if (w.event_id().empty()) return InvalidArgumentError("a missile warning needs an --event-id");
  if (w.confidence_percent() > 100) return InvalidArgumentError("--confidence must be 0..100");
  if (w.launch_latitude() < -90 || w.launch_latitude() > 90 || w.launch_longitude() < -180 ||
      w.launch_longitude() > 180) {
    return InvalidArgumentError("launch position out of range");
  }
  return w;
}

int RunWarn(Options o) {
  auto w = WarningFromOptions(o);
  if (!w.ok()) return Fail(w.status());
  o.channel = "missile-warning";
  v1::ControlRequest req;
  auto* send = req.mutable_send();
  if (auto st = FillRouting(o, send); !st.ok()) return Fail(st);
  *send->mutable_body()->mutable_missile_warning() = *w;
  return SendAndPrintId(o, req);
}

int RunConsultRequest(Options o) {
  if (o.topic.empty() || o.question.empty()) {
    return Fail(InvalidArgumentError("a consultation needs --topic and --question"));
  }
  o.channel = "consult";
  v1::ControlRequest req;
  auto* send = req.mutable_send();
  if (auto st = FillRouting(o, send); !st.ok()) return Fail(st);
  auto* c = send->mutable_body()->mutable_consult_request();
  c->set_topic(o.topic);
  c->set_question(o.question);
  c->set_respond_by_ms(NowUnixMs() + o.respond_within.count());
  return SendAndPrintId(o, req);
}

int RunConsultRespond(Options o) {
  auto parsed = ParsePositionText(o.position);
  if (!parsed.ok()) return Fail(parsed.status());
  v1::ConsultResponse::Position pos = *parsed;
  // Look the request up in our inbox to answer its sender.
  v1::ControlRequest show;
  show.mutable_show()->set_id_prefix(o.id);
  auto found = Call(o, show);
  if (!found.ok()) return Fail(found.status());
  const auto& entry = found->show();
  if (!entry.body().has_consult_request()) {
    return Fail(InvalidArgumentError("message " + o.id + " is not a consultation request"));
  }
  v1::ControlRequest req;
  auto* send = req.mutable_send();
  send->add_to(entry.sender());
  send->set_channel(v1::CHANNEL_CONSULT);
  send->mutable_body()->set_in_reply_to(entry.message_id());
  auto* r = send->mutable_body()->mutable_consult_response();
  r->set_consultation_id(entry.message_id());
  r->set_position(pos);
  r->set_text(o.text);
  return SendAndPrintId(o, req);
}

int RunInboxList(const Options& o) {
  v1::ControlRequest req;
  req.mutable_inbox()->set_limit(o.limit);
  req.mutable_inbox()->set_unacknowledged_only(!o.all);
  auto r = Call(o, req);
  if (!r.ok()) return Fail(r.status());
  if (o.as_json) return PrintJson(r->inbox()), 0;
  if (r->inbox().entries().empty()) std::cout << (o.all ? "inbox is empty\n" : "no unacknowledged messages\n");
  for (const auto& e : r->inbox().entries()) std::cout << FormatInboxLine(e) << "\n";
  return 0;
}

int RunInboxShow(const Options& o) {
  v1::ControlRequest req;
  req.mutable_show()->set_id_prefix(o.id);
  auto r = Call(o, req);
  if (!r.ok()) return Fail(r.status());
  if (o.as_json) return PrintJson(r->show()), 0;
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
  if (o.as_json) return PrintJson(r->status()), 0;
  const auto& s = r->status();
  std::cout << "node " << NationCode(s.nation()) << "\n";
  for (const auto& relay : s.relays()) {
    std::cout << "  relay " << relay.address() << "  ";
    if (relay.connected()) {
      std::cout << "UP since " << FormatTimeMs(relay.since_ms()) << " ("
                << Printable(relay.subject()) << ")\n";
    } else {
      std::cout << "DOWN"
                << (relay.last_error().empty() ? "" : ": " + Printable(relay.last_error())) << "\n";
    }
  }
  for (const auto& c : s.clocks()) {
    if (c.offset_ms() == 0) continue;
    std::cout << "  clock " << Printable(c.peer()) << " " << DescribeClockOffset(c.offset_ms())
              << " relative to ours" << (c.out_of_step() ? "  OUT OF STEP" : "") << "\n";
  }
  if (s.has_trust()) std::cout << "  trust " << FormatTrustSummary(s.trust()) << "\n";
  for (const auto& a : s.alerts()) std::cout << "  ALERT " << Printable(a) << "\n";
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
  bool forever = o.watch_for.count() <= 0;
  auto deadline = std::chrono::steady_clock::now() +
                  o.watch_for;
  int seen = 0;
  while (o.count == 0 || seen < o.count) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (!forever && left.count() <= 0) break;
    auto r = (*client)->Receive(forever ? std::chrono::hours(24 * 365) : left);
    if (!r.ok()) {
      if (r.status().code() == StatusCode::kDeadlineExceeded) break;
      return Fail(r.status());
    }
    if (o.as_json) {
      PrintJson(r->event());  // JSON lines
    } else {
      std::cout << FormatWatchEvent(r->event()) << std::endl;
    }
    ++seen;
  }
  return 0;
}

// Polls status until every recipient reached the tier or the deadline passes.
int RunWait(const Options& o) {
  auto deadline = std::chrono::steady_clock::now() + o.timeout;
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
      return kExitTimedOut;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // poll interval, bounded by the deadline
  }
}

int RunConsultStatus(const Options& o) {
  v1::ControlRequest req;
  req.mutable_consult_status()->set_id_prefix(o.id);
  auto r = Call(o, req);
  if (!r.ok()) return Fail(r.status());
  if (o.as_json) return PrintJson(r->consult_status()), 0;
  if (r->consult_status().consultations().empty()) std::cout << "no consultations\n";
  for (const auto& c : r->consult_status().consultations()) std::cout << FormatConsultation(c);
  return 0;
}

// --node and --timeout belong to the commands that talk to a node, and
// only to them (certs, audit and history read files).
void AddNodeOptions(CLI::App& command, Options& o) {
  command.add_option("--node", o.node, "Node data folder or control socket (default $HOTLINE_NODE)");
  AddDurationOption(command, "--timeout", &o.timeout, std::chrono::seconds(1),
                    "How long to wait for the node or a condition (default 30s)");
}

// `trust publish`: each file by its name, root.doc-like (*.doc) or a
// revocation list (*.crl), handed to the node to take and pass on.
int RunTrustPublish(const Options& o, const std::vector<std::string>& files) {
  v1::ControlRequest req;
  for (const auto& file : files) {
    std::string ext = std::filesystem::path(file).extension().string();
    if (ext != ".doc" && ext != ".crl") {
      return Fail(
          InvalidArgumentError(file + ": name a root document *.doc or a revocation list *.crl"));
    }
    auto bytes = ReadFileBytes(file, limits::kMaxRevocationListBytes);
    if (!bytes.ok()) return Fail(bytes.status());
    auto* doc = req.mutable_trust_publish()->add_documents();
    if (ext == ".doc") {
      doc->set_root_document(ToString(*bytes));
    } else {
      doc->set_revocation_list(ToString(*bytes));
    }
  }
  auto r = Call(o, req);
  if (!r.ok()) return Fail(r.status());
  int code = 0;
  for (const auto& result : r->trust_publish().results()) {
    if (result.outcome() == v1::TrustPublishResponse::Result::OUTCOME_REFUSED) code = kExitFailed;
  }
  if (o.as_json) return PrintJson(r->trust_publish()), code;
  for (const auto& result : r->trust_publish().results()) {
    using R = v1::TrustPublishResponse::Result;
    switch (result.outcome()) {
      case R::OUTCOME_APPLIED:
        std::cout << "taken: " << result.what() << " (" << result.reason()
                  << "); sent to every relay\n";
        break;
      case R::OUTCOME_UNCHANGED:
        std::cout << "unchanged: " << result.what() << " is already in force\n";
        break;
      case R::OUTCOME_STALE:
        std::cout << "ignored: " << result.what() << ": " << result.reason() << "\n";
        break;
      default:
        std::cout << (result.outcome() == v1::TrustPublishResponse::Result::OUTCOME_CONFLICT
                          ? "CONFLICT: "
                          : "REFUSED: ")
                  << result.what() << ": " << result.reason() << "\n";
    }
  }
  return code;
}

int RunKeysRotate(const Options& o) {
  v1::ControlRequest req;
  req.mutable_keys_rotate();
  auto r = Call(o, req);
  if (!r.ok()) return Fail(r.status());
  std::string to;
  for (int n : r->keys_rotate().announced_to()) {
    to += (to.empty() ? "" : ", ") + NationCode(static_cast<v1::Nation>(n));
  }
  std::cout << "epoch key " << r->keys_rotate().epoch() << " made; announced to "
            << (to.empty() ? "no nation (none has a valid certificate here)" : to)
            << ": they wrap for it from their next message on\n";
  return 0;
}

int RunConsoleLink(const Options& o) {
  v1::ControlRequest req;
  req.mutable_console_link()->set_operator_name(o.operator_as);
  auto r = Call(o, req);
  if (!r.ok()) return Fail(r.status());
  if (!r->ok()) return Fail(StatusOf(*r));
  std::cout << r->console_link().url() << "\n";
  return 0;
}

}  // namespace

// "US", "JP,KR", "all": checked while parsing, so a bad name is exit 2.
CLI::Validator NationList() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        for (size_t pos = 0; pos <= text.size();) {
          size_t comma = std::min(text.find(',', pos), text.size());
          std::string one = text.substr(pos, comma - pos);
          pos = comma + 1;
          if (one != "all" && one != "ALL" && !ParseNation(one).ok())
            return "unknown nation '" + one + "' (US, JP, KR, a comma list, or all)";
        }
        return "";
      },
      "US|JP|KR|all[,...]");
}

void AddMessagingCommands(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<Options>();

  CLI::App* send = app.add_subcommand("send", "Send a message; prints its id");
  AddNodeOptions(*send, *o);
  send->add_option("--to", o->to, "US, JP, KR, a comma list, or all (default all)")
      ->check(NationList());
  send->add_option("--channel", o->channel, "Channel")
      ->check(CLI::IsMember({"crisis", "missile-warning", "consult", "general"}))
      ->capture_default_str();
  send->add_option("--precedence", o->precedence, "Precedence (default: the channel's)")
      ->check(CLI::IsMember({"flash", "immediate", "priority", "routine"}, CLI::ignore_case));
  send->add_option("--text", o->text, "Message text");
  send->add_option("--file", o->file, "Send the contents of a file");
  send->callback([o, &exit_code] { exit_code = RunSend(*o); });

  CLI::App* warn = app.add_subcommand("warn", "Send a missile warning (FLASH, missile-warning channel)");
  AddNodeOptions(*warn, *o);
  warn->add_option("--to", o->to, "US, JP, KR, a comma list, or all (default all)")
      ->check(NationList());
  warn->add_option("--precedence", o->precedence, "Default FLASH")
      ->check(CLI::IsMember({"flash", "immediate", "priority", "routine"}, CLI::ignore_case));
  warn->add_option("--json", o->json, "Read the MissileWarning from a JSON file (proto3 JSON)");
  warn->add_option("--status", o->status, "Required unless --json: an actual event, an exercise or a test")
      ->check(CLI::IsMember({"actual", "exercise", "test"}));
  warn->add_option("--event-id", o->event_id, "Event identifier");
  warn->add_option("--launch-time-ms", o->launch_time_ms, "Launch time, Unix ms (default now)");
  warn->add_option("--launch-lat", o->launch_lat, "Launch latitude");
  warn->add_option("--launch-lon", o->launch_lon, "Launch longitude");
  warn->add_option("--azimuth", o->azimuth, "Azimuth in degrees");
  warn->add_option("--impact-lat", o->impact_lat, "Predicted impact latitude");
  warn->add_option("--impact-lon", o->impact_lon, "Predicted impact longitude");
  warn->add_option("--confidence", o->confidence, "Confidence percent");
  warn->add_option("--source", o->source, "Sensor or agency");
  warn->add_option("--remarks", o->remarks, "Free text");
  warn->callback([o, &exit_code] { exit_code = RunWarn(*o); });

  CLI::App* consult = app.add_subcommand("consult", "The commitment to consult");
  AddNodeOptions(*consult, *o);
  consult->require_subcommand(1);
  CLI::App* creq = consult->add_subcommand("request", "Ask the other nations to consult");
  AddNodeOptions(*creq, *o);
  creq->add_option("--to", o->to, "US, JP, KR, a comma list, or all (default all)")
      ->check(NationList());
  creq->add_option("--topic", o->topic, "Topic")->required();
  creq->add_option("--question", o->question, "Question")->required();
  AddDurationOption(*creq, "--respond-within", &o->respond_within, std::chrono::minutes(1),
                    "Time the nations have to answer (default 30m)");
  creq->callback([o, &exit_code] { exit_code = RunConsultRequest(*o); });
  CLI::App* cresp = consult->add_subcommand("respond", "Answer a consultation request");
  AddNodeOptions(*cresp, *o);
  cresp->add_option("id", o->id, "Request message id or prefix")->required();
  cresp->add_option("--position", o->position, "Position")
      ->check(CLI::IsMember({"concur", "need-time", "decline"}))
      ->required();
  cresp->add_option("--text", o->text, "Explanation");
  cresp->callback([o, &exit_code] { exit_code = RunConsultRespond(*o); });
  CLI::App* cstat = consult->add_subcommand("status", "Who has answered, who is overdue");
  AddNodeOptions(*cstat, *o);
  cstat->add_option("id", o->id, "Consultation (request message) id or prefix; default all");
  cstat->add_flag("--json", o->as_json, "Print the answer as proto3 JSON");
  cstat->callback([o, &exit_code] { exit_code = RunConsultStatus(*o); });

  CLI::App* inbox = app.add_subcommand("inbox", "List or show received messages");
  AddNodeOptions(*inbox, *o);
  inbox->add_flag("--all", o->all, "Include acknowledged messages");
  inbox->add_option("--limit", o->limit, "At most this many")->capture_default_str();
  inbox->add_flag("--json", o->as_json, "Print the answer as proto3 JSON");
  CLI::App* show = inbox->add_subcommand("show", "Show one message in full");
  AddNodeOptions(*show, *o);
  show->add_option("id", o->id, "Message id or unique prefix")->required();
  show->add_flag("--json", o->as_json, "Print the message as proto3 JSON");
  show->callback([o, &exit_code] { exit_code = RunInboxShow(*o); });
  inbox->callback([o, &exit_code, inbox] {
    if (inbox->get_subcommands().empty()) exit_code = RunInboxList(*o);
  });

  CLI::App* ack = app.add_subcommand("ack", "Acknowledge a received message (signed, sent to its sender)");
  AddNodeOptions(*ack, *o);
  ack->add_option("id", o->id, "Message id or unique prefix")->required();
  ack->add_option("--reply", o->reply, "Optional reply text, sent as a new message");
  ack->callback([o, &exit_code] { exit_code = RunAck(*o); });

  CLI::App* status = app.add_subcommand("status", "Tiers per sent message and relay link state");
  AddNodeOptions(*status, *o);
  status->add_option("id", o->id, "Message id or unique prefix (default: recent messages)");
  status->add_option("--limit", o->limit, "Recent messages to show")->capture_default_str();
  status->add_flag("--json", o->as_json, "Print the answer as proto3 JSON");
  status->callback([o, &exit_code] { exit_code = RunStatus(*o); });

  CLI::App* watch = app.add_subcommand("watch", "Live feed of arrivals, receipts and alerts");
  AddNodeOptions(*watch, *o);
  watch->add_option("--count", o->count, "Stop after this many events (0 = no limit)");
  AddDurationOption(*watch, "--for", &o->watch_for, std::chrono::seconds(1),
                    "Stop after this long (default: until interrupted)");
  watch->add_flag("--json", o->as_json, "One proto3 JSON object per event (JSON lines)");
  watch->callback([o, &exit_code] { exit_code = RunWatch(*o); });

  CLI::App* console = app.add_subcommand("console", "The node's operator console (docs/CONSOLE.md)");
  console->require_subcommand(1);
  CLI::App* link = console->add_subcommand("link", "Print a new one-time console login link");
  AddNodeOptions(*link, *o);
  link->add_option("--as", o->operator_as, "Operator name it signs in as")
      ->capture_default_str();
  link->callback([o, &exit_code] { exit_code = RunConsoleLink(*o); });

  CLI::App* keys = app.add_subcommand("keys", "The node's epoch keys (forward secrecy)");
  keys->require_subcommand(1);
  CLI::App* rotate = keys->add_subcommand(
      "rotate", "Make and announce a new epoch key now (after a suspected compromise)");
  AddNodeOptions(*rotate, *o);
  rotate->callback([o, &exit_code] { exit_code = RunKeysRotate(*o); });

  CLI::App* trust =
      app.add_subcommand("trust", "Root documents and revocation lists over the hotline");
  trust->require_subcommand(1);
  auto files = std::make_shared<std::vector<std::string>>();
  CLI::App* publish = trust->add_subcommand(
      "publish",
      "Hand root documents (*.doc) or revocation lists (*.crl) to the node: it takes "
      "each one that is new and valid and passes it to every relay and node");
  AddNodeOptions(*publish, *o);
  publish->add_option("files", *files, "root.doc, revocations-kr.crl, ...")
      ->required()
      ->check(CLI::ExistingFile);
  publish->add_flag("--json", o->as_json, "Print the answer as proto3 JSON");
  publish->callback([o, files, &exit_code] { exit_code = RunTrustPublish(*o, *files); });

  CLI::App* wait = app.add_subcommand("wait", "Wait until every recipient reached a tier");
  AddNodeOptions(*wait, *o);
  wait->add_option("id", o->id, "Message id or unique prefix")->required();
  wait->add_option("--tier", o->tier, "The tier every recipient must reach")
      ->check(CLI::IsMember({"accepted", "delivered", "acknowledged"}))
      ->capture_default_str();
  wait->callback([o, &exit_code] { exit_code = RunWait(*o); });
}

}  // namespace hotline::cli
