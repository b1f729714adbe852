#include "hotline/after_action.h"

#include <algorithm>
#include <climits>
#include <map>
#include <set>

#include "hotline/bytes.h"
#include "hotline/certs.h"
#include "hotline/history.h"
#include "hotline/names.h"
#include "hotline/text.h"

namespace hotline::report {

namespace {

constexpr size_t kMaxEventsPerLane = 5000;

bool IsOperatorTraffic(const v1::AuditRecord& sent) {
  return !sent.operator_name().empty() && sent.operator_name() != "node";
}

std::string Hex(const std::string& id) { return ToHex(AsBytes(id)); }

std::string EventKind(const v1::AuditRecord& r) {
  switch (r.event()) {
    case v1::AUDIT_EVENT_START:
      return "start";
    case v1::AUDIT_EVENT_STOP:
      return "stop";
    case v1::AUDIT_EVENT_SENT:
      return "sent";
    case v1::AUDIT_EVENT_ACCEPTED:
      return "accepted";
    case v1::AUDIT_EVENT_FORWARDED:
      return "forwarded";
    case v1::AUDIT_EVENT_DELIVERED:
      return "delivered";
    case v1::AUDIT_EVENT_RECEIPT_RECEIVED:
      return "receipted";
    case v1::AUDIT_EVENT_ACKNOWLEDGED:
      return "acknowledged";
    case v1::AUDIT_EVENT_OVERDUE:
      return "overdue";
    case v1::AUDIT_EVENT_ESCALATED:
      return "escalated";
    case v1::AUDIT_EVENT_CONSULT_CHANGED:
      return "consultation";
    case v1::AUDIT_EVENT_HANDSHAKE_ACCEPTED:
      return "link-up";
    case v1::AUDIT_EVENT_LINK_CLOSED:
      return "link-down";
    case v1::AUDIT_EVENT_INPUT_REJECTED:
      return "rejected";
    case v1::AUDIT_EVENT_ALERT:
      return "alert";
    case v1::AUDIT_EVENT_EXPIRED:
      return "expired";
    case v1::AUDIT_EVENT_TRACK_SUMMARY:
      return "track-summary";
    case v1::AUDIT_EVENT_PATH_TEST:
      return "path-test";
    default:
      return "";  // not on the timeline (checkpoints, epoch keys, logins, ...)
  }
}

std::string EventText(const v1::AuditRecord& r) {
  std::string text;
  auto add = [&](const std::string& part) {
    if (!part.empty()) text += (text.empty() ? "" : " ") + part;
  };
  if (r.precedence() != v1::PRECEDENCE_UNSPECIFIED) add(PrecedenceText(r.precedence()));
  if (r.channel() != v1::CHANNEL_UNSPECIFIED) add(ChannelText(r.channel()));
  if (r.peer() != v1::NATION_UNSPECIFIED) add(NationCode(r.peer()));
  add(r.peer_subject());
  add(r.reason());
  add(r.detail());
  if (!r.operator_name().empty()) add("by " + r.operator_name());
  return Printable(text, {.max_code_points = 200});
}

// A node's PATH_TEST record (PROTOCOL.md §13): tallied by path.
void TallyPathTest(const v1::AuditRecord& r, v1::Nation self,
                   std::map<std::string, v1::ReportPathTest>& tallies, v1::ReportCounts& counts) {
  std::string name = NationCode(self) + " → " +
                     Printable(r.peer_subject(), {.max_code_points = 64}) + " → " +
                     NationCode(r.peer());
  v1::ReportPathTest& t = tallies[name];
  t.set_path(name);
  if (r.detail() == "failed") {
    counts.set_path_test_failures(counts.path_test_failures() + 1);
    t.set_failures(t.failures() + 1);
    if (t.first_failed_at_ms() == 0) t.set_first_failed_at_ms(r.at_ms());
    t.set_last_failed_at_ms(r.at_ms());
    t.set_restored_at_ms(0);
    t.set_last_reason(Printable(r.reason(), {.max_code_points = 200}));
  } else if (r.detail() == "restored") {
    t.set_restored_at_ms(r.at_ms());
  }
}

int64_t Median(std::vector<int64_t> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[(v.size() - 1) / 2];
}

int64_t Worst(const std::vector<int64_t>& v) {
  return v.empty() ? 0 : *std::max_element(v.begin(), v.end());
}

}  // namespace

std::vector<int64_t> HistogramBounds() {
  return {1'000, 2'000, 5'000, 10'000, 30'000, 60'000, 120'000, 300'000, 600'000, INT64_MAX};
}

ReportBuilder::ReportBuilder(std::string run, int64_t generated_at_ms)
    : run_(std::move(run)), generated_at_ms_(generated_at_ms) {}

void ReportBuilder::AddLog(const v1::AuditVerification& verification,
                           std::vector<v1::AuditRecord> records) {
  logs_.push_back(verification);
  if (verification.intact()) records_.push_back(std::move(records));
}

v1::AfterActionReport ReportBuilder::Build() const {
  v1::AfterActionReport out;
  out.set_version(1);
  out.set_run(run_);
  out.set_generated_at_ms(generated_at_ms_);
  bool verified = !logs_.empty();
  for (const auto& log : logs_) {
    *out.add_logs() = log;
    verified = verified && log.intact();
  }
  out.set_verified(verified);
  *out.mutable_history() = history_;

  // Index what each node's log says about each message (and recipient).
  struct Tiers {
    int64_t accepted = 0, receipted = 0, acknowledged = 0;
    std::string acknowledged_by;
    bool delivery_overdue = false, ack_overdue = false;
    uint32_t escalations = 0;
  };
  std::map<std::string, const v1::AuditRecord*> sent;  // by message id
  std::vector<const v1::AuditRecord*> sent_order;
  std::map<std::string, int64_t> accepted;                    // id -> first ACCEPTED at the sender
  std::map<std::pair<std::string, int>, Tiers> tiers;         // (id, recipient)
  std::map<std::pair<std::string, int>, std::string> ack_by;  // recipient's own ACKNOWLEDGED record
  std::map<std::string, v1::ReportPathTest> path_tests;       // by path name
  int64_t first = 0, last = 0;
  v1::ReportCounts counts;
  for (const auto& log : records_) {
    if (log.empty()) continue;
    auto* lane = out.add_lanes();
    lane->set_actor(log.front().actor());
    bool at_node = log.front().actor().rfind("node-", 0) == 0;
    v1::Nation self = NationOfActor(log.front().actor());
    for (const auto& r : log) {
      if (r.at_ms() > 0) {
        first = first == 0 ? r.at_ms() : std::min(first, r.at_ms());
        last = std::max(last, r.at_ms());
      }
      std::string kind = EventKind(r);
      if (!kind.empty() && lane->events_size() < static_cast<int>(kMaxEventsPerLane)) {
        auto* e = lane->add_events();
        e->set_at_ms(r.at_ms());
        e->set_kind(kind);
        e->set_text(EventText(r));
        if (!r.message_id().empty()) e->set_message_id(Hex(r.message_id()));
      }
      if (r.event() == v1::AUDIT_EVENT_ALERT) counts.set_alerts(counts.alerts() + 1);
      if (r.event() == v1::AUDIT_EVENT_INPUT_REJECTED) counts.set_rejected(counts.rejected() + 1);
      if (r.event() == v1::AUDIT_EVENT_ALERT &&
          r.reason().find("STREAM GAP") != std::string::npos &&
          r.reason().find("missing") != std::string::npos) {
        counts.set_gaps(counts.gaps() + 1);
      }
      if (!at_node) continue;
      if (r.event() == v1::AUDIT_EVENT_LINK_CLOSED) counts.set_failovers(counts.failovers() + 1);
      if (r.event() == v1::AUDIT_EVENT_PATH_TEST) TallyPathTest(r, self, path_tests, counts);
      const std::string& id = r.message_id();
      switch (r.event()) {
        case v1::AUDIT_EVENT_SENT:
          if (!sent.count(id)) {
            sent[id] = &r;
            sent_order.push_back(&r);
          }
          break;
        case v1::AUDIT_EVENT_ACCEPTED:
          if (!accepted.count(id)) accepted[id] = r.at_ms();
          break;
        case v1::AUDIT_EVENT_RECEIPT_RECEIVED: {
          auto& t = tiers[{id, r.peer()}];
          if (t.receipted == 0) t.receipted = r.at_ms();
          break;
        }
        case v1::AUDIT_EVENT_ACKNOWLEDGED:
          if (r.peer() != v1::NATION_UNSPECIFIED && !r.operator_name().empty()) {
            // The recipient's own record: its operator acknowledged (peer = sender).
            ack_by[{id, self}] = r.operator_name();
          } else {
            auto& t = tiers[{id, r.peer()}];
            if (t.acknowledged == 0) t.acknowledged = r.at_ms();
          }
          break;
        case v1::AUDIT_EVENT_OVERDUE: {
          auto& t = tiers[{id, r.peer()}];
          if (r.reason().find("not delivered") != std::string::npos) t.delivery_overdue = true;
          if (r.reason().find("not acknowledged") != std::string::npos) t.ack_overdue = true;
          break;
        }
        case v1::AUDIT_EVENT_ESCALATED: {
          auto& t = tiers[{id, r.peer()}];
          ++t.escalations;
          break;
        }
        default:
          break;
      }
    }
  }
  out.set_started_at_ms(first);
  out.set_ended_at_ms(last);
  for (auto& [name, tally] : path_tests) {
    if (tally.failures() > 0) *out.add_path_tests() = std::move(tally);
  }

  // Messages and their tiers, measured from sending on the sender's clock.
  struct Sample {
    std::vector<int64_t> deliver, acknowledge;
    uint32_t pairs = 0, met = 0, missed = 0;
  };
  std::map<std::pair<int, int>, Sample> samples;  // (sender, -precedence): FLASH first
  std::vector<int64_t> bounds = HistogramBounds();
  std::vector<uint32_t> buckets(bounds.size(), 0);
  for (const v1::AuditRecord* s : sent_order) {
    if (!IsOperatorTraffic(*s)) continue;
    auto* m = out.add_messages();
    m->set_message_id(Hex(s->message_id()));
    m->set_sender(NationOfActor(s->actor()));
    m->set_channel(s->channel());
    m->set_precedence(s->precedence());
    m->set_sent_at_ms(s->at_ms());
    m->set_operator_name(Printable(s->operator_name(), {.max_code_points = 64}));
    auto since = [&](int64_t at) { return at > 0 ? std::max<int64_t>(1, at - s->at_ms()) : 0; };
    Sample& sample = samples[{m->sender(), -m->precedence()}];
    for (int n : s->recipients()) {
      auto t = tiers.find({s->message_id(), n});
      Tiers none;
      const Tiers& got = t == tiers.end() ? none : t->second;
      auto* rc = m->add_recipients();
      rc->set_nation(static_cast<v1::Nation>(n));
      auto acc = accepted.find(s->message_id());
      rc->set_accepted_ms(acc == accepted.end() ? 0 : since(acc->second));
      rc->set_receipted_ms(since(got.receipted));
      rc->set_delivered_ms(rc->receipted_ms());
      rc->set_acknowledged_ms(since(got.acknowledged));
      auto by = ack_by.find({s->message_id(), n});
      if (by != ack_by.end())
        rc->set_acknowledged_by(Printable(by->second, {.max_code_points = 64}));
      rc->set_delivery_overdue(got.delivery_overdue);
      rc->set_acknowledgment_overdue(got.ack_overdue);
      rc->set_escalations(got.escalations);
      ++sample.pairs;
      counts.set_sent(counts.sent() + 1);
      counts.set_escalations(counts.escalations() + got.escalations);
      if (rc->receipted_ms() > 0) {
        sample.deliver.push_back(rc->receipted_ms());
        counts.set_delivered(counts.delivered() + 1);
      }
      if (rc->acknowledged_ms() > 0) {
        sample.acknowledge.push_back(rc->acknowledged_ms());
        counts.set_acknowledged(counts.acknowledged() + 1);
        for (size_t b = 0; b < bounds.size(); ++b) {
          if (rc->acknowledged_ms() <= bounds[b]) {
            ++buckets[b];
            break;
          }
        }
      }
      bool missed = got.delivery_overdue || got.ack_overdue;
      (missed ? sample.missed : sample.met)++;
      if (missed) counts.set_deadlines_missed(counts.deadlines_missed() + 1);
    }
  }
  for (const auto& [key, sample] : samples) {
    auto* st = out.add_stats();
    st->set_sender(static_cast<v1::Nation>(key.first));
    st->set_precedence(static_cast<v1::Precedence>(-key.second));
    st->set_messages(sample.pairs);
    st->set_delivered(static_cast<uint32_t>(sample.deliver.size()));
    st->set_deliver_median_ms(Median(sample.deliver));
    st->set_deliver_worst_ms(Worst(sample.deliver));
    st->set_acknowledged(static_cast<uint32_t>(sample.acknowledge.size()));
    st->set_acknowledge_median_ms(Median(sample.acknowledge));
    st->set_acknowledge_worst_ms(Worst(sample.acknowledge));
    st->set_deadlines_met(sample.met);
    st->set_deadlines_missed(sample.missed);
  }
  for (size_t b = 0; b < bounds.size(); ++b) {
    out.mutable_acknowledgment_histogram()->add_upper_bounds_ms(bounds[b]);
    out.mutable_acknowledgment_histogram()->add_counts(buckets[b]);
  }

  // Consultations, from the requester's own records.
  for (const auto& log : records_) {
    std::map<std::string, v1::ReportConsultation*> open;
    for (const auto& r : log) {
      if (r.event() == v1::AUDIT_EVENT_CONSULT_CHANGED && r.detail() == "consultation requested") {
        auto* c = out.add_consultations();
        c->set_message_id(Hex(r.message_id()));
        c->set_requester(NationOfActor(r.actor()));
        c->set_asked_at_ms(r.at_ms());
        auto s = sent.find(r.message_id());
        if (s != sent.end()) {
          for (int n : s->second->recipients())
            c->add_answers()->set_nation(static_cast<v1::Nation>(n));
        }
        open[r.message_id()] = c;
        continue;
      }
      auto c = open.find(r.message_id());
      if (c == open.end() || r.peer() == v1::NATION_UNSPECIFIED) continue;
      for (auto& a : *c->second->mutable_answers()) {
        if (a.nation() != r.peer()) continue;
        if (r.event() == v1::AUDIT_EVENT_CONSULT_CHANGED && a.answered_ms() == 0) {
          a.set_answered_ms(std::max<int64_t>(1, r.at_ms() - c->second->asked_at_ms()));
          // detail: "KR answered NEED TIME"
          size_t at = r.detail().find(" answered ");
          a.set_position(at == std::string::npos ? "" : Printable(r.detail().substr(at + 10)));
        } else if (r.event() == v1::AUDIT_EVENT_OVERDUE) {
          a.set_overdue(true);
        }
      }
    }
  }
  *out.mutable_counts() = counts;
  if (exercise_) {
    *out.mutable_exercise() = JudgeExercise(*exercise_, out);
    auto* lane = out.add_lanes();  // the controller's lane, below the nodes' and relays'
    lane->set_actor("exercise");
    for (const auto& in : exercise_->injects()) {
      auto* e = lane->add_events();
      e->set_at_ms(in.played_at_ms() ? in.played_at_ms() : in.planned_at_ms());
      e->set_kind(in.ok() ? "inject" : "inject-not-played");
      e->set_text("[" + Printable(in.id()) + "] " + Printable(in.outcome()));
      if (!in.message_ids().empty()) e->set_message_id(in.message_ids(0));
    }
  }
  return out;
}

}  // namespace hotline::report
