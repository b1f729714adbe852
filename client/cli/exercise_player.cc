// The exercise player (hotline/exercise.h has the scenario rules): plays
// each inject at its time, follows the expected responses and writes the
// run's record. Talks to the nodes only through their control sockets.
#include "cli/exercise_player.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "cli/control_client.h"
#include "cli/exit_codes.h"
#include "hotline/certs.h"
#include "hotline/exercise.h"
#include "hotline/file_util.h"
#include "hotline/names.h"
#include "hotline/net_util.h"
#include "hotline/text.h"
#include "hotline/track_sim.h"

namespace hotline::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kTick{20};
constexpr milliseconds kResponseRetry{200};  // a scripted response looks for its message
constexpr milliseconds kExpectationPoll{250};
constexpr milliseconds kQuiesceLimit{60'000};  // after the end: every message receipted
constexpr milliseconds kGrace{10'000};         // past the end, for scripted responses still waiting

struct SentMessage {
  std::string id;  // raw 16 bytes
  v1::Nation sender = v1::NATION_UNSPECIFIED;
  std::vector<v1::Nation> recipients;
};

// A live track inject being published.
struct ActiveTrack {
  const v1::Inject* inject;
  Clock::time_point start;
  uint64_t steps = 0, next = 0, refused = 0;
  double rate = 10;
  std::string first_error;
};

// A fault's end, due at a time: thaw or restart a relay, bring a node back.
struct FaultEnd {
  Clock::time_point due;
  const v1::Inject* inject;
  bool done = false;
};

// One (expectation, nation) the exercise is watching for, for the live account.
struct Watch {
  const v1::Expectation* expectation;
  v1::Nation by;
  bool resolved = false;
  bool late_said = false;
};

class Player {
 public:
  Player(const PlayerOptions& o, v1::Scenario scenario, ExerciseCluster& cluster)
      : o_(o), scenario_(std::move(scenario)), cluster_(cluster) {
    if (!o.live.empty()) {
      auto live = exercise::ParseNations(o.live, v1::NATION_UNSPECIFIED);
      if (live.ok()) live_ = {live->begin(), live->end()};
    }
    operator_name_ = "exercise:" + scenario_.name();
  }

  int Play() {
    record_.set_version(1);
    *record_.mutable_scenario() = scenario_;
    record_.set_scenario_file(o_.scenario_file);
    record_.set_speed(o_.speed);
    for (v1::Nation n : live_) record_.add_live(NationCode(n));
    start_ = Clock::now();
    record_.set_started_at_ms(NowUnixMs());
    for (const auto& e : scenario_.expect()) {
      for (v1::Nation n : exercise::ExpectedBy(scenario_, e)) watches_.push_back({&e, n});
    }
    pending_ = exercise::PlayOrder(scenario_);
    const auto end = start_ + milliseconds(exercise::EndOffsetMs(scenario_, o_.speed));
    Say("exercise \"" + scenario_.name() + "\" started" +
        (o_.speed != 1 ? " at " + FormatSpeed() + " speed" : "") +
        "; ends when every inject is played and every expected response is in or overdue, by T+" +
        Seconds(end - start_) + " at the latest");
    while (!*o_.interrupted) {
      auto now = Clock::now();
      PlayDue(now);
      EndFaults(now, false);
      PublishTracks(now);
      if (now - last_poll_ >= kExpectationPoll) {
        PollExpectations(now);
        last_poll_ = now;
      }
      bool over = tracks_.empty() && FaultsOver();
      // A scripted response whose message never arrives gives up after the
      // grace; every other inject is played at its time.
      if (over && ((pending_.empty() && (now >= end || AllSettled())) || now >= end + kGrace)) {
        break;
      }
      std::this_thread::sleep_for(kTick);
    }
    for (const v1::Inject* in : pending_) {
      Played(*in, false,
             IsResponseWaiting(*in) ? "not played: " + waiting_[in->id()]
                                    : "not played: the exercise ended");
    }
    pending_.clear();
    if (*o_.interrupted) return WriteRecord();  // stopped: restart nothing, wait for nothing
    EndFaults(Clock::now(), true);
    Quiesce();
    PollExpectations(Clock::now());
    record_.set_ended_at_ms(NowUnixMs());
    return WriteRecord();
  }

 private:
  // ---- playing injects ----

  void PlayDue(Clock::time_point now) {
    for (auto it = pending_.begin(); it != pending_.end();) {
      const v1::Inject& in = **it;
      if (now < PlannedAt(in)) break;  // in play order: the rest are later
      if (TryPlay(in, now)) {
        it = pending_.erase(it);
      } else {
        ++it;
      }
    }
  }

  bool IsResponseWaiting(const v1::Inject& in) { return waiting_.count(in.id()) > 0; }

  // Every timed fault has ended (a freeze "until the end" does not count).
  bool FaultsOver() const {
    return std::all_of(ends_.begin(), ends_.end(), [](const FaultEnd& e) {
      return e.done || e.due == Clock::time_point::max();
    });
  }

  // Every expected response has come, or its deadline has passed (a late
  // one is still judged by the report, from the logs).
  bool AllSettled() const {
    return std::all_of(watches_.begin(), watches_.end(),
                       [](const Watch& w) { return w.resolved || w.late_said; });
  }

  // Plays `in`, or (a scripted response) says it still waits. True when done.
  bool TryPlay(const v1::Inject& in, Clock::time_point now) {
    v1::Nation actor = exercise::Actor(in);
    if (exercise::IsResponse(in)) {
      if (live_.count(actor)) {
        Played(in, false, "left to " + NationCode(actor) + "'s operators (--live)");
        return true;
      }
      auto target = sent_.find(exercise::RespondsTo(in));
      if (target == sent_.end()) {
        if (played_.count(exercise::RespondsTo(in))) {
          Played(in, false, "not played: \"" + exercise::RespondsTo(in) + "\" sent nothing");
          return true;
        }
        waiting_[in.id()] = "\"" + exercise::RespondsTo(in) + "\" was not played yet";
        return false;
      }
      if (now - last_try_[in.id()] < kResponseRetry) return false;
      last_try_[in.id()] = now;
      if (!cluster_.NodeRunning(actor)) {
        waiting_[in.id()] = NationCode(actor) + " offline";
        return false;
      }
      return Respond(in, target->second);
    }
    if (actor != v1::NATION_UNSPECIFIED && !in.has_offline() && !cluster_.NodeRunning(actor)) {
      Played(in, false, "not played: " + NationCode(actor) + " is offline");
      return true;
    }
    switch (in.action_case()) {
      case v1::Inject::kSend:
      case v1::Inject::kWarn:
      case v1::Inject::kConsult:
        SendMessage(in);
        break;
      case v1::Inject::kTrack:
        StartTrack(in, now);
        break;
      case v1::Inject::kRelay:
        RelayFault(in, now);
        break;
      case v1::Inject::kOffline:
        TakeOffline(in, now);
        break;
      default:
        Played(in, false, "nothing to do");
        break;
    }
    return true;
  }

  v1::ExerciseMark Mark(const v1::Inject& in) const {
    v1::ExerciseMark mark;
    mark.set_exercise(scenario_.name());
    mark.set_inject(in.id());
    return mark;
  }

  void SendMessage(const v1::Inject& in) {
    v1::ControlRequest req;
    auto* send = req.mutable_send();
    for (v1::Nation n : exercise::Recipients(in)) send->add_to(n);
    auto* body = send->mutable_body();
    *body->mutable_exercise() = Mark(in);
    std::string what;
    if (in.has_send()) {
      const auto& a = in.send();
      send->set_channel(a.channel().empty() ? v1::CHANNEL_GENERAL : *ParseChannelText(a.channel()));
      if (!a.precedence().empty()) send->set_precedence(*ParsePrecedenceText(a.precedence()));
      body->mutable_text()->set_text(a.text());
      what = ChannelText(send->channel()) + " message";
    } else if (in.has_warn()) {
      send->set_channel(v1::CHANNEL_MISSILE_WARNING);
      auto* w = body->mutable_missile_warning();
      *w = in.warn().warning();
      w->set_status(v1::MissileWarning::STATUS_EXERCISE);
      if (w->launch_time_ms() == 0) w->set_launch_time_ms(NowUnixMs());
      what = "missile warning " + Printable(w->event_id(), {.max_code_points = 40});
    } else {
      const auto& a = in.consult();
      send->set_channel(v1::CHANNEL_CONSULT);
      auto* c = body->mutable_consult_request();
      c->set_topic(a.topic());
      c->set_question(a.question());
      int64_t within = a.has_respond_within() ? exercise::ScaledMs(a.respond_within(), o_.speed)
                                              : static_cast<int64_t>(30 * 60'000 / o_.speed);
      c->set_respond_by_ms(NowUnixMs() + within);
      what = "consultation \"" + Printable(a.topic(), {.max_code_points = 40}) + "\"";
    }
    v1::Nation from = exercise::Actor(in);
    auto r = Call(from, req);
    if (!r.ok()) {
      Played(in, false, "not sent: " + r.status().message());
      return;
    }
    const std::string& id = r->send().message_id();
    sent_[in.id()] = {id, from, exercise::Recipients(in)};
    Played(in, true,
           NationCode(from) + " sent " + what + " to " + NationsText(exercise::Recipients(in)) +
               ": " + ToHex(AsBytes(id)),
           {ToHex(AsBytes(id))});
  }

  bool Respond(const v1::Inject& in, const SentMessage& target) {
    v1::Nation by = exercise::Actor(in);
    std::string hex = ToHex(AsBytes(target.id));
    v1::ControlRequest show;
    show.mutable_show()->set_id_prefix(hex);
    if (!Call(by, show).ok()) {
      waiting_[in.id()] = "not yet in " + NationCode(by) + "'s inbox";
      return false;
    }
    if (in.has_ack()) {
      v1::ControlRequest req;
      req.mutable_ack()->set_id_prefix(hex);
      req.mutable_ack()->set_reply_text(in.ack().reply());
      auto r = Call(by, req);
      if (!r.ok()) {
        Played(in, false, "not acknowledged: " + r.status().message());
        return true;
      }
      std::vector<std::string> ids;
      if (!r->ack().reply_message_id().empty()) {
        ids.push_back(ToHex(AsBytes(r->ack().reply_message_id())));
      }
      Played(in, true,
             NationCode(by) + " acknowledged \"" + exercise::RespondsTo(in) + "\"" +
                 (ids.empty() ? "" : " with a reply " + ids[0]),
             ids);
      return true;
    }
    v1::ControlRequest req;
    auto* send = req.mutable_send();
    send->add_to(target.sender);
    send->set_channel(v1::CHANNEL_CONSULT);
    auto* body = send->mutable_body();
    *body->mutable_exercise() = Mark(in);
    body->set_in_reply_to(target.id);
    auto* answer = body->mutable_consult_response();
    answer->set_consultation_id(target.id);
    answer->set_position(*ParsePositionText(in.answer().position()));
    answer->set_text(in.answer().text());
    auto r = Call(by, req);
    if (!r.ok()) {
      Played(in, false, "not answered: " + r.status().message());
      return true;
    }
    Played(in, true,
           NationCode(by) + " answered \"" + exercise::RespondsTo(in) +
               "\": " + PositionText(answer->position()),
           {ToHex(AsBytes(r->send().message_id()))});
    return true;
  }

  void StartTrack(const v1::Inject& in, Clock::time_point now) {
    const auto& t = in.track();
    ActiveTrack a{&in, now, 0, 0, 0, 10, {}};
    a.rate = t.rate() ? t.rate() : 10;
    int64_t flight_ms =
        t.has_duration() ? exercise::DurationMs(t.duration()) : exercise::kDefaultTrackMs;
    double seconds = static_cast<double>(flight_ms) / 1000.0 / o_.speed;
    a.steps = static_cast<uint64_t>(std::max(1.0, std::round(seconds * a.rate)));
    tracks_.push_back(a);
    Played(in, true,
           NationCode(exercise::Actor(in)) + " tracks " +
               Printable(t.track_id(), {.max_code_points = 40}) + " live to " +
               NationsText(exercise::Recipients(in)) + " (" + std::to_string(a.steps + 1) +
               " updates)");
  }

  void PublishTracks(Clock::time_point now) {
    for (auto it = tracks_.begin(); it != tracks_.end();) {
      ActiveTrack& a = *it;
      const auto& t = a.inject->track();
      v1::Nation from = exercise::Actor(*a.inject);
      auto due = a.start + std::chrono::duration_cast<Clock::duration>(
                               std::chrono::duration<double>(static_cast<double>(a.next) / a.rate));
      if (now >= due && cluster_.NodeRunning(from)) {
        track::BallisticFlight flight;
        flight.launch_latitude = t.launch_latitude();
        flight.launch_longitude = t.launch_longitude();
        flight.azimuth_degrees = t.azimuth_degrees();
        if (t.range_km() > 0) flight.range_m = t.range_km() * 1000;
        double fraction = static_cast<double>(a.next) / static_cast<double>(a.steps);
        v1::ControlRequest req;
        for (v1::Nation n : exercise::Recipients(*a.inject)) req.mutable_track_publish()->add_to(n);
        *req.mutable_track_publish()->mutable_update() = track::SimulatedUpdate(
            flight, fraction, t.track_id(), t.sensor().empty() ? "simulated sensor" : t.sensor(),
            v1::MissileWarning::STATUS_EXERCISE, NowUnixMs() * 1000);
        auto r = Call(from, req);  // a lost update is what the track summaries report
        if (!r.ok()) {
          ++a.refused;
          if (a.first_error.empty()) a.first_error = r.status().message();
        }
        ++a.next;
      } else if (now >= due) {
        ++a.next;  // its node is offline: that update is never measured
      }
      if (a.next > a.steps) {
        if (a.refused) {
          Say("[" + a.inject->id() + "] " + std::to_string(a.refused) + " of " +
              std::to_string(a.steps + 1) + " updates refused: " + a.first_error);
        }
        it = tracks_.erase(it);
      } else {
        ++it;
      }
    }
  }

  void RelayFault(const v1::Inject& in, Clock::time_point now) {
    const auto& f = in.relay();
    int r = static_cast<int>(f.relay());
    std::string name = "relay-" + std::to_string(r);
    int64_t lasts = exercise::ScaledMs(f.duration(), o_.speed);
    if (f.action() == "kill") {
      if (!cluster_.KillRelay(r))
        return Played(in, false, "not played: " + name + " is not running");
      Played(in, true,
             name + " killed (kill -9)" +
                 (lasts ? "; restarts at T+" + Seconds(now - start_ + milliseconds(lasts)) : ""));
      if (lasts) ends_.push_back({now + milliseconds(lasts), &in});
    } else {
      if (!cluster_.FreezeRelay(r)) {
        return Played(in, false, "not played: " + name + " is not running");
      }
      Played(in, true,
             name + " frozen (SIGSTOP)" +
                 (lasts ? " until T+" + Seconds(now - start_ + milliseconds(lasts))
                        : " until the end"));
      ends_.push_back({lasts ? now + milliseconds(lasts) : Clock::time_point::max(), &in});
    }
  }

  void TakeOffline(const v1::Inject& in, Clock::time_point now) {
    v1::Nation n = exercise::Actor(in);
    int64_t lasts = exercise::ScaledMs(in.offline().duration(), o_.speed);
    if (!cluster_.KillNode(n)) {
      return Played(in, false, "not played: " + NationCode(n) + " is already offline");
    }
    Played(in, true,
           NationCode(n) + " offline (its node killed) until T+" +
               Seconds(now - start_ + milliseconds(lasts)));
    ends_.push_back({now + milliseconds(lasts), &in});
  }

  // Ends the faults that are due (all of them at the end of the exercise).
  void EndFaults(Clock::time_point now, bool all) {
    for (auto& e : ends_) {
      if (e.done || (!all && now < e.due)) continue;
      e.done = true;
      const v1::Inject& in = *e.inject;
      std::string what;
      if (in.has_relay()) {
        int r = static_cast<int>(in.relay().relay());
        std::string name = "relay-" + std::to_string(r);
        if (in.relay().action() == "freeze") {
          what = cluster_.ThawRelay(r) ? name + " resumed (SIGCONT)" : name + " is not running";
        } else {
          Status st = cluster_.RestartRelay(r);
          what = st.ok() ? name + " restarted" : name + " did not restart: " + st.message();
        }
      } else {
        v1::Nation n = exercise::Actor(in);
        Status st = cluster_.RestartNode(n);
        what = st.ok() ? NationCode(n) + " back online"
                       : NationCode(n) + " did not restart: " + st.message();
      }
      Say("[" + in.id() + " ends] " + what);
    }
  }

  void Played(const v1::Inject& in, bool ok, const std::string& outcome,
              const std::vector<std::string>& ids = {}) {
    played_.insert(in.id());
    waiting_.erase(in.id());
    auto* p = record_.add_injects();
    p->set_id(in.id());
    p->set_planned_at_ms(record_.started_at_ms() + exercise::ScaledMs(in.at(), o_.speed));
    if (ok) p->set_played_at_ms(NowUnixMs());
    p->set_ok(ok);
    p->set_outcome(outcome);
    for (const auto& id : ids) p->add_message_ids(id);
    std::string note =
        in.note().empty() ? "" : "\n           " + Printable(in.note(), {.max_code_points = 200});
    Say(std::string(ok ? "" : "(") + "[" + in.id() + "] " + outcome + (ok ? "" : ")") + note);
  }

  // ---- the live account of expected responses ----

  void PollExpectations(Clock::time_point now) {
    std::map<std::string, v1::MessageStatus> status;         // by inject
    std::map<std::string, v1::ConsultationStatus> consults;  // by inject
    for (auto& w : watches_) {
      if (w.resolved) continue;
      const v1::Expectation& e = *w.expectation;
      auto sent = sent_.find(e.inject());
      int64_t deadline = exercise::ScaledMs(e.within(), o_.speed);
      const v1::Inject* in = exercise::FindInject(scenario_, e.inject());
      if (sent == sent_.end()) {
        if (played_.count(e.inject())) {
          w.resolved = true;
          Say("  " + NationCode(w.by) + " cannot be " + e.response() + " \"" + e.inject() +
              "\": it was never sent");
        }
        continue;
      }
      int64_t sent_at = 0, at = 0;
      if (e.response() == "answered") {
        if (!consults.count(e.inject())) {
          v1::ControlRequest req;
          req.mutable_consult_status()->set_id_prefix(ToHex(AsBytes(sent->second.id)));
          auto r = Call(sent->second.sender, req);
          if (!r.ok() || r->consult_status().consultations().empty()) continue;
          consults[e.inject()] = r->consult_status().consultations(0);
        }
        const auto& c = consults[e.inject()];
        sent_at = c.created_at_ms();
        for (const auto& a : c.answers()) {
          if (a.nation() == w.by && a.position() != v1::ConsultResponse::POSITION_UNSPECIFIED) {
            at = a.answered_at_ms();
          }
        }
      } else {
        if (!status.count(e.inject())) {
          v1::ControlRequest req;
          req.mutable_status()->set_id_prefix(ToHex(AsBytes(sent->second.id)));
          auto r = Call(sent->second.sender, req);
          if (!r.ok() || r->status().messages().empty()) continue;
          status[e.inject()] = r->status().messages(0);
        }
        const auto& m = status[e.inject()];
        sent_at = m.created_at_ms();
        for (const auto& rs : m.recipients()) {
          if (rs.recipient() != w.by) continue;
          at = e.response() == "delivered" ? rs.delivered_at_ms() : rs.acknowledged_at_ms();
        }
      }
      std::string what = NationCode(w.by) + " " + e.response() + " \"" + e.inject() + "\"";
      if (at > 0) {
        w.resolved = true;
        int64_t took = at - sent_at;
        Say("  " + what + " after " + FormatMs(took) +
            (took <= deadline ? " (expected within " + FormatMs(deadline) + ": met)"
                              : ": LATE by " + FormatMs(took - deadline) + " (expected within " +
                                    FormatMs(deadline) + ")"));
      } else if (!w.late_said &&
                 now - start_ > milliseconds(exercise::ScaledMs(in->at(), o_.speed) + deadline) &&
                 NowUnixMs() - sent_at > deadline) {
        w.late_said = true;
        Say("  " + what + ": not within " + FormatMs(deadline) + " (MISSED so far)");
      }
    }
  }

  // Waits (bounded) until every message sent is receipted by every recipient.
  void Quiesce() {
    auto limit = Clock::now() + kQuiesceLimit;
    for (v1::Nation n : {v1::NATION_US, v1::NATION_JP, v1::NATION_KR}) {
      while (!*o_.interrupted && Clock::now() < limit) {
        v1::ControlRequest req;
        req.mutable_status()->set_limit(500);
        auto r = Call(n, req);
        bool quiet = r.ok();
        if (quiet) {
          for (const auto& m : r->status().messages()) {
            for (const auto& rs : m.recipients()) {
              quiet = quiet && (rs.delivered_at_ms() > 0 || rs.expired_at_ms() > 0);
            }
          }
        }
        if (quiet) break;
        std::this_thread::sleep_for(milliseconds(100));
      }
    }
    if (Clock::now() >= limit) {
      Say("not every message was receipted within " + FormatMs(kQuiesceLimit.count()) +
          " of the end: the history check will say which");
    }
  }

  int WriteRecord() {
    std::string json;
    google::protobuf::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    options.add_whitespace = true;
    (void)google::protobuf::util::MessageToJsonString(record_, &json, options);
    fs::path path = fs::path(o_.run_dir) / "exercise.json";
    if (Status st = WriteFileAtomic(path, AsBytes(json), 0644); !st.ok()) return Fail(st);
    int played = 0, not_played = 0;
    for (const auto& p : record_.injects()) (p.ok() ? played : not_played)++;
    Say("exercise ended: " + std::to_string(played) + " injects played, " +
        std::to_string(not_played) + " not; record: " + path.string());
    return kExitOk;
  }

  // ---- helpers ----

  StatusOr<v1::ControlResponse> Call(v1::Nation n, v1::ControlRequest req) {
    HOTLINE_ASSIGN_OR_RETURN(auto client,
                             ControlClient::Connect(NodeSocketPath(cluster_.NodeDir(n).string())));
    req.set_operator_name(operator_name_);
    return client->Call(req, milliseconds(5000));
  }

  Clock::time_point PlannedAt(const v1::Inject& in) const {
    return start_ + milliseconds(exercise::ScaledMs(in.at(), o_.speed));
  }

  std::string FormatSpeed() const {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%gx", o_.speed);
    return buf;
  }

  static std::string Seconds(Clock::duration d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1fs", std::chrono::duration<double>(d).count());
    return buf;
  }

  static std::string FormatMs(int64_t ms) {
    if (ms < 1000) return std::to_string(ms) + " ms";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(ms) / 1000.0);
    return buf;
  }

  static std::string NationsText(const std::vector<v1::Nation>& nations) {
    std::string out;
    for (v1::Nation n : nations) out += (out.empty() ? "" : ",") + NationCode(n);
    return out;
  }

  void Say(const std::string& text) {
    std::cout << "T+" << Seconds(Clock::now() - start_) << "  " << text << std::endl;
  }

  const PlayerOptions& o_;
  v1::Scenario scenario_;
  ExerciseCluster& cluster_;
  std::set<v1::Nation> live_;
  std::string operator_name_;
  v1::ExerciseRecord record_;
  Clock::time_point start_, last_poll_;
  std::vector<const v1::Inject*> pending_;
  std::set<std::string> played_;
  std::map<std::string, std::string> waiting_;  // response inject -> why it waits
  std::map<std::string, Clock::time_point> last_try_;
  std::map<std::string, SentMessage> sent_;  // by inject
  std::vector<ActiveTrack> tracks_;
  std::vector<FaultEnd> ends_;
  std::vector<Watch> watches_;
};

}  // namespace

int PlayExercise(const PlayerOptions& options, const v1::Scenario& scenario,
                 ExerciseCluster& cluster) {
  Player player(options, scenario, cluster);
  return player.Play();
}

}  // namespace hotline::cli
