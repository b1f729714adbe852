// Track feeds (PROTOCOL.md §11): numbering, the latest-value rule, and the
// once-a-second evidence checked against what arrived.
#include "hotline/track_feed.h"

#include <gtest/gtest.h>

#include "hotline/crypto.h"
#include "hotline/track_sim.h"

namespace hotline::track {
namespace {

Bytes DigestOf(const Bytes& key, uint64_t seq) {
  Sha256Digest d = Sha256({key, AsBytes(std::to_string(seq))});
  return Bytes(d.begin(), d.end());
}

TEST(TrackFeedTest, AnUpdateOlderThanOneAppliedIsNeverApplied) {
  Receiver r;
  Bytes key(kKeyBytes, 7);
  constexpr int kRelay1 = 0, kRelay2 = 1;
  EXPECT_EQ(r.Offer(v1::NATION_KR, key, 3, DigestOf(key, 3), kRelay1, 0),
            Receiver::Verdict::kApply);
  EXPECT_EQ(r.Offer(v1::NATION_KR, key, 2, DigestOf(key, 2), kRelay1, 0),
            Receiver::Verdict::kStale);
  EXPECT_EQ(r.Offer(v1::NATION_KR, key, 3, DigestOf(key, 3), kRelay2, 0),
            Receiver::Verdict::kStale);  // the same update via the other relay
  EXPECT_EQ(r.Offer(v1::NATION_KR, key, 5, DigestOf(key, 5), kRelay2, 0),
            Receiver::Verdict::kApply);
  EXPECT_EQ(r.Applied(v1::NATION_KR, key), 5u);
  // Tracks are per sender: JP's track with the same key is another track.
  EXPECT_EQ(r.Offer(v1::NATION_JP, key, 1, DigestOf(key, 1), kRelay1, 0),
            Receiver::Verdict::kApply);
}

TEST(TrackFeedTest, AnUpdateReplayedThroughTheSameRelayOrAfterItsSummaryIsRefused) {
  Publisher p;
  Receiver r;
  constexpr int kRelay1 = 0, kRelay2 = 1;
  auto first = p.Next("KR-02");
  Bytes d1 = DigestOf(first.key, 1);
  p.Sent("KR-02", 1, d1, false, v1::MissileWarning::STATUS_ACTUAL, 0);
  auto second = p.Next("KR-02");
  Bytes d2 = DigestOf(second.key, 2);
  p.Sent("KR-02", 2, d2, false, v1::MissileWarning::STATUS_ACTUAL, 0);
  EXPECT_EQ(r.Offer(v1::NATION_KR, first.key, 1, d1, kRelay1, 0), Receiver::Verdict::kApply);
  EXPECT_EQ(r.Offer(v1::NATION_KR, first.key, 1, d1, kRelay2, 1), Receiver::Verdict::kStale);
  // Each relay forwards an update once: a second copy through it is a replay.
  EXPECT_EQ(r.Offer(v1::NATION_KR, first.key, 1, d1, kRelay1, 2), Receiver::Verdict::kReplayed);
  auto due = p.SummariesDue(1000);
  ASSERT_EQ(due.size(), 1u);
  auto check = r.CheckSummary(v1::NATION_KR, due[0], 1000);
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(check->received, 1u);
  EXPECT_EQ(check->missing, std::vector<uint64_t>{2});
  // After the summary: #2, newer than any applied, is refused as late; a
  // copy of #1 through a relay that was away is only stale (not applied,
  // not an alarm: the failover this is for brings such copies).
  EXPECT_EQ(r.Offer(v1::NATION_KR, first.key, 2, d2, kRelay2, 1001), Receiver::Verdict::kLate);
  EXPECT_EQ(r.Offer(v1::NATION_KR, first.key, 1, d1, 5, 1001), Receiver::Verdict::kStale);
  // Idle tracks are forgotten (the node refuses updates older than that).
  r.ForgetIdle(1001 + 60'000, 60'000);
  EXPECT_EQ(r.tracks(), 1u);
  r.ForgetIdle(1002 + 60'000, 60'000);
  EXPECT_EQ(r.tracks(), 0u);
}

TEST(TrackFeedTest, ASenderFollowsAtMost1024TracksAtOnce) {
  Receiver r;
  for (size_t i = 0; i < kMaxTracksPerSender; ++i) {
    Bytes key(kKeyBytes, 0);
    key[0] = static_cast<uint8_t>(i);
    key[1] = static_cast<uint8_t>(i >> 8);
    ASSERT_EQ(r.Offer(v1::NATION_JP, key, 1, DigestOf(key, 1), 0, 0), Receiver::Verdict::kApply);
  }
  Bytes more(kKeyBytes, 0xff);
  EXPECT_EQ(r.Offer(v1::NATION_JP, more, 1, DigestOf(more, 1), 0, 0), Receiver::Verdict::kTooMany);
  EXPECT_EQ(r.Offer(v1::NATION_US, more, 1, DigestOf(more, 1), 0, 0), Receiver::Verdict::kApply)
      << "per sender";
  r.ForgetIdle(100'000, 60'000);
  EXPECT_EQ(r.Offer(v1::NATION_JP, more, 1, DigestOf(more, 1), 0, 100'000),
            Receiver::Verdict::kApply);
}

TEST(TrackFeedTest, ASummaryNeverCoversMoreThan4096UpdatesAndASilentTrackEnds) {
  Publisher p;
  Bytes key;
  for (uint64_t i = 1; i <= kMaxUnsummarized; ++i) {
    auto stamp = p.Next("FAST");
    key = stamp.key;
    p.Sent("FAST", i, DigestOf(stamp.key, i), false, v1::MissileWarning::STATUS_TEST, 5);
  }
  auto due = p.SummariesDue(6);  // long before a second has passed
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].last_seq(), kMaxUnsummarized);
  Receiver r;
  EXPECT_TRUE(r.CheckSummary(v1::NATION_KR, due[0], 6).ok());
  auto stamp = p.Next("FAST");
  p.Sent("FAST", stamp.seq, DigestOf(stamp.key, stamp.seq), false, v1::MissileWarning::STATUS_TEST,
         10);
  EXPECT_TRUE(p.EndSilent(59'000, 60'000).empty());
  EXPECT_EQ(p.EndSilent(60'010, 60'000), std::vector<std::string>{"FAST"});
  EXPECT_EQ(p.tracks(), 0u);
  due = p.SummariesDue(60'010);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_TRUE(due[0].ended());
  EXPECT_EQ(due[0].first_seq(), kMaxUnsummarized + 1);
}

TEST(TrackFeedTest, RangesAreWrittenCompactly) {
  EXPECT_EQ(RangesText({}), "");
  EXPECT_EQ(RangesText({3, 4, 5, 9, 11, 12}), "#3..#5, #9, #11..#12");
  EXPECT_EQ(RangesText({1, 3, 5, 7}, 2), "#1, #3, ...");
}

TEST(TrackFeedTest, ThePublisherSummarisesEachSecondAndAtTheEndAndTheRecipientChecksIt) {
  Publisher p;
  Receiver r;
  std::string key;
  for (uint64_t i = 1; i <= 10; ++i) {
    auto stamp = p.Next("KR-01");
    ASSERT_EQ(stamp.seq, i);
    key = ToString(stamp.key);
    Bytes digest = DigestOf(stamp.key, i);
    p.Sent("KR-01", i, digest, /*ended=*/false, v1::MissileWarning::STATUS_EXERCISE,
           1000 + 20 * static_cast<int64_t>(i));
    if (i % 3 != 0) {  // every third one conflated away on a slow link
      r.Offer(v1::NATION_KR, stamp.key, i, i == 4 ? DigestOf(stamp.key, 99) : digest, 0, 1000);
    }
  }
  EXPECT_TRUE(p.SummariesDue(2000).empty());  // the first went out at 1020
  auto due = p.SummariesDue(2020);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].first_seq(), 1u);
  EXPECT_EQ(due[0].last_seq(), 10u);
  EXPECT_EQ(due[0].status(), v1::MissileWarning::STATUS_EXERCISE);
  EXPECT_FALSE(due[0].ended());
  auto check = r.CheckSummary(v1::NATION_KR, due[0], 2020);
  ASSERT_TRUE(check.ok()) << check.status().ToString();
  EXPECT_EQ(check->sent, 10u);
  EXPECT_EQ(check->received, 6u);
  EXPECT_EQ(check->missing, (std::vector<uint64_t>{3, 6, 9}));
  EXPECT_EQ(check->mismatched, std::vector<uint64_t>{4});
  EXPECT_EQ(CheckText(*check), "10 sent, 6 received, 3 not received, 1 mismatched");

  // The last update ends the track: its summary is due at once, and the
  // name starts a new track with a new key afterwards.
  auto last = p.Next("KR-01");
  EXPECT_EQ(last.seq, 11u);
  p.Sent("KR-01", 11, DigestOf(last.key, 11), /*ended=*/true, v1::MissileWarning::STATUS_EXERCISE,
         2100);
  EXPECT_EQ(p.tracks(), 0u);
  auto next = p.Next("KR-01");
  EXPECT_EQ(next.seq, 1u);
  EXPECT_NE(ToString(next.key), key);
  p.Sent("KR-01", 1, DigestOf(next.key, 1), false, v1::MissileWarning::STATUS_EXERCISE, 2100);
  due = p.SummariesDue(2101);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_TRUE(due[0].ended());
  EXPECT_EQ(due[0].first_seq(), 11u);
  EXPECT_EQ(due[0].last_seq(), 11u);
  check = r.CheckSummary(v1::NATION_KR, due[0], 2101);
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(check->missing, std::vector<uint64_t>{11});
}

TEST(TrackFeedTest, AMalformedSummaryIsRefused) {
  Receiver r;
  v1::TrackSummary s;
  s.set_track_key(std::string(kKeyBytes, 'k'));
  s.set_first_seq(5);
  s.set_last_seq(6);
  s.set_update_digests(std::string(8, 'x'));  // one digest for two updates
  EXPECT_EQ(r.CheckSummary(v1::NATION_US, s, 0).status().code(), StatusCode::kInvalidArgument);
  s.set_first_seq(0);
  EXPECT_EQ(r.CheckSummary(v1::NATION_US, s, 0).status().code(), StatusCode::kInvalidArgument);
  s.set_first_seq(1);
  s.set_last_seq(2);
  s.set_update_digests(std::string(16, 'x'));
  s.set_track_key("short");
  EXPECT_EQ(r.CheckSummary(v1::NATION_US, s, 0).status().code(), StatusCode::kInvalidArgument);
  s.set_track_key(std::string(kKeyBytes, 'k'));
  s.set_last_seq(UINT64_MAX);  // a range no memory could hold
  EXPECT_EQ(r.CheckSummary(v1::NATION_US, s, 0).status().code(), StatusCode::kInvalidArgument);
}

TEST(TrackFeedTest, TheSimulatedFlightRisesFromTheLaunchPointAndEndsAtImpactDownrange) {
  BallisticFlight f;  // 900 km at azimuth 95 from 39.04N 125.76E
  auto at = [&](double x) {
    return SimulatedUpdate(f, x, "SIM-01", "radar", v1::MissileWarning::STATUS_EXERCISE, 7);
  };
  auto launch = at(0), apogee = at(0.5), impact = at(1);
  EXPECT_NEAR(launch.latitude(), 39.04, 1e-9);
  EXPECT_NEAR(launch.longitude(), 125.76, 1e-9);
  EXPECT_NEAR(launch.altitude_m(), 0, 1e-6);
  EXPECT_GT(launch.velocity_up_mps(), 0);
  EXPECT_NEAR(apogee.altitude_m(), f.apogee_m, 1e-6);
  EXPECT_NEAR(apogee.velocity_up_mps(), 0, 1e-9);
  EXPECT_NEAR(impact.altitude_m(), 0, 1e-6);
  EXPECT_LT(impact.velocity_up_mps(), 0);
  // About 900 km east (a little south): roughly 10.4 degrees of longitude at 39N.
  EXPECT_NEAR(impact.longitude(), 125.76 + 10.4, 0.3);
  EXPECT_LT(impact.latitude(), 39.04);
  EXPECT_GT(impact.velocity_east_mps(), 0);
  EXPECT_TRUE(impact.ended());
  EXPECT_FALSE(apogee.ended());
  EXPECT_EQ(impact.status(), v1::MissileWarning::STATUS_EXERCISE);
  EXPECT_EQ(impact.measured_at_us(), 7);
}

}  // namespace
}  // namespace hotline::track
