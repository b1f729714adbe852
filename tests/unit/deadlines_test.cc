#include "hotline/deadlines.h"

#include <gtest/gtest.h>

namespace hotline {
namespace {

DeadlineKey Key(uint8_t id, v1::Nation peer, DeadlineTier tier) {
  return {Bytes(16, id), peer, tier};
}

TEST(DeadlinePolicyTest, DefaultsAreTightestForFlash) {
  DeadlinePolicy p = DeadlinePolicy::Defaults();
  EXPECT_LT(p.deliver[v1::PRECEDENCE_FLASH], p.deliver[v1::PRECEDENCE_IMMEDIATE]);
  EXPECT_LT(p.deliver[v1::PRECEDENCE_IMMEDIATE], p.deliver[v1::PRECEDENCE_PRIORITY]);
  EXPECT_LT(p.deliver[v1::PRECEDENCE_PRIORITY], p.deliver[v1::PRECEDENCE_ROUTINE]);
  EXPECT_LT(p.acknowledge[v1::PRECEDENCE_FLASH], p.acknowledge[v1::PRECEDENCE_ROUTINE]);
}

TEST(DeadlinePolicyTest, AppliesSpecsAndRejectsBadOnes) {
  DeadlinePolicy p = DeadlinePolicy::Defaults();
  ASSERT_TRUE(p.Apply("flash=250ms/3s").ok());
  EXPECT_EQ(p.deliver[v1::PRECEDENCE_FLASH].count(), 250);
  EXPECT_EQ(p.acknowledge[v1::PRECEDENCE_FLASH].count(), 3000);
  ASSERT_TRUE(p.Apply("ROUTINE=1h/2h").ok());
  EXPECT_EQ(p.deliver[v1::PRECEDENCE_ROUTINE].count(), 3'600'000);
  for (const char* bad : {"flash", "flash=5s", "urgent=1s/2s", "flash=5x/1s", "flash=-1s/2s",
                          "flash=1s/", "=1s/2s"}) {
    EXPECT_EQ(p.Apply(bad).code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(DeadlineTrackerTest, FiresOnAFakeClockInOrderAndOnlyOnce) {
  DeadlineTracker t;
  t.Track(Key(1, v1::NATION_JP, DeadlineTier::kDelivered), 1000);
  t.Track(Key(2, v1::NATION_KR, DeadlineTier::kDelivered), 500);
  t.Track(Key(1, v1::NATION_JP, DeadlineTier::kAcknowledged), 5000);
  EXPECT_TRUE(t.Expire(499).empty());
  auto first = t.Expire(1000);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].message_id, Bytes(16, 2));
  EXPECT_EQ(first[1].tier, DeadlineTier::kDelivered);
  EXPECT_TRUE(t.Expire(4999).empty());
  EXPECT_EQ(t.Expire(5000).size(), 1u);
  EXPECT_EQ(t.size(), 0u);
}

TEST(DeadlineTrackerTest, SatisfiedDeadlinesNeverFireAndRetrackMovesThem) {
  DeadlineTracker t;
  auto k = Key(3, v1::NATION_US, DeadlineTier::kDelivered);
  t.Track(k, 100);
  t.Satisfy(k);
  EXPECT_TRUE(t.Expire(1'000'000).empty());
  t.Track(k, 100);
  t.Track(k, 900);  // re-armed after an escalation
  EXPECT_TRUE(t.Expire(899).empty());
  EXPECT_EQ(t.Expire(900).size(), 1u);
}

}  // namespace
}  // namespace hotline
