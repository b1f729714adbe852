#include "node/node_store.h"

#include <gtest/gtest.h>

#include "hotline/envelope.h"
#include "test_util.h"

namespace hotline::node {
namespace {

// A row whose stored protobuf does not parse is reported as corruption,
// never read as an empty message.
TEST(NodeStoreTest, CorruptStoredRowsAreDataLossNotEmptyMessages) {
  testing::TempDir dir;
  auto store = NodeStore::Open(dir.path() / "node.db");
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  v1::EnvelopeHeader h;
  h.set_version(kEnvelopeVersion);
  h.set_message_id(std::string(kMessageIdLen, 'm'));
  h.set_sender(v1::NATION_US);
  h.add_recipients(v1::NATION_JP);
  h.set_channel(v1::CHANNEL_CRISIS);
  h.set_precedence(v1::PRECEDENCE_FLASH);
  h.set_sequence(1);
  v1::Body body;
  body.mutable_text()->set_text("hello");
  ASSERT_TRUE((*store)->InsertInbox(h, body, Bytes(32, 1), 1).ok());
  int held = 0;
  ASSERT_TRUE((*store)->ForEachHeld([&](auto, auto, auto, auto, auto) { ++held; }).ok());
  EXPECT_EQ(held, 1);

  // 0xff: field 31 with the invalid wire type 7.
  ASSERT_TRUE((*store)->db().Exec("UPDATE inbox SET header = x'ff', body = x'ff'").ok());
  Status st = (*store)->ForEachHeld([&](auto, auto, auto, auto, auto) { ++held; });
  EXPECT_EQ(st.code(), StatusCode::kDataLoss) << st.ToString();
  EXPECT_NE(st.message().find("inbox header does not parse"), std::string::npos) << st.message();
  EXPECT_EQ(held, 1);
  auto row = (*store)->GetInbox(AsBytes(h.message_id()));
  EXPECT_EQ(row.status().code(), StatusCode::kDataLoss);
}

// A receipt replayed or re-sent is recorded once (issue 11 item 7).
TEST(NodeStoreTest, AReceiptIsRecordedOnceWhateverTimesItArrives) {
  testing::TempDir dir;
  auto store = NodeStore::Open(dir.path() / "node.db");
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  OutboxRow row;
  row.message_id = Bytes(kMessageIdLen, 7);
  row.header.set_message_id(ToString(row.message_id));
  row.header.add_recipients(v1::NATION_JP);
  row.envelope = Bytes(10, 1);
  row.digest = Bytes(32, 2);
  ASSERT_TRUE((*store)->InsertOutbox(row, 1).ok());
  auto first = (*store)->MarkDelivered(row.message_id, v1::NATION_JP, 100, Bytes(5, 3));
  auto again = (*store)->MarkDelivered(row.message_id, v1::NATION_JP, 200, Bytes(5, 4));
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_TRUE(*first);
  EXPECT_FALSE(*again);
  auto ack = (*store)->MarkAcknowledged(row.message_id, v1::NATION_JP, 300, Bytes(5, 5), {});
  auto ack_again = (*store)->MarkAcknowledged(row.message_id, v1::NATION_JP, 400, Bytes(5, 6), {});
  ASSERT_TRUE(ack.ok() && ack_again.ok());
  EXPECT_TRUE(*ack);
  EXPECT_FALSE(*ack_again);
  auto status = (*store)->GetStatus(row.message_id);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->recipients(0).delivered_at_ms(), 100);
  EXPECT_EQ(status->recipients(0).acknowledged_at_ms(), 300);
}

}  // namespace
}  // namespace hotline::node
