#include "node/inbox_sequencer.h"

#include <gtest/gtest.h>

namespace hotline::node {
namespace {

constexpr StreamKey kKrCrisis{v1::NATION_KR, v1::CHANNEL_CRISIS};
constexpr auto kFlash = v1::PRECEDENCE_FLASH;
constexpr auto kRoutine = v1::PRECEDENCE_ROUTINE;

Bytes Id(uint8_t n) { return Bytes(16, n); }

std::vector<std::pair<uint64_t, ReleaseKind>> Shown(const SequencerOutput& out) {
  std::vector<std::pair<uint64_t, ReleaseKind>> v;
  for (const auto& r : out.released) v.emplace_back(r.sequence, r.kind);
  return v;
}

using K = ReleaseKind;

TEST(InboxSequencerTest, InOrderArrivalsAreShownAtOnce) {
  InboxSequencer seq(InboxSequencer::Policy::Defaults());
  EXPECT_EQ(Shown(seq.Arrive(kKrCrisis, 1, kRoutine, Id(1), 0)),
            (std::vector<std::pair<uint64_t, K>>{{1, K::kInSequence}}));
  auto out = seq.Arrive(kKrCrisis, 2, kRoutine, Id(2), 0);
  EXPECT_EQ(Shown(out), (std::vector<std::pair<uint64_t, K>>{{2, K::kInSequence}}));
  EXPECT_TRUE(out.gaps.empty());
  EXPECT_EQ(out.next_changed.at(kKrCrisis), 3u);
}

TEST(InboxSequencerTest, ARoutineMessageWaitsForTheGapAndTheGapIsReportedWhenItOpens) {
  InboxSequencer seq(InboxSequencer::Policy::Defaults());
  seq.Arrive(kKrCrisis, 1, kRoutine, Id(1), 0);
  auto out = seq.Arrive(kKrCrisis, 3, kRoutine, Id(3), 1000);
  EXPECT_TRUE(out.released.empty());
  ASSERT_EQ(out.gaps.size(), 1u);
  EXPECT_EQ(out.gaps[0].kind, GapEvent::kOpened);
  EXPECT_EQ(out.gaps[0].from, 2u);
  EXPECT_EQ(out.gaps[0].to, 2u);
  EXPECT_FALSE(seq.Due(1000 + 29'999));
  // The missing one arrives: both shown in order, the gap closes.
  out = seq.Arrive(kKrCrisis, 2, kRoutine, Id(2), 5000);
  EXPECT_EQ(Shown(out),
            (std::vector<std::pair<uint64_t, K>>{{2, K::kInSequence}, {3, K::kInSequence}}));
  ASSERT_EQ(out.gaps.size(), 1u);
  EXPECT_EQ(out.gaps[0].kind, GapEvent::kClosed);
  EXPECT_FALSE(seq.Due(1'000'000));
}

// Issue 11 item 2: relays withhold #2; the FLASH #3 is shown at once, marked
// ahead of the gap; #2 is shown late when it comes; nothing twice.
TEST(InboxSequencerTest, AFlashIsShownAtOnceAheadOfAGapAndTheMissingOneLate) {
  InboxSequencer seq(InboxSequencer::Policy::Defaults());
  seq.Arrive(kKrCrisis, 1, kRoutine, Id(1), 0);
  auto out = seq.Arrive(kKrCrisis, 3, kFlash, Id(3), 100);
  ASSERT_EQ(Shown(out), (std::vector<std::pair<uint64_t, K>>{{3, K::kAheadOfGap}}));
  EXPECT_EQ(out.released[0].missing_from, 2u);
  EXPECT_EQ(out.released[0].missing_to, 2u);
  EXPECT_EQ(seq.next(kKrCrisis), 2u);  // the stream itself still waits for #2
  // A routine #4 behind it still waits.
  EXPECT_TRUE(seq.Arrive(kKrCrisis, 4, kRoutine, Id(4), 200).released.empty());
  // #2 turns up: shown marked late, #3 passes without being shown again, #4 follows.
  out = seq.Arrive(kKrCrisis, 2, kRoutine, Id(2), 20'000);
  EXPECT_EQ(Shown(out), (std::vector<std::pair<uint64_t, K>>{
                            {2, K::kLate}, {3, K::kCaughtUp}, {4, K::kInSequence}}));
  EXPECT_EQ(seq.next(kKrCrisis), 5u);
}

TEST(InboxSequencerTest, HoldTimesPerPrecedenceAndTheGapTimeout) {
  auto policy = InboxSequencer::Policy::Defaults();
  policy.hold[v1::PRECEDENCE_IMMEDIATE] = std::chrono::milliseconds(2000);
  InboxSequencer seq(policy);
  seq.Arrive(kKrCrisis, 2, v1::PRECEDENCE_IMMEDIATE, Id(2), 0);  // #1 missing
  seq.Arrive(kKrCrisis, 3, kRoutine, Id(3), 0);
  EXPECT_FALSE(seq.Due(1999));
  ASSERT_TRUE(seq.Due(2000));
  auto out = seq.Tick(2000);
  EXPECT_EQ(Shown(out), (std::vector<std::pair<uint64_t, K>>{{2, K::kAheadOfGap}}));
  ASSERT_TRUE(seq.Due(30'000));
  out = seq.Tick(30'000);  // the gap (#1) is skipped: #2 caught up, #3 in sequence
  EXPECT_EQ(Shown(out),
            (std::vector<std::pair<uint64_t, K>>{{2, K::kCaughtUp}, {3, K::kInSequence}}));
  ASSERT_EQ(out.gaps.size(), 1u);
  EXPECT_EQ(out.gaps[0].kind, GapEvent::kSkipped);
  EXPECT_EQ(out.gaps[0].from, 1u);
  EXPECT_EQ(out.gaps[0].to, 1u);
  // #1 after all: late.
  out = seq.Arrive(kKrCrisis, 1, kRoutine, Id(1), 40'000);
  EXPECT_EQ(Shown(out), (std::vector<std::pair<uint64_t, K>>{{1, K::kLate}}));
}

TEST(InboxSequencerTest, RestoredStateResumesWithoutShowingAnythingTwice) {
  InboxSequencer seq(InboxSequencer::Policy::Defaults());
  seq.RestoreNext(kKrCrisis, 5);
  seq.RestoreHeld(kKrCrisis, 7, kFlash, Id(7), /*shown_early=*/true, 0);
  seq.RestoreHeld(kKrCrisis, 8, kRoutine, Id(8), /*shown_early=*/false, 0);
  auto out = seq.Arrive(kKrCrisis, 5, kRoutine, Id(5), 10);
  EXPECT_EQ(Shown(out), (std::vector<std::pair<uint64_t, K>>{{5, K::kLate}}));
  out = seq.Arrive(kKrCrisis, 6, kRoutine, Id(6), 20);
  EXPECT_EQ(Shown(out), (std::vector<std::pair<uint64_t, K>>{
                            {6, K::kLate}, {7, K::kCaughtUp}, {8, K::kInSequence}}));
}

TEST(InboxSequencerTest, StreamsAreIndependent) {
  InboxSequencer seq(InboxSequencer::Policy::Defaults());
  constexpr StreamKey kUsGeneral{v1::NATION_US, v1::CHANNEL_GENERAL};
  seq.Arrive(kKrCrisis, 2, kRoutine, Id(2), 0);
  EXPECT_EQ(Shown(seq.Arrive(kUsGeneral, 1, kRoutine, Id(9), 0)),
            (std::vector<std::pair<uint64_t, K>>{{1, K::kInSequence}}));
}

}  // namespace
}  // namespace hotline::node
