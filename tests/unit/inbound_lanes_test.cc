// Inbound lanes: what a link has read is handed on most urgent first —
// acknowledgements, then FLASH .. ROUTINE — in arrival order within a lane,
// and not before the greeting has been taken.
#include "hotline/inbound_lanes.h"

#include <gtest/gtest.h>

#include "hotline/v1/envelope.pb.h"

namespace hotline {
namespace {

v1::LinkFrame Deliver(v1::Precedence p, uint64_t id, size_t body = 100) {
  v1::EnvelopeHeader h;
  h.set_version(1);
  h.set_precedence(p);
  v1::Envelope e;
  e.set_header(h.SerializeAsString());
  e.set_body_ciphertext(std::string(body, 'x'));
  v1::LinkFrame f;
  f.mutable_deliver()->set_envelope(e.SerializeAsString());
  f.mutable_deliver()->set_delivery_id(id);
  return f;
}

v1::LinkFrame Track(v1::Nation sender, char key, uint64_t seq) {
  v1::EnvelopeHeader h;
  h.set_version(1);
  h.set_sender(sender);
  h.set_precedence(v1::PRECEDENCE_IMMEDIATE);
  h.mutable_track()->set_track_key(std::string(16, key));
  h.mutable_track()->set_update_seq(seq);
  v1::Envelope e;
  e.set_header(h.SerializeAsString());
  v1::LinkFrame f;
  f.mutable_track()->set_envelope(e.SerializeAsString());
  return f;
}

std::vector<std::string> Drain(InboundLanes& lanes) {
  std::vector<std::string> out;
  v1::LinkFrame f;
  while (lanes.Pop(f)) {
    switch (f.kind_case()) {
      case v1::LinkFrame::kHello:
        out.push_back("hello");
        break;
      case v1::LinkFrame::kDeliver:
        out.push_back("d" + std::to_string(f.deliver().delivery_id()));
        break;
      case v1::LinkFrame::kTaken:
        out.push_back("taken");
        break;
      case v1::LinkFrame::kDeliverReceipt:
        out.push_back("r" + std::to_string(f.deliver_receipt().delivery_id()));
        break;
      case v1::LinkFrame::kTrust:
        out.push_back("trust");
        break;
      case v1::LinkFrame::kTrack: {
        v1::Envelope e;
        v1::EnvelopeHeader h;
        e.ParseFromString(f.track().envelope());
        h.ParseFromString(e.header());
        out.push_back(std::string("t") + h.track().track_key()[0] +
                      std::to_string(h.track().update_seq()));
        break;
      }
      default:
        out.push_back("?");
    }
  }
  return out;
}

TEST(InboundLanesTest, TheMostUrgentGoesFirstInArrivalOrderWithinALane) {
  InboundLanes lanes;
  v1::LinkFrame hello;
  hello.mutable_hello()->set_version(1);
  lanes.Push(hello);
  lanes.Push(Deliver(v1::PRECEDENCE_FLASH, 1));  // waits for the greeting, then has its lane
  v1::LinkFrame first;
  ASSERT_TRUE(lanes.Pop(first));
  EXPECT_TRUE(first.has_hello());
  lanes.Push(Deliver(v1::PRECEDENCE_ROUTINE, 2, 60000));
  v1::LinkFrame trust;
  trust.mutable_trust();
  lanes.Push(trust);  // keeps its place among the routine traffic
  lanes.Push(Deliver(v1::PRECEDENCE_ROUTINE, 3));
  lanes.Push(Deliver(v1::PRECEDENCE_IMMEDIATE, 4));
  v1::LinkFrame receipt;
  receipt.mutable_deliver_receipt()->set_delivery_id(5);
  receipt.mutable_deliver_receipt()->set_precedence(v1::PRECEDENCE_FLASH);
  lanes.Push(receipt);
  lanes.Push(Deliver(v1::PRECEDENCE_FLASH, 6));
  v1::LinkFrame taken;
  taken.mutable_taken()->set_delivery_id(9);
  lanes.Push(taken);
  EXPECT_EQ(lanes.size(), 8u);
  EXPECT_GT(lanes.bytes(), 60000u);
  EXPECT_EQ(Drain(lanes),
            (std::vector<std::string>{"taken", "d1", "r5", "d6", "d4", "d2", "trust", "d3"}));
  EXPECT_TRUE(lanes.empty());
  EXPECT_EQ(lanes.bytes(), 0u);
}

// PROTOCOL.md §11: a track update waiting to be handed on is replaced, in
// its place, by a newer one of the same sender and track; never by an older.
TEST(InboundLanesTest, ANewerTrackUpdateReplacesTheWaitingOneOfItsTrack) {
  InboundLanes lanes;
  v1::LinkFrame hello;
  hello.mutable_hello()->set_version(1);
  lanes.Push(hello);
  v1::LinkFrame first;
  ASSERT_TRUE(lanes.Pop(first));
  lanes.Push(Deliver(v1::PRECEDENCE_ROUTINE, 1));
  lanes.Push(Track(v1::NATION_KR, 'a', 1));
  lanes.Push(Track(v1::NATION_KR, 'b', 1));
  lanes.Push(Track(v1::NATION_KR, 'a', 2));
  lanes.Push(Track(v1::NATION_JP, 'a', 1));  // another sender's track
  lanes.Push(Track(v1::NATION_KR, 'a', 5));
  // Not newer than the waiting one (a replay, a copy): handed on after it,
  // for the receiver to judge; it never replaces the newer one.
  lanes.Push(Track(v1::NATION_KR, 'a', 4));
  lanes.Push(Deliver(v1::PRECEDENCE_FLASH, 2));
  EXPECT_EQ(lanes.size(), 6u);
  EXPECT_EQ(lanes.conflated(), 2u);
  EXPECT_EQ(Drain(lanes), (std::vector<std::string>{"d2", "ta5", "tb1", "ta1", "ta4", "d1"}));
  EXPECT_EQ(lanes.bytes(), 0u);
  // Taken: the next update of the track waits on its own again.
  lanes.Push(Track(v1::NATION_KR, 'a', 6));
  lanes.Push(Track(v1::NATION_KR, 'a', 7));
  EXPECT_EQ(Drain(lanes), (std::vector<std::string>{"ta7"}));
}

TEST(InboundLanesTest, FifoAndUnreadableFramesKeepArrivalOrder) {
  InboundLanes fifo(/*fifo=*/true);
  v1::LinkFrame hello;
  hello.mutable_hello();
  fifo.Push(hello);
  v1::LinkFrame f;
  ASSERT_TRUE(fifo.Pop(f));
  fifo.Push(Deliver(v1::PRECEDENCE_ROUTINE, 1));
  fifo.Push(Deliver(v1::PRECEDENCE_FLASH, 2));
  EXPECT_EQ(Drain(fifo), (std::vector<std::string>{"d1", "d2"}));

  // An envelope that does not parse, or claims no precedence, is routine.
  v1::LinkFrame garbage;
  garbage.mutable_deliver()->set_envelope("\x0a\xff\xff\xff\xff\x0f");
  EXPECT_EQ(InboundLaneOf(garbage), 4);
  garbage.mutable_deliver()->set_envelope("");
  EXPECT_EQ(InboundLaneOf(garbage), 4);
  EXPECT_EQ(InboundLaneOf(Deliver(v1::PRECEDENCE_FLASH, 1)), 1);
  EXPECT_EQ(InboundLaneOf(Deliver(v1::PRECEDENCE_PRIORITY, 1)), 3);
  v1::LinkFrame receipt;
  receipt.mutable_submit_receipt();  // UNSPECIFIED means FLASH
  EXPECT_EQ(InboundLaneOf(receipt), 1);
}

}  // namespace
}  // namespace hotline
