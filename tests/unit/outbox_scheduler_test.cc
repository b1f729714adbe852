#include "node/outbox_scheduler.h"

#include <gtest/gtest.h>

namespace hotline::node {
namespace {

Bytes Id(uint8_t n) { return Bytes(16, n); }
const std::set<v1::Nation> kJpKr{v1::NATION_JP, v1::NATION_KR};

OutboxScheduler::Entry Message(v1::Precedence precedence, std::set<v1::Nation> to) {
  OutboxScheduler::Entry e;
  e.precedence = precedence;
  e.awaiting = std::move(to);
  e.envelope = Bytes(8, 1);
  return e;
}

std::vector<uint8_t> Drain(OutboxScheduler& s, bool bulk_room = true) {
  std::vector<uint8_t> out;
  for (int i = 0; i < 100; ++i) {
    auto next = s.Next(bulk_room);
    if (!next) break;
    out.push_back((*next)[0]);
  }
  return out;
}

TEST(OutboxSchedulerTest, HigherPrecedenceFirstArrivalOrderWithinOne) {
  OutboxScheduler s;
  s.Add(Id(1), Message(v1::PRECEDENCE_ROUTINE, kJpKr));
  s.Add(Id(2), Message(v1::PRECEDENCE_ROUTINE, kJpKr));
  s.Add(Id(3), Message(v1::PRECEDENCE_FLASH, kJpKr));
  s.Add(Id(4), Message(v1::PRECEDENCE_IMMEDIATE, kJpKr));
  EXPECT_EQ(Drain(s), (std::vector<uint8_t>{3, 4, 1, 2}));
}

TEST(OutboxSchedulerTest, FifoIgnoresPrecedence) {
  OutboxScheduler s(/*fifo=*/true);
  s.Add(Id(1), Message(v1::PRECEDENCE_ROUTINE, kJpKr));
  s.Add(Id(2), Message(v1::PRECEDENCE_FLASH, kJpKr));
  EXPECT_EQ(Drain(s), (std::vector<uint8_t>{1, 2}));
}

TEST(OutboxSchedulerTest, AFullLinkTakesOnlyUrgentMessages) {
  OutboxScheduler s;
  s.Add(Id(1), Message(v1::PRECEDENCE_ROUTINE, kJpKr));
  s.Add(Id(2), Message(v1::PRECEDENCE_IMMEDIATE, kJpKr));
  EXPECT_EQ(Drain(s, /*bulk_room=*/false), (std::vector<uint8_t>{2}));
  EXPECT_EQ(Drain(s, /*bulk_room=*/true), (std::vector<uint8_t>{1}));
}

// A frozen relay's link looks alive until its heartbeat times out: a FLASH
// it has not accepted in time goes through another live relay too, once
// per relay that fails to accept it; accepted ones and other precedences
// wait for the link's verdict.
TEST(OutboxSchedulerTest, AFlashNotAcceptedInTimeAlsoGoesThroughAnotherRelay) {
  OutboxScheduler s(/*fifo=*/false, /*hedge_after_ms=*/100);
  auto all_up = [](int) { return true; };
  s.Add(Id(1), Message(v1::PRECEDENCE_FLASH, kJpKr));
  s.Add(Id(2), Message(v1::PRECEDENCE_FLASH, kJpKr));
  s.Add(Id(3), Message(v1::PRECEDENCE_IMMEDIATE, kJpKr));
  Drain(s);
  for (uint8_t i = 1; i <= 3; ++i) s.Submitted(Id(i), 0, 1000);
  EXPECT_TRUE(s.OnAccepted(Id(2), 0));
  EXPECT_EQ(s.NextHedgeAt(), 1100);
  EXPECT_TRUE(s.HedgesDue(1099, all_up, 3).empty());
  auto due = s.HedgesDue(1100, all_up, 3);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].message_id, Id(1));
  EXPECT_EQ(due[0].from, 0);
  EXPECT_EQ(due[0].to, 1);
  s.Submitted(Id(1), 1, 1100);
  // Relay 1 does not accept it either, and relay 0 is down now: relay 2.
  due = s.HedgesDue(
      1200, [](int r) { return r != 0; }, 3);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].to, 2);
  s.Submitted(Id(1), 2, 1200);
  // With no other relay up, nothing more: the heartbeat decides.
  EXPECT_TRUE(s.HedgesDue(
                   1300, [](int r) { return r == 2; }, 3)
                  .empty());
  EXPECT_FALSE(s.NextHedgeAt().has_value());
}

TEST(OutboxSchedulerTest, ResentWhenItsRelayDropsAndWhenARelayComesUpWithoutALiveAcceptance) {
  OutboxScheduler s;
  s.Add(Id(1), Message(v1::PRECEDENCE_ROUTINE, kJpKr));
  s.Add(Id(2), Message(v1::PRECEDENCE_ROUTINE, kJpKr));
  Drain(s);
  s.Submitted(Id(1), 0, 0);
  s.Submitted(Id(2), 0, 0);
  EXPECT_TRUE(s.OnAccepted(Id(1), 0));
  EXPECT_FALSE(s.OnAccepted(Id(1), 0));  // once
  // Relay 1 comes up while relay 0 is live: only the unaccepted one goes again.
  s.OnRelayUp(1, [](int r) { return r == 0 || r == 1; });
  EXPECT_EQ(Drain(s), (std::vector<uint8_t>{2}));
  // Relay 0 drops: both went through it.
  s.OnRelayDown(0);
  EXPECT_EQ(Drain(s), (std::vector<uint8_t>{1, 2}));
  EXPECT_FALSE(s.Find(Id(1))->accepted);
}

TEST(OutboxSchedulerTest, DoneOnlyWhenEveryRecipientHasReceipted) {
  OutboxScheduler s;
  s.Add(Id(1), Message(v1::PRECEDENCE_FLASH, kJpKr));
  Drain(s);
  s.Submitted(Id(1), 0, 0);
  s.Submitted(Id(1), 1, 0);
  auto jp = s.OnDelivered(Id(1), v1::NATION_JP);
  EXPECT_TRUE(jp.awaited);
  EXPECT_FALSE(jp.done);
  EXPECT_FALSE(s.OnDelivered(Id(1), v1::NATION_JP).awaited);  // a second receipt
  auto kr = s.OnDelivered(Id(1), v1::NATION_KR);
  EXPECT_TRUE(kr.done);
  EXPECT_EQ(kr.submitted_via, (std::set<int>{0, 1}));
  EXPECT_EQ(s.Find(Id(1)), nullptr);
  s.OnRelayDown(0);
  EXPECT_TRUE(Drain(s).empty());
}

TEST(OutboxSchedulerTest, EscalationPrefersAnotherLiveRelay) {
  OutboxScheduler s;
  s.Add(Id(1), Message(v1::PRECEDENCE_FLASH, kJpKr));
  Drain(s);
  s.Submitted(Id(1), 0, 0);
  auto all_up = [](int) { return true; };
  auto only_0 = [](int r) { return r == 0; };
  auto none = [](int) { return false; };
  EXPECT_EQ(s.EscalationRelay(Id(1), all_up, 2), 1);
  EXPECT_EQ(s.EscalationRelay(Id(1), only_0, 2), 0);
  EXPECT_EQ(s.EscalationRelay(Id(1), none, 2), -1);
}

TEST(SequenceCountersTest, OneCounterPerChannelAndPerChannelAndRecipient) {
  SequenceCounters c;
  v1::EnvelopeHeader h;
  h.set_channel(v1::CHANNEL_CRISIS);
  h.add_recipients(v1::NATION_JP);
  h.add_recipients(v1::NATION_KR);
  c.Commit(c.Stamp(h));
  EXPECT_EQ(h.sequence(), 1u);
  EXPECT_EQ(h.recipient_sequences(0), 1u);
  v1::EnvelopeHeader to_jp;
  to_jp.set_channel(v1::CHANNEL_CRISIS);
  to_jp.add_recipients(v1::NATION_JP);
  auto after = c.Stamp(to_jp);
  EXPECT_EQ(to_jp.sequence(), 2u);
  EXPECT_EQ(to_jp.recipient_sequences(0), 2u);
  EXPECT_EQ(after.at(SequenceKey{v1::CHANNEL_CRISIS, v1::NATION_JP}), 3u);
  // Not committed (a rolled-back write): the next stamp reuses the numbers.
  v1::EnvelopeHeader again = to_jp;
  c.Stamp(again);
  EXPECT_EQ(again.recipient_sequences(0), 2u);
  c.Commit(after);
  v1::EnvelopeHeader to_kr;
  to_kr.set_channel(v1::CHANNEL_CRISIS);
  to_kr.add_recipients(v1::NATION_KR);
  c.Stamp(to_kr);
  EXPECT_EQ(to_kr.recipient_sequences(0), 2u);  // KR's own stream
  EXPECT_EQ(to_kr.sequence(), 3u);
}

}  // namespace
}  // namespace hotline::node
