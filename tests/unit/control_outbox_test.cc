#include <gtest/gtest.h>

#include "hotline/control_codec.h"
#include "hotline/control_server.h"

namespace hotline::node {
namespace {

v1::ControlResponse Event(size_t text_bytes) {
  v1::ControlResponse r;
  r.set_ok(true);
  r.mutable_event()->set_text(std::string(text_bytes, 'e'));
  return r;
}

// A stalled `watch` client: events queue up to the bound, then Push refuses
// and the server closes that client (issue 11 item 10).
TEST(ControlOutboxTest, RefusesPastItsBoundAndDrainsInOrder) {
  ControlOutbox outbox(10'000);
  int pushed = 0;
  while (outbox.Push(Event(1000))) {
    ASSERT_LT(++pushed, 100) << "the bound never applied";
  }
  EXPECT_EQ(pushed, 9);
  EXPECT_LE(outbox.bytes(), 10'000u);
  Bytes wire = outbox.PopBatch(1 << 20);
  EXPECT_TRUE(outbox.empty());
  EXPECT_EQ(outbox.bytes(), 0u);
  ControlDecoder decoder;
  ASSERT_TRUE(decoder.Feed(wire).ok());
  int decoded = 0;
  for (;;) {
    v1::ControlResponse r;
    auto next = decoder.Next(r);
    ASSERT_TRUE(next.ok());
    if (!*next) break;
    ++decoded;
  }
  EXPECT_EQ(decoded, pushed);
  EXPECT_TRUE(outbox.Push(Event(1000)));  // room again once read
}

TEST(ControlOutboxTest, OneLargeReplyIsAlwaysAccepted) {
  ControlOutbox outbox(100);
  EXPECT_TRUE(outbox.Push(Event(5000)));
  EXPECT_FALSE(outbox.Push(Event(1)));
}

TEST(ControlErrorTest, ResponsesCarryTheStatusCodeBothWays) {
  v1::ControlResponse r = ErrorResponse(NotFoundError("no message with id 12ab"));
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.code(), v1::ERROR_CODE_NOT_FOUND);
  EXPECT_EQ(r.error(), "no message with id 12ab");
  Status back = StatusOf(r);
  EXPECT_EQ(back.code(), StatusCode::kNotFound);
  EXPECT_EQ(back.message(), "no message with id 12ab");
  EXPECT_EQ(ErrorResponse(DeadlineExceededError("late")).code(), v1::ERROR_CODE_DEADLINE_EXCEEDED);
  v1::ControlResponse old_node;  // no code: still a failure
  old_node.set_error("refused");
  EXPECT_EQ(StatusOf(old_node).code(), StatusCode::kFailedPrecondition);
  old_node.set_ok(true);
  EXPECT_TRUE(StatusOf(old_node).ok());
}

}  // namespace
}  // namespace hotline::node
