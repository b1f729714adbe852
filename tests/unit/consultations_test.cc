#include "node/consultations.h"

#include <gtest/gtest.h>

#include "cli/format.h"

namespace hotline::node {
namespace {

const Bytes kId(16, 0x42);

v1::ConsultRequest Request(int64_t respond_by) {
  v1::ConsultRequest r;
  r.set_topic("launch");
  r.set_question("joint statement?");
  r.set_respond_by_ms(respond_by);
  return r;
}

v1::ConsultResponse Response(v1::ConsultResponse::Position p) {
  v1::ConsultResponse r;
  r.set_consultation_id(ToString(kId));
  r.set_position(p);
  r.set_text("ok");
  return r;
}

TEST(ConsultationBookTest, TracksAnswersAndMarksOverdueOnce) {
  ConsultationBook book;
  book.Open(kId, v1::NATION_JP, Request(10'000), {v1::NATION_US, v1::NATION_KR}, 1'000);
  ASSERT_TRUE(book.Answer(kId, v1::NATION_US, Response(v1::ConsultResponse::POSITION_CONCUR), 2'000).ok());
  EXPECT_TRUE(book.NewlyOverdue(9'999, v1::NATION_JP).empty());
  auto overdue = book.NewlyOverdue(10'000, v1::NATION_JP);  // at the requester
  ASSERT_EQ(overdue.size(), 1u);
  EXPECT_EQ(overdue[0].nation, v1::NATION_KR);
  EXPECT_TRUE(book.NewlyOverdue(20'000, v1::NATION_JP).empty());  // reported once

  auto list = book.List(kId, 20'000);
  ASSERT_EQ(list.size(), 1u);
  ASSERT_EQ(list[0].answers_size(), 2);
  EXPECT_EQ(list[0].answers(0).position(), v1::ConsultResponse::POSITION_CONCUR);
  EXPECT_FALSE(list[0].answers(0).overdue());
  EXPECT_TRUE(list[0].answers(1).overdue());
  std::string text = cli::FormatConsultation(list[0]);
  EXPECT_NE(text.find("US  CONCUR"), std::string::npos) << text;
  EXPECT_NE(text.find("KR  OVERDUE"), std::string::npos) << text;

  // A late answer clears the overdue mark.
  ASSERT_TRUE(book.Answer(kId, v1::NATION_KR, Response(v1::ConsultResponse::POSITION_NEED_TIME), 21'000).ok());
  EXPECT_FALSE(book.List(kId, 22'000)[0].answers(1).overdue());
}

// Answers go to the requester alone: another participant reports only its
// own missing answer, never one it could not have seen.
TEST(ConsultationBookTest, AParticipantReportsOnlyItsOwnMissingAnswer) {
  ConsultationBook at_us;
  at_us.Open(kId, v1::NATION_JP, Request(10'000), {v1::NATION_US, v1::NATION_KR}, 1'000);
  auto overdue = at_us.NewlyOverdue(10'000, v1::NATION_US);
  ASSERT_EQ(overdue.size(), 1u);
  EXPECT_EQ(overdue[0].nation, v1::NATION_US);
  ConsultationBook answered;
  answered.Open(kId, v1::NATION_JP, Request(10'000), {v1::NATION_US, v1::NATION_KR}, 1'000);
  ASSERT_TRUE(
      answered.Answer(kId, v1::NATION_US, Response(v1::ConsultResponse::POSITION_CONCUR), 2'000)
          .ok());
  EXPECT_TRUE(answered.NewlyOverdue(10'000, v1::NATION_US).empty());  // KR's is not ours to judge
}

TEST(ConsultationBookTest, RejectsUnknownConsultationAndNonParticipants) {
  ConsultationBook book;
  EXPECT_EQ(book.Answer(kId, v1::NATION_US, Response(v1::ConsultResponse::POSITION_DECLINE), 1).code(),
            StatusCode::kNotFound);
  book.Open(kId, v1::NATION_JP, Request(0), {v1::NATION_US}, 1);
  EXPECT_EQ(book.Answer(kId, v1::NATION_KR, Response(v1::ConsultResponse::POSITION_DECLINE), 1).code(),
            StatusCode::kPermissionDenied);
  EXPECT_TRUE(
      book.NewlyOverdue(1'000'000'000, v1::NATION_JP).empty());  // no deadline, never overdue
}

TEST(MissileWarningFormatTest, DrillsAndTestsAreUnmistakable) {
  v1::MissileWarning w;
  w.set_event_id("E1");
  w.set_status(v1::MissileWarning::STATUS_EXERCISE);
  std::string exercise = cli::FormatMissileWarning(w);
  EXPECT_EQ(exercise.rfind("*** EXERCISE EXERCISE EXERCISE", 0), 0u) << "banner first";
  EXPECT_NE(exercise.find("NOT A REAL EVENT ***\n", 40), std::string::npos) << "and last";
  EXPECT_EQ(exercise.find("ACTUAL"), std::string::npos);
  w.set_status(v1::MissileWarning::STATUS_TEST);
  EXPECT_NE(cli::FormatMissileWarning(w).find("TEST TEST TEST"), std::string::npos);
  w.set_status(v1::MissileWarning::STATUS_ACTUAL);
  EXPECT_NE(cli::FormatMissileWarning(w).find("ACTUAL EVENT"), std::string::npos);
  w.set_status(v1::MissileWarning::STATUS_UNSPECIFIED);
  EXPECT_NE(cli::FormatMissileWarning(w).find("STATUS NOT GIVEN"), std::string::npos);
}

}  // namespace
}  // namespace hotline::node
