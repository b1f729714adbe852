#include "cli/format.h"

#include <google/protobuf/util/json_util.h>

#include <ctime>
#include <iostream>
#include <set>
#include <sstream>

#include "hotline/bytes.h"
#include "hotline/certs.h"
#include "hotline/names.h"
#include "hotline/text.h"

namespace hotline::cli {

namespace {
// Peer-chosen text: one line, or several lines with `Lines`; never raw bytes.
std::string Line(const std::string& s) { return Printable(s); }
std::string Lines(const std::string& s) { return Printable(s, {.keep_newlines = true}); }
}  // namespace

std::string ChannelName(v1::Channel c) { return ChannelText(c); }
std::string PrecedenceName(v1::Precedence p) { return PrecedenceText(p); }
StatusOr<v1::Channel> ParseChannel(std::string_view s) { return ParseChannelText(s); }
StatusOr<v1::Precedence> ParsePrecedence(std::string_view s) { return ParsePrecedenceText(s); }

std::string FormatTimeMs(int64_t unix_ms) {
  if (unix_ms <= 0) return "-";
  std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  char out[64];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(unix_ms % 1000));
  return out;
}

std::string FormatMissileWarning(const v1::MissileWarning& w) {
  std::ostringstream o;
  std::string banner;
  switch (w.status()) {
    case v1::MissileWarning::STATUS_ACTUAL:
      banner = "!!! ACTUAL EVENT — REAL MISSILE WARNING !!!";
      break;
    case v1::MissileWarning::STATUS_EXERCISE:
      banner = "*** EXERCISE EXERCISE EXERCISE — DRILL, NOT A REAL EVENT ***";
      break;
    case v1::MissileWarning::STATUS_TEST:
      banner = "*** TEST TEST TEST — TECHNICAL TEST, NO ACTION ***";
      break;
    default:
      banner = "??? STATUS NOT GIVEN — TREAT WITH CAUTION ???";
  }
  o << banner << "\n"
    << "  event:      " << Line(w.event_id()) << "\n"
    << "  launch:     " << FormatTimeMs(w.launch_time_ms()) << " at " << w.launch_latitude() << ", "
    << w.launch_longitude() << "\n"
    << "  azimuth:    " << w.azimuth_degrees() << " deg\n"
    << "  impact:     " << w.predicted_impact_latitude() << ", " << w.predicted_impact_longitude()
    << " (predicted)\n"
    << "  confidence: " << w.confidence_percent() << "%\n"
    << "  source:     " << Line(w.source()) << "\n";
  if (!w.remarks().empty()) o << "  remarks:    " << Lines(w.remarks()) << "\n";
  o << banner << "\n";
  return o.str();
}

std::string FormatBody(const v1::Body& body) {
  std::ostringstream o;
  if (body.has_exercise()) {
    o << "*** EXERCISE " << Line(body.exercise().exercise())
      << (body.exercise().inject().empty() ? "" : ", inject " + Line(body.exercise().inject()))
      << " — NOT A REAL EVENT ***\n";
  }
  if (!body.in_reply_to().empty()) o << "in reply to " << ToHex(AsBytes(body.in_reply_to())) << "\n";
  switch (body.payload_case()) {
    case v1::Body::kText:
      o << Lines(body.text().text()) << "\n";
      break;
    case v1::Body::kMissileWarning: o << FormatMissileWarning(body.missile_warning()); break;
    case v1::Body::kConsultRequest: {
      const auto& c = body.consult_request();
      o << "CONSULTATION REQUEST\n  topic:      " << Line(c.topic())
        << "\n  question:   " << Lines(c.question())
        << "\n  respond by: " << FormatTimeMs(c.respond_by_ms()) << "\n";
      break;
    }
    case v1::Body::kConsultResponse: {
      const auto& c = body.consult_response();
      std::string pos = PositionText(c.position());
      o << "CONSULTATION RESPONSE to " << ToHex(AsBytes(c.consultation_id())) << ": " << pos
        << "\n  " << Lines(c.text()) << "\n";
      break;
    }
    case v1::Body::kLinkTest: o << "link test\n"; break;
    default:
      o << "(no content: removed after the node's retention period; its digest stays in the audit "
           "log)\n";
  }
  return o.str();
}

static std::string OneLine(const v1::Body& body) {
  std::string mark = body.has_exercise() ? "[EXERCISE] " : "";
  if (body.payload_case() == v1::Body::kMissileWarning) {
    std::string status = WarningStatusText(body.missile_warning().status());
    return mark + "MISSILE WARNING [" + status + "] " + Line(body.missile_warning().event_id());
  }
  v1::Body unmarked = body;
  unmarked.clear_exercise();
  std::string text = FormatBody(unmarked);
  return mark + Printable(text.substr(0, text.find('\n')), {.max_code_points = 60});
}

std::string FormatInboxLine(const v1::InboxEntry& e) {
  std::ostringstream o;
  o << ToHex(AsBytes(e.message_id())) << "  " << FormatTimeMs(e.received_at_ms()) << "  from "
    << NationCode(e.sender()) << "  " << PrecedenceName(e.precedence()) << "/"
    << ChannelName(e.channel()) << "  " << (e.acknowledged_at_ms() ? "acked " : "NEW   ")
    << OneLine(e.body()) << (e.without_forward_secrecy() ? "  [NO FORWARD SECRECY]" : "");
  return o.str();
}

std::string FormatInboxEntry(const v1::InboxEntry& e) {
  std::ostringstream o;
  o << "message:      " << ToHex(AsBytes(e.message_id())) << "\n"
    << "from:         " << NationCode(e.sender()) << "\n"
    << "channel:      " << ChannelName(e.channel()) << " #" << e.sequence() << "\n"
    << "precedence:   " << PrecedenceName(e.precedence()) << "\n"
    << "created:      " << FormatTimeMs(e.created_at_ms()) << " (" << NationCode(e.sender())
    << "'s clock)\n"
    << "received:     " << FormatTimeMs(e.received_at_ms()) << "\n"
    << "acknowledged: "
    << (e.acknowledged_at_ms() ? FormatTimeMs(e.acknowledged_at_ms()) : "not yet") << "\n"
    << "secrecy:      "
    << (e.without_forward_secrecy() ? "WITHOUT forward secrecy (sealed for our long-term key: no "
                                      "epoch key of ours was known to the sender)"
                                    : "forward secret (sealed for an epoch key of ours)")
    << "\n\n"
    << FormatBody(e.body());
  return o.str();
}

std::string FormatMessageStatus(const v1::MessageStatus& s) {
  std::ostringstream o;
  auto rel = [&](int64_t t) {
    if (t <= 0) return std::string("-");
    return "+" + std::to_string(t - s.created_at_ms()) + " ms";
  };
  o << ToHex(AsBytes(s.message_id())) << "  " << PrecedenceName(s.precedence()) << "/"
    << ChannelName(s.channel()) << "  sent " << FormatTimeMs(s.created_at_ms()) << "  "
    << Line(s.summary()) << "\n";
  for (const auto& r : s.recipients()) {
    o << "    " << NationCode(r.recipient()) << "  accepted " << rel(r.accepted_at_ms())
      << "  delivered " << rel(r.delivered_at_ms()) << "  acknowledged "
      << rel(r.acknowledged_at_ms()) << (r.overdue() ? "  OVERDUE" : "")
      << (r.without_forward_secrecy() ? "  NO FORWARD SECRECY" : "")
      << (r.expired_at_ms() > 0 ? "  EXPIRED at " + r.expired_by() + " (undelivered; send again)"
                                : "")
      << "\n";
  }
  return o.str();
}

std::string FormatWatchEvent(const v1::WatchEvent& e) {
  std::ostringstream o;
  o << FormatTimeMs(e.at_ms()) << "  " << e.kind();
  if (!e.message_id().empty()) o << "  " << ToHex(AsBytes(e.message_id()));
  if (e.peer() != v1::NATION_UNSPECIFIED) o << "  " << NationCode(e.peer());
  if (!e.text().empty()) o << "  " << Line(e.text());
  return o.str();
}

std::string FormatConsultation(const v1::ConsultationStatus& c) {
  std::ostringstream o;
  o << "consultation " << ToHex(AsBytes(c.consultation_id())) << " from "
    << NationCode(c.requester()) << "\n  topic:      " << Line(c.topic())
    << "\n  question:   " << Lines(c.question())
    << "\n  respond by: " << FormatTimeMs(c.respond_by_ms()) << "\n";
  for (const auto& a : c.answers()) {
    o << "    " << NationCode(a.nation()) << "  ";
    if (a.position() != v1::ConsultResponse::POSITION_UNSPECIFIED) {
      std::string pos = PositionText(a.position());
      o << pos << std::string(pos.size() < 10 ? 10 - pos.size() : 1, ' ');
    } else {
      o << (a.overdue() ? "OVERDUE   " : "pending   ");
    }
    if (a.answered_at_ms()) o << FormatTimeMs(a.answered_at_ms()) << "  " << Line(a.text());
    o << "\n";
  }
  return o.str();
}

void PrintJson(const google::protobuf::Message& message) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  std::cout << out << std::endl;
}

std::string FormatTrustSummary(const v1::TrustSummary& t) {
  std::set<v1::Nation> nations;
  for (int n : t.root_nations()) nations.insert(static_cast<v1::Nation>(n));
  std::string out = "root document " + std::to_string(t.root_serial()) + " (" +
                    NationList(nations) + "; " + std::to_string(t.threshold()) + " of " +
                    std::to_string(nations.size()) + (t.demo() ? "; DEMO" : "") + ")";
  if (t.lists().empty()) return out + ", no revocation list";
  out += ", revocation lists:";
  for (const auto& l : t.lists()) {
    out += " " +
           (l.issuer() == v1::NATION_UNSPECIFIED ? std::string("joint") : NationCode(l.issuer())) +
           " #" + std::to_string(l.number()) + " (" + std::to_string(l.revoked()) + " revoked)";
  }
  return out;
}

}  // namespace hotline::cli
