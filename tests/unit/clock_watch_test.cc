#include "node/clock_watch.h"

#include <gtest/gtest.h>

#include "hotline/text.h"

namespace hotline::node {
namespace {

constexpr int64_t kHour = 3'600'000;

TEST(ClockWatchTest, AStampInsideItsIntervalIsInStep) {
  ClockWatch w(300'000);
  EXPECT_FALSE(w.Observe("JP", 1'000'500, 1'000'000, 1'001'000));
  EXPECT_EQ(w.offsets().at("JP"), 0);
  EXPECT_FALSE(w.OutOfStep("JP"));
}

TEST(ClockWatchTest, APeerTwoHoursAheadIsReportedOnceAndMeasuredFromTheLatestBound) {
  ClockWatch w(300'000);
  auto alert = w.Observe("JP", 1'000'000 + 2 * kHour, 999'000, 1'000'000);
  ASSERT_TRUE(alert);
  EXPECT_NE(alert->find("JP's clock is ahead by at least 2h 0m 0s"), std::string::npos) << *alert;
  EXPECT_EQ(w.offsets().at("JP"), 2 * kHour);
  EXPECT_FALSE(w.Observe("JP", 2'000'000 + 2 * kHour, 1'999'000, 2'000'000));  // not again
  auto cleared = w.Observe("JP", 3'000'000, 2'999'000, 3'000'000);
  ASSERT_TRUE(cleared);
  EXPECT_NE(cleared->find("agrees with ours again"), std::string::npos);
}

TEST(ClockWatchTest, APeerBehindIsSeenOnlyWithAnEarliestBound) {
  ClockWatch w(300'000);
  // A sender's creation time: only "ahead" can be judged (the message may
  // have waited at a relay for hours).
  EXPECT_FALSE(w.Observe("KR", 1'000'000 - 5 * kHour, ClockWatch::kUnbounded, 1'000'000));
  EXPECT_FALSE(w.OutOfStep("KR"));
  // A receipt for a message we sent at 1'000'000: it cannot predate it.
  auto alert = w.Observe("KR", 1'000'000 - kHour, 1'000'000, 1'000'100);
  ASSERT_TRUE(alert);
  EXPECT_NE(alert->find("behind by at least 1h 0m 0s"), std::string::npos) << *alert;
  EXPECT_EQ(w.offsets().at("KR"), -kHour);
  EXPECT_FALSE(w.Observe("KR", 500, ClockWatch::kUnbounded, 2'000'000));  // proves nothing
  EXPECT_TRUE(w.OutOfStep("KR"));
}

// A receipt for a message sent an hour ago is a wide interval: it can show
// a clock ahead, never clear one found behind, nor prove one is behind.
TEST(ClockWatchTest, AWideIntervalNeitherProvesNorClearsAClockBehind) {
  ClockWatch w(300'000);
  ASSERT_TRUE(w.Observe("KR", 1'000'000 - kHour, 1'000'000, 1'000'100));  // tight: KR behind
  EXPECT_FALSE(w.Observe("KR", 5 * kHour, 2 * kHour, 6 * kHour));         // wide: no "cleared"
  EXPECT_TRUE(w.OutOfStep("KR"));
  ClockWatch fresh(300'000);
  EXPECT_FALSE(fresh.Observe("JP", 1'000'000 - kHour, 1'000'000 - 2 * kHour, 1'000'000 + kHour));
  EXPECT_FALSE(fresh.OutOfStep("JP"));
}

TEST(ClockWatchTest, SmallDisagreementsWithinTheAllowedSkewAreNotAlerts) {
  ClockWatch w(300'000);
  EXPECT_FALSE(w.Observe("relay-1", 1'000'000 + 200'000, 999'000, 1'000'000));
  EXPECT_EQ(w.offsets().at("relay-1"), 200'000);
  EXPECT_FALSE(w.OutOfStep("relay-1"));
  EXPECT_EQ(DescribeClockOffset(200'000), "ahead by at least 3m 20s");
  EXPECT_EQ(DescribeClockOffset(-250), "behind by at least 250 ms");
}

}  // namespace
}  // namespace hotline::node
