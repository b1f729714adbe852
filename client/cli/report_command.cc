#include "cli/report_command.h"

#include <google/protobuf/util/json_util.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/audit_stores.h"
#include "cli/exit_codes.h"
#include "hotline/after_action.h"
#include "hotline/certs.h"
#include "hotline/exercise.h"
#include "hotline/file_util.h"
#include "hotline/history.h"
#include "hotline/net_util.h"

namespace hotline::cli {
namespace {

struct ReportOptions {
  std::string run, certs, out;
  bool allow_unverified = false;
};

std::string FormatLate(const v1::ReportExercise::Expected& e) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "after %.1f s (expected within %.1f s)",
                static_cast<double>(e.response_ms()) / 1000,
                static_cast<double>(e.deadline_ms()) / 1000);
  return buf;
}

int RunReport(const ReportOptions& o) {
  auto stores = ExpandStores({o.run});
  if (stores.empty()) {
    return Fail(
        InvalidArgumentError("no node.db or relay.db below " + o.run + ": name a run folder"));
  }
  std::string certs = o.certs;
  if (certs.empty()) {
    certs = std::filesystem::is_directory(std::filesystem::path(o.run) / "certs")
                ? (std::filesystem::path(o.run) / "certs").string()
                : "certs";
  }
  std::vector<std::string> all;
  for (const auto& s : stores) all.push_back(s.string());
  report::ReportBuilder builder(o.run, NowUnixMs());
  std::vector<std::string> failed;
  for (const auto& store : stores) {
    auto verification = VerifyOneLog(store, certs, all);
    if (!verification.ok()) return Fail(verification.status());
    auto records = ReadAuditRecords(store);
    if (!records.ok()) return Fail(records.status());
    if (!verification->intact()) {
      failed.push_back(verification->origin() + " (" + store.string() + "): first bad index " +
                       std::to_string(verification->first_bad_index()) + ": " +
                       verification->problem());
    }
    builder.AddLog(*verification, std::move(*records));
  }
  if (!failed.empty() && !o.allow_unverified) {
    for (const auto& f : failed) std::cerr << "hotline: log not intact: " << f << "\n";
    std::cerr << "hotline: no report written: a report from logs that do not verify would not be "
                 "evidence (--allow-unverified writes one that leaves them out and says so)\n";
    return kExitFailed;
  }
  auto history = CheckHistory({o.run});
  if (!history.ok()) return Fail(history.status());
  builder.SetHistory(*history);
  std::filesystem::path exercise = std::filesystem::path(o.run) / "exercise.json";
  if (std::filesystem::exists(exercise)) {
    auto text = ReadFileBytes(exercise, 16 << 20);
    if (!text.ok()) return Fail(text.status());
    v1::ExerciseRecord record;
    auto st = google::protobuf::util::JsonStringToMessage(ToString(*text), &record);
    if (!st.ok()) {
      return Fail(InvalidArgumentError(exercise.string() +
                                       " is not an exercise record: " + std::string(st.message())));
    }
    if (!(record.speed() >= 0.01 && record.speed() <= 1000)) {
      return Fail(InvalidArgumentError(exercise.string() + ": speed must be 0.01..1000"));
    }
    if (Status sc = exercise::CheckScenario(record.scenario()); !sc.ok()) {
      return Fail(InvalidArgumentError(exercise.string() + ": its scenario: " + sc.message()));
    }
    builder.SetExercise(record);
  }
  v1::AfterActionReport report = builder.Build();

  std::filesystem::path out =
      o.out.empty() ? std::filesystem::path(o.run) : std::filesystem::path(o.out);
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.add_whitespace = true;
  (void)google::protobuf::util::MessageToJsonString(report, &json, options);
  std::string html = report::RenderHtml(report);
  for (const auto& [name, text] :
       {std::pair{"report.json", &json}, std::pair{"report.html", &html}}) {
    if (Status st = WriteFileAtomic(out / name, AsBytes(*text), 0644); !st.ok()) return Fail(st);
  }
  const auto& c = report.counts();
  std::cout << (report.verified() ? "VERIFIED" : "NOT VERIFIED (logs left out: see the report)")
            << ": " << report.logs_size() << " logs; " << c.sent() << " sent, " << c.delivered()
            << " delivered, " << c.acknowledged() << " acknowledged, " << c.deadlines_missed()
            << " deadlines missed, " << c.failovers() << " relay links lost, "
            << c.path_test_failures() << " path tests failed\n";
  if (report.has_exercise()) {
    const auto& x = report.exercise();
    std::cout << "against the scenario \"" << x.name() << "\": " << x.met()
              << " expected responses met, " << x.late() << " late, " << x.missing()
              << " missing\n";
    for (const auto& e : x.expected()) {
      if (e.verdict() == "met") continue;
      std::cout << "  " << e.verdict() << ": " << NationCode(e.by()) << " " << e.response() << " \""
                << e.inject() << "\"" << (e.verdict() == "late" ? " " + FormatLate(e) : "") << "\n";
    }
  }
  std::cout << "report: " << (out / "report.html").string() << "\n"
            << "data:   " << (out / "report.json").string() << "\n";
  return report.verified() ? 0 : kExitFailed;
}

}  // namespace

void AddReportCommand(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<ReportOptions>();
  CLI::App* report = app.add_subcommand("report",
                                        "After-action report of a run from its audit logs, "
                                        "verified first: report.html (self-contained) "
                                        "and report.json");
  report->add_option("run", o->run, "Run folder (node.db and relay.db files below it)")->required();
  report->add_option("--certs", o->certs, "Trust folder (default RUN/certs, else ./certs)");
  report->add_option("--out", o->out, "Folder to write report.html and report.json (default RUN)");
  report->add_flag("--allow-unverified", o->allow_unverified,
                   "Write the report even if a log does not verify: it is left out and marked");
  report->callback([o, &exit_code] { exit_code = RunReport(*o); });
}

}  // namespace hotline::cli
