// Issue 18 against real processes: `hotline exercise run` plays a scenario
// with a deliberately missed deadline and the after-action report shows it
// (late by how much, and one response that never came); the shipped
// scenarios play cleanly; a scenario with a mistake starts nothing.
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <fstream>

#include "cluster.h"
#include "hotline/v1/exercise.pb.h"
#include "hotline/v1/report.pb.h"

namespace hotline::testing {
namespace {

template <typename Message>
Message ReadJson(const fs::path& path) {
  Message m;
  auto st = google::protobuf::util::JsonStringToMessage(ReadFileOrDie(path), &m);
  EXPECT_TRUE(st.ok()) << path << ": " << st.message();
  return m;
}

CommandResult Hotline(const TempDir& dir, const std::vector<std::string>& args,
                      const std::string& log_name) {
  std::vector<std::string> argv = {BinDir() + "/client/hotline"};
  argv.insert(argv.end(), args.begin(), args.end());
  fs::path out = dir.path() / log_name;
  ChildProcess p(argv, out.string());
  CommandResult r;
  r.exit_code = p.WaitFor(std::chrono::seconds(240)).value_or(-1);
  r.output = fs::exists(out) ? ReadFileOrDie(out) : "";
  return r;
}

// Plays `scenario` in DIR/run at `speed`, then reports on it.
v1::AfterActionReport PlayAndReport(const TempDir& dir, const std::string& scenario,
                                    const std::string& speed, std::string* played = nullptr) {
  fs::path run = dir.path() / "run";
  CommandResult r =
      Hotline(dir, {"exercise", "run", scenario, "--run-dir", run.string(), "--speed", speed},
              "exercise.out");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  if (played) *played = r.output;
  CommandResult report = Hotline(dir, {"report", run.string()}, "report.out");
  EXPECT_EQ(report.exit_code, 0) << report.output;
  EXPECT_NE(report.output.find("VERIFIED"), std::string::npos) << report.output;
  return ReadJson<v1::AfterActionReport>(run / "report.json");
}

TEST(ExerciseRunTest, AMissedDeadlineShowsInTheReport) {
  TempDir dir;
  fs::path scenario = dir.path() / "missed.json";
  std::ofstream(scenario) << R"({
    "version": 1, "name": "missed-deadline", "title": "A deliberately missed deadline",
    "injects": [
      {"id": "call", "at": "0s", "note": "US calls everyone",
       "send": {"from": "US", "to": "all", "channel": "crisis", "text": "Drill: acknowledge within 1 s"}},
      {"id": "warn", "at": "0.5s",
       "warn": {"from": "KR", "to": "US,JP", "warning": {"event_id": "DRILL-1", "source": "test"}}},
      {"id": "us-ack-warn", "at": "1s", "ack": {"by": "US", "message": "warn"}},
      {"id": "jp-ack-call", "at": "3s", "ack": {"by": "JP", "message": "call", "reply": "late, sorry"}}
    ],
    "expect": [
      {"inject": "call", "response": "acknowledged", "within": "1s"},
      {"inject": "warn", "by": "US", "response": "acknowledged", "within": "30s"}
    ]
  })";
  std::string played;
  v1::AfterActionReport report = PlayAndReport(dir, scenario.string(), "1", &played);
  EXPECT_NE(played.find("[call] US sent crisis message to JP,KR"), std::string::npos) << played;
  EXPECT_NE(played.find("JP acknowledged \"call\" after"), std::string::npos) << played;
  EXPECT_NE(played.find("LATE by"), std::string::npos) << played;
  EXPECT_NE(played.find("KR acknowledged \"call\": not within 1.0 s"), std::string::npos) << played;

  auto record = ReadJson<v1::ExerciseRecord>(dir.path() / "run" / "exercise.json");
  ASSERT_EQ(record.injects_size(), 4);
  for (const auto& in : record.injects()) {
    EXPECT_TRUE(in.ok()) << in.id() << ": " << in.outcome();
    EXPECT_GE(in.played_at_ms(), in.planned_at_ms()) << in.id();
  }
  EXPECT_EQ(record.injects(0).message_ids_size(), 1);

  ASSERT_TRUE(report.has_exercise());
  const auto& x = report.exercise();
  EXPECT_TRUE(report.history().clean());
  EXPECT_EQ(x.met(), 1u);
  EXPECT_EQ(x.late(), 1u);
  EXPECT_EQ(x.missing(), 1u);
  ASSERT_EQ(x.expected_size(), 3);
  for (const auto& e : x.expected()) {
    if (e.inject() == "call" && e.by() == v1::NATION_JP) {
      EXPECT_EQ(e.verdict(), "late");
      EXPECT_EQ(e.deadline_ms(), 1000);
      EXPECT_GT(e.response_ms(), 1000);
      EXPECT_EQ(e.late_by_ms(), e.response_ms() - 1000);
      EXPECT_EQ(e.message_id(), record.injects(0).message_ids(0));
    } else if (e.inject() == "call") {
      EXPECT_EQ(e.by(), v1::NATION_KR);
      EXPECT_EQ(e.verdict(), "missing");
      EXPECT_EQ(e.response_ms(), 0);
    } else {
      EXPECT_EQ(e.verdict(), "met") << e.inject();
    }
  }
  std::string html = ReadFileOrDie(dir.path() / "run" / "report.html");
  EXPECT_NE(html.find("Against the scenario"), std::string::npos);
  EXPECT_NE(html.find("data-verdict=\"late\""), std::string::npos);
  EXPECT_NE(html.find("data-verdict=\"missing\""), std::string::npos);
  EXPECT_NE(html.find("data-actor=\"exercise\""), std::string::npos);
}

TEST(ExerciseRunTest, TheRelayFailureScenarioLosesNothing) {
  TempDir dir;
  v1::AfterActionReport report = PlayAndReport(
      dir, std::string(HOTLINE_SOURCE_DIR) + "/exercises/02-relay-failure-mid-crisis.json", "4");
  EXPECT_TRUE(report.history().clean()) << report.history().ShortDebugString();
  EXPECT_GT(report.counts().failovers(), 0u);
  EXPECT_EQ(report.exercise().late(), 0u);
  EXPECT_EQ(report.exercise().missing(), 0u);
  EXPECT_EQ(report.exercise().met(), 12u);
}

// KR is offline for five scenario minutes (30 s at 10x): what was sent to
// it arrives when it is back, without loss, and its responses are late.
TEST(ExerciseRunTest, TheOfflineScenarioShowsWhatKrsAbsenceCost) {
  TempDir dir;
  v1::AfterActionReport report = PlayAndReport(
      dir, std::string(HOTLINE_SOURCE_DIR) + "/exercises/03-nation-offline.json", "10");
  EXPECT_TRUE(report.history().clean()) << report.history().ShortDebugString();
  const auto& x = report.exercise();
  EXPECT_EQ(x.missing(), 0u);
  EXPECT_EQ(x.late(), 3u);
  for (const auto& e : x.expected()) {
    if (e.verdict() == "late") {
      EXPECT_EQ(e.by(), v1::NATION_KR) << e.inject();
    }
  }
}

TEST(ExerciseRunTest, AScenarioWithAMistakeStartsNothing) {
  TempDir dir;
  fs::path scenario = dir.path() / "bad.json";
  std::ofstream(scenario) << R"({"version": 1, "name": "bad", "injects": [
      {"id": "ack", "at": "1s", "ack": {"by": "JP", "message": "nothing"}}]})";
  fs::path run = dir.path() / "run";
  CommandResult r =
      Hotline(dir, {"exercise", "run", scenario.string(), "--run-dir", run.string()}, "bad.out");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("inject \"ack\": no inject \"nothing\" to respond to"), std::string::npos)
      << r.output;
  EXPECT_FALSE(fs::exists(run));
}

}  // namespace
}  // namespace hotline::testing
