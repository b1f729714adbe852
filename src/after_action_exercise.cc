// An exercise's expected responses judged against the after-action report:
// which message each inject sent comes from the runner's record; when it
// was delivered, acknowledged or answered comes from the verified logs.
#include <cctype>
#include <map>
#include <set>

#include "hotline/after_action.h"
#include "hotline/certs.h"
#include "hotline/exercise.h"

namespace hotline::report {

v1::ReportExercise JudgeExercise(const v1::ExerciseRecord& record,
                                 const v1::AfterActionReport& report) {
  v1::ReportExercise out;
  const v1::Scenario& scenario = record.scenario();
  double speed = record.speed() > 0 ? record.speed() : 1;
  out.set_name(scenario.name());
  out.set_title(scenario.title());
  out.set_speed(speed);
  out.set_started_at_ms(record.started_at_ms());
  std::set<std::string> unverified;  // actors whose logs were left out
  for (const auto& log : report.logs()) {
    if (!log.intact()) unverified.insert(log.origin());
  }
  std::map<std::string, const v1::PlayedInject*> played;
  for (const auto& p : record.injects()) {
    *out.add_injects() = p;
    played[p.id()] = &p;
  }
  std::map<std::string, const v1::ReportMessage*> messages;
  for (const auto& m : report.messages()) messages[m.message_id()] = &m;
  std::map<std::string, const v1::ReportConsultation*> consultations;
  for (const auto& c : report.consultations()) consultations[c.message_id()] = &c;

  for (const auto& e : scenario.expect()) {
    for (v1::Nation by : exercise::ExpectedBy(scenario, e)) {
      auto* x = out.add_expected();
      x->set_inject(e.inject());
      x->set_by(by);
      x->set_response(e.response());
      x->set_deadline_ms(exercise::ScaledMs(e.within(), speed));
      auto p = played.find(e.inject());
      if (p == played.end() || !p->second->ok() || p->second->message_ids().empty()) {
        x->set_verdict("not-sent");
        out.set_missing(out.missing() + 1);
        continue;
      }
      x->set_message_id(p->second->message_ids(0));
      // Every time judged here is in the sender's log.
      const v1::Inject* in = exercise::FindInject(scenario, e.inject());
      std::string sender = in ? "node-" + NationCode(exercise::Actor(*in)) : "";
      for (char& ch : sender) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (unverified.count(sender)) {
        x->set_verdict("unverified");
        out.set_missing(out.missing() + 1);
        continue;
      }
      int64_t took = 0;
      if (e.response() == "answered") {
        auto c = consultations.find(x->message_id());
        if (c != consultations.end()) {
          for (const auto& a : c->second->answers()) {
            if (a.nation() == by) took = a.answered_ms();
          }
        }
      } else {
        auto m = messages.find(x->message_id());
        if (m != messages.end()) {
          for (const auto& rc : m->second->recipients()) {
            if (rc.nation() != by) continue;
            took = e.response() == "delivered" ? rc.delivered_ms() : rc.acknowledged_ms();
          }
        }
      }
      x->set_response_ms(took);
      if (took == 0) {
        x->set_verdict("missing");
        out.set_missing(out.missing() + 1);
      } else if (took <= x->deadline_ms()) {
        x->set_verdict("met");
        out.set_met(out.met() + 1);
      } else {
        x->set_verdict("late");
        x->set_late_by_ms(took - x->deadline_ms());
        out.set_late(out.late() + 1);
      }
    }
  }
  return out;
}

}  // namespace hotline::report
