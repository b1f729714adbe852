// After-action reports (PROTOCOL.md §8 "After-action report"), sans-I/O:
// the audit records of a run's logs in, an AfterActionReport out — who
// sent what, how fast each tier was reached, which deadlines were missed,
// consultations, failovers, alerts — and the same report as one
// self-contained HTML page (inline SVG, no external assets).
//
// Durations are measured on the sender's clock (sent → a relay stored it →
// the signed delivery receipt verified → the acknowledgment receipt
// verified), so skewed clocks between nations do not distort them.
// Messages the nodes send themselves (checkpoints, epoch keys, track
// summaries: SENT by "node" or nobody) are left out of the figures.
//
// Thread safety: none. Error contract: none; what the records do not say
// is left at zero.
#ifndef HOTLINE_AFTER_ACTION_H_
#define HOTLINE_AFTER_ACTION_H_

#include <optional>
#include <string>
#include <vector>

#include "hotline/v1/audit.pb.h"
#include "hotline/v1/exercise.pb.h"
#include "hotline/v1/report.pb.h"

namespace hotline::report {

class ReportBuilder {
 public:
  ReportBuilder(std::string run, int64_t generated_at_ms);
  // One log as verified; its records are used only if it is intact.
  void AddLog(const v1::AuditVerification& verification, std::vector<v1::AuditRecord> records);
  void SetHistory(const v1::HistoryCheck& history) { history_ = history; }
  // The run was an exercise: judge its expected responses, and add a lane
  // of its injects to the timeline.
  void SetExercise(const v1::ExerciseRecord& record) { exercise_ = record; }
  v1::AfterActionReport Build() const;

 private:
  std::string run_;
  int64_t generated_at_ms_;
  std::vector<v1::AuditVerification> logs_;
  std::vector<std::vector<v1::AuditRecord>> records_;  // of the intact logs
  v1::HistoryCheck history_;
  std::optional<v1::ExerciseRecord> exercise_;
};

// The scenario's expected responses against what the report's messages and
// consultations show: met, late (by how much), missing, or not sent.
v1::ReportExercise JudgeExercise(const v1::ExerciseRecord& record,
                                 const v1::AfterActionReport& report);

// Acknowledgment-time buckets (upper bounds, ms); the last is unbounded.
std::vector<int64_t> HistogramBounds();

// The report as a self-contained HTML page.
std::string RenderHtml(const v1::AfterActionReport& report);

}  // namespace hotline::report

#endif  // HOTLINE_AFTER_ACTION_H_
