// Scenario files (include/hotline/exercise.h) and the report's judgment of
// their expected responses (JudgeExercise), without processes.
#include "hotline/exercise.h"

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/format.h"
#include "hotline/after_action.h"

namespace hotline::exercise {
namespace {

std::string Slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ExerciseTest, EveryShippedScenarioParsesAndNamesItsParts) {
  int found = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(HOTLINE_SOURCE_DIR) + "/exercises")) {
    if (entry.path().extension() != ".json") continue;
    ++found;
    auto s = ParseScenario(Slurp(entry.path()));
    ASSERT_TRUE(s.ok()) << entry.path() << ": " << s.status().message();
    EXPECT_FALSE(s->title().empty()) << entry.path();
    EXPECT_FALSE(s->expect().empty()) << entry.path();
  }
  EXPECT_EQ(found, 3);
}

// One mistake at a time: each is refused before anything starts, naming
// the inject or expectation and what is wrong.
TEST(ExerciseTest, MistakesAreRefusedWithWhereAndWhat) {
  const std::string head = R"({"version": 1, "name": "t", "injects": [
      {"id": "m", "at": "1s", "send": {"from": "US", "to": "JP", "text": "x"}})";
  const std::pair<std::string, std::string> cases[] = {
      {head + R"(, {"id": "m", "send": {"from": "US", "text": "y"}}]})",
       "inject \"m\" is defined twice"},
      {head + R"(, {"id": "a", "ack": {"by": "KR", "message": "m"}}]})",
       "inject \"a\": KR is not a recipient of \"m\""},
      {head +
           R"(, {"id": "a", "answer": {"by": "JP", "consultation": "m", "position": "concur"}}]})",
       "inject \"a\": inject \"m\" is not a consultation"},
      {head +
           R"(, {"id": "w", "warn": {"from": "KR", "warning": {"status": "STATUS_ACTUAL", "event_id": "e"}}}]})",
       "inject \"w\": an exercise never sends an ACTUAL warning"},
      {head + R"(, {"id": "r", "relay": {"relay": 3, "action": "kill"}}]})",
       "inject \"r\": relay must be 1..2"},
      {head + R"(, {"id": "r", "relay": {"relay": 1, "action": "reboot"}}]})", "kill or freeze"},
      {head + R"(, {"id": "o", "offline": {"nation": "JP"}}]})",
       "inject \"o\": duration must be more than 0"},
      {head + R"(, {"id": "s", "send": {"from": "US", "to": "US", "text": "me"}}]})",
       "a nation does not send to itself"},
      {head + R"(, {"id": "s", "send": {"from": "XX", "text": "me"}}]})",
       "from must name one nation"},
      {head + R"(, {"id": "bad id!", "send": {"from": "US", "text": "me"}}]})", "an id is 1..64"},
      {head + R"(, {"id": "n", "at": "1s"}]})", "inject \"n\": says nothing to do"},
      {head + R"(], "expect": [{"inject": "m", "response": "answered", "within": "1s"}]})",
       "expectation 1 (inject \"m\"): only a consultation is answered"},
      {head +
           R"(], "expect": [{"inject": "m", "by": "KR", "response": "delivered", "within": "1s"}]})",
       "KR is not a recipient"},
      {head + R"(], "expect": [{"inject": "m", "response": "delivered"}]})",
       "within must be more than 0"},
      {head +
           R"(], "expect": [{"inject": "m", "by": "KR", "response": "delivered", "within": "1s"}]})",
       "expectation 1 (inject \"m\"): KR is not a recipient"},
      {head + R"(], "expect": [{"inject": "m", "response": "delivered", "within": "2m"}]})",
       "not a scenario"},
      {head + R"(], "surprise": 1})", "not a scenario"},
      {R"({"version": 1, "name": "Capital", "injects": []})", "needs a name"},
      {head +
           R"(, {"id": "k", "at": "2s", "relay": {"relay": 1, "action": "kill", "duration": "10s"}},
          {"id": "f", "at": "5s", "relay": {"relay": 1, "action": "freeze"}}]})",
       "inject \"f\": relay-1 is already faulted by \"k\""},
      {head + R"(, {"id": "o1", "at": "0s", "offline": {"nation": "KR", "duration": "60s"}},
          {"id": "o2", "at": "30s", "offline": {"nation": "kr", "duration": "60s"}}]})",
       "inject \"o2\": KR is already faulted by \"o1\""},
      {head + R"(, {"id": "t", "track": {"from": "US", "track_id": "T1", "sensor": ")" +
           std::string(65, 's') + R"("}}]})",
       "inject \"t\": track id and source sensor must be printable"},
      {head +
           R"(, {"id": "c", "consult": {"from": "JP", "topic": "t", "question": "q", "respond_within": "0s"}}]})",
       "respond_within must be more than 0"},
  };
  for (const auto& [json, want] : cases) {
    auto s = ParseScenario(json);
    ASSERT_FALSE(s.ok()) << json;
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(s.status().message().find(want), std::string::npos)
        << "want \"" << want << "\" in: " << s.status().message();
  }
}

TEST(ExerciseTest, SpeedScalesTimesAndTheEndIsTheLastDeadline) {
  auto s = ParseScenario(R"({"version": 1, "name": "t", "injects": [
      {"id": "late", "at": "60s", "send": {"from": "US", "text": "b"}},
      {"id": "early", "at": "10s", "send": {"from": "US", "text": "a"}},
      {"id": "dark", "at": "20s", "offline": {"nation": "KR", "duration": "300s"}}],
    "expect": [{"inject": "early", "response": "acknowledged", "within": "600s"}]})");
  ASSERT_TRUE(s.ok()) << s.status().message();
  auto order = PlayOrder(*s);
  ASSERT_EQ(order.size(), 3u);
  EXPECT_EQ(order[0]->id(), "early");
  EXPECT_EQ(order[2]->id(), "late");
  EXPECT_EQ(ScaledMs(order[2]->at(), 10), 6'000);
  EXPECT_EQ(ScaledMs(order[2]->at(), 1000), 60);
  google::protobuf::Duration tiny;
  tiny.set_nanos(400'000'000);
  EXPECT_EQ(ScaledMs(tiny, 1000), 1);  // not 0, which would mean "for good"
  EXPECT_EQ(ScaledMs(google::protobuf::Duration(), 1000), 0);
  EXPECT_EQ(EndOffsetMs(*s, 1), 610'000);  // early + 600 s, after KR's return at 320 s
  EXPECT_EQ(EndOffsetMs(*s, 10), 61'000);
  auto by = ExpectedBy(*s, s->expect(0));
  EXPECT_EQ(by, (std::vector<v1::Nation>{v1::NATION_JP, v1::NATION_KR}));
}

TEST(ExerciseTest, TheReportJudgesEachExpectedResponse) {
  auto scenario = ParseScenario(R"({"version": 1, "name": "t", "injects": [
      {"id": "call", "send": {"from": "US", "channel": "crisis", "text": "a"}},
      {"id": "ask", "consult": {"from": "JP", "to": "US", "topic": "t", "question": "q"}},
      {"id": "never", "send": {"from": "KR", "text": "c"}}],
    "expect": [{"inject": "call", "response": "acknowledged", "within": "10s"},
               {"inject": "ask", "response": "answered", "within": "60s"},
               {"inject": "never", "by": "US", "response": "delivered", "within": "1s"}]})");
  ASSERT_TRUE(scenario.ok()) << scenario.status().message();
  v1::ExerciseRecord record;
  *record.mutable_scenario() = *scenario;
  record.set_speed(2);  // deadlines halve: 5 s and 30 s
  auto* call = record.add_injects();
  call->set_id("call");
  call->set_ok(true);
  call->add_message_ids("aa");
  auto* ask = record.add_injects();
  ask->set_id("ask");
  ask->set_ok(true);
  ask->add_message_ids("bb");
  auto* never = record.add_injects();
  never->set_id("never");
  never->set_ok(false);
  never->set_outcome("not played: KR is offline");

  v1::AfterActionReport report;
  auto* m = report.add_messages();
  m->set_message_id("aa");
  auto* jp = m->add_recipients();
  jp->set_nation(v1::NATION_JP);
  jp->set_acknowledged_ms(4'000);
  auto* kr = m->add_recipients();
  kr->set_nation(v1::NATION_KR);
  kr->set_acknowledged_ms(7'500);
  auto* c = report.add_consultations();
  c->set_message_id("bb");
  c->add_answers()->set_nation(v1::NATION_US);  // no answer

  v1::ReportExercise x = report::JudgeExercise(record, report);
  ASSERT_EQ(x.expected_size(), 4);
  EXPECT_EQ(x.expected(0).verdict(), "met");  // JP, 4 s of 5 s
  EXPECT_EQ(x.expected(1).verdict(), "late");
  EXPECT_EQ(x.expected(1).late_by_ms(), 2'500);
  EXPECT_EQ(x.expected(2).verdict(), "missing");
  EXPECT_EQ(x.expected(2).deadline_ms(), 30'000);
  EXPECT_EQ(x.expected(3).verdict(), "not-sent");
  EXPECT_EQ(x.met(), 1u);
  EXPECT_EQ(x.late(), 1u);
  EXPECT_EQ(x.missing(), 2u);
  std::string html = report::RenderHtml([&] {
    v1::AfterActionReport r = report;
    *r.mutable_exercise() = x;
    return r;
  }());
  EXPECT_NE(html.find("LATE by 2.5 s"), std::string::npos);
  EXPECT_NE(html.find("NOT SENT"), std::string::npos);
}

TEST(ExerciseTest, ExerciseTrafficSaysSoInTheInbox) {
  v1::InboxEntry e;
  e.mutable_body()->mutable_text()->set_text("Leaders' call");
  e.mutable_body()->mutable_exercise()->set_exercise("drill");
  e.mutable_body()->mutable_exercise()->set_inject("call");
  EXPECT_NE(cli::FormatInboxLine(e).find("[EXERCISE] Leaders' call"), std::string::npos)
      << cli::FormatInboxLine(e);
  EXPECT_NE(cli::FormatInboxEntry(e).find("*** EXERCISE drill, inject call"), std::string::npos);
}

}  // namespace
}  // namespace hotline::exercise
