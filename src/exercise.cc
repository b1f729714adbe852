#include "hotline/exercise.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "hotline/certs.h"
#include "hotline/names.h"
#include "hotline/track_feed.h"
#include "hotline/track_sim.h"

namespace hotline::exercise {
namespace {

constexpr size_t kMaxIdLength = 64;
constexpr size_t kMaxTextBytes = 16 * 1024;
constexpr int64_t kMaxScenarioMs = 24 * 3600 * 1000;  // a day: longer is a typo

bool WellFormedId(std::string_view id, bool allow_upper) {
  if (id.empty() || id.size() > kMaxIdLength) return false;
  return std::all_of(id.begin(), id.end(), [&](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           (allow_upper && ((c >= 'A' && c <= 'Z') || c == '_'));
  });
}

Status Bad(const std::string& where, const std::string& what) {
  return InvalidArgumentError(where + ": " + what);
}

StatusOr<v1::Nation> OneNation(const std::string& where, const std::string& field,
                               std::string_view text) {
  auto n = ParseNation(text);
  if (!n.ok())
    return Bad(where,
               field + " must name one nation (US, JP or KR), not \"" + std::string(text) + "\"");
  return *n;
}

Status CheckDuration(const std::string& where, const std::string& field,
                     const google::protobuf::Duration& d, bool positive) {
  int64_t ms = DurationMs(d);
  if (d.seconds() < 0 || d.nanos() < 0) return Bad(where, field + " must not be negative");
  if (positive && ms <= 0) return Bad(where, field + " must be more than 0");
  if (ms > kMaxScenarioMs) return Bad(where, field + " is longer than a day");
  return Status::Ok();
}

Status CheckText(const std::string& where, const std::string& field, const std::string& text) {
  if (text.size() > kMaxTextBytes) return Bad(where, field + " is longer than 16 KiB");
  return Status::Ok();
}

Status CheckMessageParts(const std::string& where, const std::string& from, const std::string& to) {
  HOTLINE_ASSIGN_OR_RETURN(v1::Nation sender, OneNation(where, "from", from));
  auto recipients = ParseNations(to, sender);
  if (!recipients.ok()) return Bad(where, "to: " + recipients.status().message());
  if (std::find(recipients->begin(), recipients->end(), sender) != recipients->end()) {
    return Bad(where, "a nation does not send to itself");
  }
  return Status::Ok();
}

Status CheckInject(const v1::Scenario& s, const v1::Inject& in) {
  const std::string where = "inject \"" + in.id() + "\"";
  HOTLINE_RETURN_IF_ERROR(CheckDuration(where, "at", in.at(), false));
  HOTLINE_RETURN_IF_ERROR(CheckText(where, "note", in.note()));
  switch (in.action_case()) {
    case v1::Inject::kSend: {
      const auto& a = in.send();
      HOTLINE_RETURN_IF_ERROR(CheckMessageParts(where, a.from(), a.to()));
      if (!a.channel().empty() && !ParseChannelText(a.channel()).ok()) {
        return Bad(where, ParseChannelText(a.channel()).status().message());
      }
      if (!a.precedence().empty() && !ParsePrecedenceText(a.precedence()).ok()) {
        return Bad(where, ParsePrecedenceText(a.precedence()).status().message());
      }
      if (a.text().empty()) return Bad(where, "send needs a text");
      return CheckText(where, "text", a.text());
    }
    case v1::Inject::kWarn: {
      const auto& a = in.warn();
      HOTLINE_RETURN_IF_ERROR(CheckMessageParts(where, a.from(), a.to()));
      const auto& w = a.warning();
      if (w.status() == v1::MissileWarning::STATUS_ACTUAL) {
        return Bad(where, "an exercise never sends an ACTUAL warning");
      }
      if (w.event_id().empty()) return Bad(where, "the warning needs an event_id");
      if (!(std::fabs(w.launch_latitude()) <= 90 && std::fabs(w.launch_longitude()) <= 180)) {
        return Bad(where, "launch position out of range");
      }
      if (w.confidence_percent() > 100) return Bad(where, "confidence_percent must be 0..100");
      for (const std::string* text : {&w.event_id(), &w.source(), &w.remarks()}) {
        HOTLINE_RETURN_IF_ERROR(CheckText(where, "the warning's texts", *text));
      }
      return Status::Ok();
    }
    case v1::Inject::kConsult: {
      const auto& a = in.consult();
      HOTLINE_RETURN_IF_ERROR(CheckMessageParts(where, a.from(), a.to()));
      if (a.topic().empty() || a.question().empty()) {
        return Bad(where, "a consultation needs a topic and a question");
      }
      HOTLINE_RETURN_IF_ERROR(
          CheckDuration(where, "respond_within", a.respond_within(), a.has_respond_within()));
      HOTLINE_RETURN_IF_ERROR(CheckText(where, "topic", a.topic()));
      return CheckText(where, "question", a.question());
    }
    case v1::Inject::kAnswer:
    case v1::Inject::kAck: {
      const bool answer = in.has_answer();
      const std::string& target = answer ? in.answer().consultation() : in.ack().message();
      HOTLINE_ASSIGN_OR_RETURN(v1::Nation by,
                               OneNation(where, "by", answer ? in.answer().by() : in.ack().by()));
      const v1::Inject* t = FindInject(s, target);
      if (t == nullptr) return Bad(where, "no inject \"" + target + "\" to respond to");
      if (answer ? !t->has_consult() : !SendsMessage(*t)) {
        return Bad(where, "inject \"" + target + "\" is not " +
                              (answer ? "a consultation" : "a message (send, warn or consult)"));
      }
      auto to = Recipients(*t);
      if (std::find(to.begin(), to.end(), by) == to.end()) {
        return Bad(where, NationCode(by) + " is not a recipient of \"" + target + "\"");
      }
      if (answer && !ParsePositionText(in.answer().position()).ok()) {
        return Bad(where, ParsePositionText(in.answer().position()).status().message());
      }
      return CheckText(where, "text", answer ? in.answer().text() : in.ack().reply());
    }
    case v1::Inject::kTrack: {
      const auto& a = in.track();
      HOTLINE_RETURN_IF_ERROR(CheckMessageParts(where, a.from(), a.to()));
      if (!(std::fabs(a.launch_latitude()) <= 90 && std::fabs(a.launch_longitude()) <= 180)) {
        return Bad(where, "launch position out of range");
      }
      // What the nodes will check of every update it publishes.
      track::BallisticFlight flight;
      flight.launch_latitude = a.launch_latitude();
      flight.launch_longitude = a.launch_longitude();
      if (Status st = track::ValidateUpdate(track::SimulatedUpdate(
              flight, 0.5, a.track_id(), a.sensor().empty() ? "simulated sensor" : a.sensor(),
              v1::MissileWarning::STATUS_EXERCISE, 1));
          !st.ok()) {
        return Bad(where, st.message());
      }
      if (a.rate() > 50) return Bad(where, "rate must be 1..50 updates a second");
      if (!(a.range_km() >= 0 && a.range_km() <= 15'000))
        return Bad(where, "range_km out of range");
      return CheckDuration(where, "duration", a.duration(), false);
    }
    case v1::Inject::kRelay: {
      const auto& a = in.relay();
      uint32_t relays = s.relays() ? s.relays() : 2;
      if (a.relay() < 1 || a.relay() > relays) {
        return Bad(where, "relay must be 1.." + std::to_string(relays));
      }
      if (a.action() != "kill" && a.action() != "freeze") {
        return Bad(where, "relay action must be kill or freeze, not \"" + a.action() + "\"");
      }
      return CheckDuration(where, "duration", a.duration(), false);
    }
    case v1::Inject::kOffline: {
      HOTLINE_RETURN_IF_ERROR(OneNation(where, "nation", in.offline().nation()).status());
      return CheckDuration(where, "duration", in.offline().duration(), true);
    }
    case v1::Inject::ACTION_NOT_SET:
      break;
  }
  return Bad(where,
             "says nothing to do (send, warn, consult, answer, ack, track, relay or offline)");
}

// One fault at a time per relay and per nation: a relay cannot be frozen
// while it is dead, nor a nation taken offline twice at once.
Status CheckFaultsDoNotOverlap(const v1::Scenario& s) {
  struct Span {
    int64_t from, to;
    std::string id;
  };
  std::map<std::string, std::vector<Span>> by_target;
  for (const auto& in : s.injects()) {
    std::string target;
    int64_t lasts = 0;
    if (in.has_relay()) {
      target = "relay-" + std::to_string(in.relay().relay());
      lasts = DurationMs(in.relay().duration());
    } else if (in.has_offline()) {
      target = in.offline().nation();
      for (char& c : target) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      lasts = DurationMs(in.offline().duration());
    } else {
      continue;
    }
    int64_t from = DurationMs(in.at());
    int64_t to = lasts > 0 ? from + lasts : std::numeric_limits<int64_t>::max();  // 0: for good
    for (const Span& other : by_target[target]) {
      if (from < other.to && other.from < to) {
        return InvalidArgumentError("inject \"" + in.id() + "\": " + target +
                                    " is already faulted by \"" + other.id +
                                    "\" then (one fault at a time)");
      }
    }
    by_target[target].push_back({from, to, in.id()});
  }
  return Status::Ok();
}

Status CheckExpectation(const v1::Scenario& s, const v1::Expectation& e, int index) {
  const std::string where =
      "expectation " + std::to_string(index + 1) + " (inject \"" + e.inject() + "\")";
  const v1::Inject* in = FindInject(s, e.inject());
  if (in == nullptr || !SendsMessage(*in)) {
    return Bad(where, "must name a send, warn or consult inject");
  }
  if (e.response() != "delivered" && e.response() != "acknowledged" && e.response() != "answered") {
    return Bad(where, "response must be delivered, acknowledged or answered");
  }
  if (e.response() == "answered" && !in->has_consult()) {
    return Bad(where, "only a consultation is answered");
  }
  auto to = Recipients(*in);
  auto by =
      e.by().empty() ? StatusOr<std::vector<v1::Nation>>(to) : ParseNations(e.by(), Actor(*in));
  if (!by.ok()) return Bad(where, "by: " + by.status().message());
  for (v1::Nation n : *by) {
    if (std::find(to.begin(), to.end(), n) == to.end()) {
      return Bad(where, NationCode(n) + " is not a recipient");
    }
  }
  return CheckDuration(where, "within", e.within(), true);
}

}  // namespace

StatusOr<v1::Scenario> ParseScenario(std::string_view json) {
  if (json.size() > kMaxScenarioBytes) return InvalidArgumentError("scenario larger than 1 MiB");
  v1::Scenario s;
  auto st = google::protobuf::util::JsonStringToMessage(std::string(json), &s);
  if (!st.ok()) return InvalidArgumentError("not a scenario (proto3 JSON): " + st.ToString());
  HOTLINE_RETURN_IF_ERROR(CheckScenario(s));
  return s;
}

Status CheckScenario(const v1::Scenario& s) {
  if (s.version() > 1) {
    return InvalidArgumentError("scenario version " + std::to_string(s.version()) +
                                " is newer than this hotline reads (1)");
  }
  if (!WellFormedId(s.name(), false)) {
    return InvalidArgumentError("the scenario needs a name of 1..64 characters a-z, 0-9 and -");
  }
  if (s.relays() > 4) return InvalidArgumentError("relays must be 1..4");
  if (s.injects_size() == 0) return InvalidArgumentError("the scenario has no injects");
  if (s.injects_size() > kMaxInjects) return InvalidArgumentError("more than 1000 injects");
  HOTLINE_RETURN_IF_ERROR(CheckText("scenario", "title", s.title()));
  HOTLINE_RETURN_IF_ERROR(CheckText("scenario", "description", s.description()));
  std::set<std::string> ids;
  for (const auto& in : s.injects()) {
    if (!WellFormedId(in.id(), true)) {
      return InvalidArgumentError("inject \"" + in.id() +
                                  "\": an id is 1..64 characters A-Z, a-z, 0-9, - and _");
    }
    if (!ids.insert(in.id()).second) {
      return InvalidArgumentError("inject \"" + in.id() + "\" is defined twice");
    }
  }
  for (const auto& in : s.injects()) HOTLINE_RETURN_IF_ERROR(CheckInject(s, in));
  HOTLINE_RETURN_IF_ERROR(CheckFaultsDoNotOverlap(s));
  if (s.expect_size() > kMaxInjects) return InvalidArgumentError("more than 1000 expectations");
  for (int i = 0; i < s.expect_size(); ++i) {
    HOTLINE_RETURN_IF_ERROR(CheckExpectation(s, s.expect(i), i));
  }
  return Status::Ok();
}

StatusOr<std::vector<v1::Nation>> ParseNations(std::string_view list, v1::Nation sender) {
  std::vector<v1::Nation> out;
  if (list.empty() || list == "all" || list == "ALL") {
    for (v1::Nation n : {v1::NATION_US, v1::NATION_JP, v1::NATION_KR}) {
      if (n != sender) out.push_back(n);
    }
    return out;
  }
  for (size_t pos = 0; pos <= list.size();) {
    size_t comma = std::min(list.find(',', pos), list.size());
    std::string_view one = list.substr(pos, comma - pos);
    pos = comma + 1;
    auto n = ParseNation(one);
    if (!n.ok()) {
      return InvalidArgumentError("\"" + std::string(one) + "\" is not US, JP or KR");
    }
    if (std::find(out.begin(), out.end(), *n) == out.end()) out.push_back(*n);
  }
  return out;
}

int64_t DurationMs(const google::protobuf::Duration& d) {
  return d.seconds() * 1000 + d.nanos() / 1'000'000;
}

int64_t ScaledMs(const google::protobuf::Duration& d, double speed) {
  int64_t ms = DurationMs(d);
  if (ms <= 0) return 0;
  return std::max<int64_t>(1, std::llround(static_cast<double>(ms) / speed));  // never "0 = none"
}

bool SendsMessage(const v1::Inject& in) {
  return in.has_send() || in.has_warn() || in.has_consult();
}

v1::Nation Actor(const v1::Inject& in) {
  std::string who;
  switch (in.action_case()) {
    case v1::Inject::kSend:
      who = in.send().from();
      break;
    case v1::Inject::kWarn:
      who = in.warn().from();
      break;
    case v1::Inject::kConsult:
      who = in.consult().from();
      break;
    case v1::Inject::kAnswer:
      who = in.answer().by();
      break;
    case v1::Inject::kAck:
      who = in.ack().by();
      break;
    case v1::Inject::kTrack:
      who = in.track().from();
      break;
    case v1::Inject::kOffline:
      who = in.offline().nation();
      break;
    default:
      return v1::NATION_UNSPECIFIED;
  }
  auto n = ParseNation(who);
  return n.ok() ? *n : v1::NATION_UNSPECIFIED;
}

std::vector<v1::Nation> Recipients(const v1::Inject& in) {
  std::string to;
  switch (in.action_case()) {
    case v1::Inject::kSend:
      to = in.send().to();
      break;
    case v1::Inject::kWarn:
      to = in.warn().to();
      break;
    case v1::Inject::kConsult:
      to = in.consult().to();
      break;
    case v1::Inject::kTrack:
      to = in.track().to();
      break;
    default:
      return {};
  }
  auto n = ParseNations(to, Actor(in));
  return n.ok() ? *n : std::vector<v1::Nation>{};
}

bool IsResponse(const v1::Inject& in) { return in.has_answer() || in.has_ack(); }

std::string RespondsTo(const v1::Inject& in) {
  if (in.has_answer()) return in.answer().consultation();
  if (in.has_ack()) return in.ack().message();
  return "";
}

std::vector<v1::Nation> ExpectedBy(const v1::Scenario& s, const v1::Expectation& e) {
  const v1::Inject* in = FindInject(s, e.inject());
  if (in == nullptr) return {};
  if (e.by().empty()) return Recipients(*in);
  auto by = ParseNations(e.by(), Actor(*in));
  return by.ok() ? *by : std::vector<v1::Nation>{};
}

const v1::Inject* FindInject(const v1::Scenario& s, std::string_view id) {
  for (const auto& in : s.injects()) {
    if (in.id() == id) return &in;
  }
  return nullptr;
}

std::vector<const v1::Inject*> PlayOrder(const v1::Scenario& s) {
  std::vector<const v1::Inject*> order;
  for (const auto& in : s.injects()) order.push_back(&in);
  std::stable_sort(order.begin(), order.end(), [](const v1::Inject* a, const v1::Inject* b) {
    return DurationMs(a->at()) < DurationMs(b->at());
  });
  return order;
}

int64_t EndOffsetMs(const v1::Scenario& s, double speed) {
  int64_t end = 0;
  for (const auto& in : s.injects()) {
    int64_t lasts = 0;
    if (in.has_track()) {
      lasts = in.track().has_duration() ? DurationMs(in.track().duration()) : kDefaultTrackMs;
    }
    if (in.has_relay()) lasts = DurationMs(in.relay().duration());
    if (in.has_offline()) lasts = DurationMs(in.offline().duration());
    end = std::max(end, DurationMs(in.at()) + lasts);
  }
  for (const auto& e : s.expect()) {
    const v1::Inject* in = FindInject(s, e.inject());
    if (in != nullptr) end = std::max(end, DurationMs(in->at()) + DurationMs(e.within()));
  }
  return static_cast<int64_t>(std::llround(static_cast<double>(end) / speed));
}

}  // namespace hotline::exercise
