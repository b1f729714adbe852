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

TEST(ControlAccessTest, RootTheDaemonsUserAndTheOperatorsGroupMayConnectNoOneElse) {
  const uid_t node_user = 990;
  PeerCredentials relay_user{.uid = 991, .gid = 991, .groups = {991}, .user = "hotline-relay"};
  PeerCredentials alice{.uid = 1000, .gid = 1000, .groups = {1000, 27, 989}, .user = "alice"};
  PeerCredentials root{.uid = 0, .gid = 0, .groups = {}, .user = "root"};
  PeerCredentials self{.uid = node_user, .gid = 990, .groups = {}, .user = "hotline-node"};
  ControlAccess none;
  ControlAccess ops{.operators_gid = 989, .operators_group = "hotline"};
  for (const ControlAccess& access : {none, ops}) {
    EXPECT_TRUE(MayControl(root, node_user, access));
    EXPECT_TRUE(MayControl(self, node_user, access));
    EXPECT_FALSE(MayControl(relay_user, node_user, access)) << "another daemon on the host";
  }
  EXPECT_FALSE(MayControl(alice, node_user, none));
  EXPECT_TRUE(MayControl(alice, node_user, ops)) << "a supplementary group";
  PeerCredentials primary{.uid = 1001, .gid = 989, .groups = {}, .user = "bob"};
  EXPECT_TRUE(MayControl(primary, node_user, ops)) << "the primary group";
}

TEST(ControlAccessTest, ACliClaimIsReplacedByTheAccountTheKernelVouchesFor) {
  PeerCredentials alice{.uid = 1000, .gid = 1000, .groups = {}, .user = "alice"};
  const uid_t node_user = 990;
  EXPECT_EQ(VerifiedOperatorName("cli:alice", alice, node_user), "cli:alice");
  EXPECT_EQ(VerifiedOperatorName("cli:root", alice, node_user), "cli:alice");
  EXPECT_EQ(VerifiedOperatorName("", alice, node_user), "cli:alice");
  EXPECT_EQ(VerifiedOperatorName("exercise:drill-7", alice, node_user),
            "exercise:drill-7 (cli:alice)")
      << "another name only beside the verified one";
  PeerCredentials self{.uid = node_user, .gid = 990, .groups = {}, .user = "hotline-node"};
  EXPECT_EQ(VerifiedOperatorName("exercise:drill-7", self, node_user), "exercise:drill-7");
  PeerCredentials root{.uid = 0, .gid = 0, .groups = {}, .user = "root"};
  EXPECT_EQ(VerifiedOperatorName("duty-officer", root, node_user), "duty-officer");
  EXPECT_FALSE(OperatorsGroup("no-such-group-here").ok());
  EXPECT_FALSE(OperatorsGroup("").value().operators_gid.has_value());
  auto root_group = OperatorsGroup("root");
  ASSERT_TRUE(root_group.ok());
  EXPECT_EQ(*root_group->operators_gid, 0u);
}

}  // namespace
}  // namespace hotline::node
