#include "hotline/refusal_audit.h"

#include <gtest/gtest.h>

namespace hotline {
namespace {

TEST(TokenBucketTest, ABurstThenTheRateAndAStepBackRefillsNothing) {
  TokenBucket bucket(2, 3);
  int taken = 0;
  for (int i = 0; i < 10; ++i) taken += bucket.Take(1000);
  EXPECT_EQ(taken, 3);
  EXPECT_TRUE(bucket.Take(1500));   // half a second: one token
  EXPECT_FALSE(bucket.Take(1500));  // and only one
  EXPECT_FALSE(bucket.Take(500));   // the clock stepped back: nothing added
  EXPECT_TRUE(bucket.Take(2000));   // counted from the newest time seen
}

TEST(RefusalAuditTest, WritesABurstThenCountsAndTheNextRecordSaysHowMany) {
  RefusalAudit audit(1, 2);
  EXPECT_EQ(audit.Admit(1000, "a"), "a");
  EXPECT_EQ(audit.Admit(1000, "b"), "b");
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(audit.Admit(1000, "c").has_value());
  EXPECT_EQ(audit.unaudited(), 5u);
  EXPECT_EQ(audit.Admit(2000, "d"), "d (and 5 more refused before this, not audited one by one)");
  EXPECT_EQ(audit.unaudited(), 0u);
}

TEST(RefusalAuditTest, FlushWritesTheCountOnlyOnceTheLastRecordIsASecondOld) {
  RefusalAudit audit(1, 1);
  EXPECT_TRUE(audit.Admit(1000, "a").has_value());
  EXPECT_FALSE(audit.Admit(1100, "b").has_value());
  EXPECT_FALSE(audit.Admit(1200, "c").has_value());
  EXPECT_FALSE(audit.Flush(1999, "path probes").has_value());
  EXPECT_EQ(audit.Flush(2000, "path probes"), "2 path probes refused and not audited one by one");
  EXPECT_FALSE(audit.Flush(5000, "path probes").has_value()) << "nothing left to count";
}

}  // namespace
}  // namespace hotline
