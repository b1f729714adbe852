#include "delivery_queues.h"

#include <gtest/gtest.h>

namespace hotline::relay {
namespace {

constexpr v1::Nation kJp = v1::NATION_JP;
constexpr v1::Nation kKr = v1::NATION_KR;

QueuedItem Item(int64_t id, v1::Precedence precedence, v1::Nation to = kJp, size_t size = 100,
                const std::string& message = "") {
  QueuedItem item;
  item.id = id;
  item.recipient = to;
  item.kind = ItemKind::kEnvelope;
  item.item_id = ToBytes(message.empty() ? "m" + std::to_string(id) : message);
  item.precedence = precedence;
  item.size = size;
  item.sender = v1::NATION_US;
  return item;
}

// Sends everything the window allows; the ids in the order sent.
std::vector<int64_t> SendAll(DeliveryQueues& q, v1::Nation to = kJp) {
  std::vector<int64_t> sent;
  for (int i = 0; i < 1000; ++i) {
    const QueuedItem* next = q.Next(to);
    if (!next) break;
    sent.push_back(next->id);
    q.Sent(to, next->id);
  }
  return sent;
}

TEST(DeliveryQueuesTest, MostUrgentFirstOldestFirstWithinAPrecedence) {
  DeliveryQueues q({});
  q.Add(Item(1, v1::PRECEDENCE_ROUTINE));
  q.Add(Item(2, v1::PRECEDENCE_PRIORITY));
  q.Add(Item(3, v1::PRECEDENCE_ROUTINE));
  q.Add(Item(4, v1::PRECEDENCE_FLASH));
  q.Add(Item(5, v1::PRECEDENCE_IMMEDIATE));
  EXPECT_EQ(SendAll(q), (std::vector<int64_t>{4, 5, 2, 1, 3}));
}

TEST(DeliveryQueuesTest, FifoIgnoresPrecedence) {
  DeliveryQueues q({.fifo = true});
  q.Add(Item(1, v1::PRECEDENCE_ROUTINE));
  q.Add(Item(2, v1::PRECEDENCE_FLASH));
  EXPECT_EQ(SendAll(q), (std::vector<int64_t>{1, 2}));
}

TEST(DeliveryQueuesTest, WindowBoundsWhatIsOnItsWayInCountAndBytes) {
  DeliveryQueues by_count({.window_count = 2, .window_bytes = 1 << 20});
  for (int64_t id = 1; id <= 5; ++id) by_count.Add(Item(id, v1::PRECEDENCE_ROUTINE));
  EXPECT_EQ(SendAll(by_count), (std::vector<int64_t>{1, 2}));
  // A FLASH arriving now waits neither for the backlog nor for the window
  // (up to kFlashBeyondWindow beyond it); an IMMEDIATE waits for the window.
  by_count.Add(Item(6, v1::PRECEDENCE_IMMEDIATE));
  EXPECT_EQ(by_count.Next(kJp), nullptr);
  for (int64_t id = 7; id < 7 + static_cast<int64_t>(limits::kFlashBeyondWindow) + 2; ++id)
    by_count.Add(Item(id, v1::PRECEDENCE_FLASH));
  std::vector<int64_t> flashes = SendAll(by_count);
  ASSERT_EQ(flashes.size(), limits::kFlashBeyondWindow);
  EXPECT_EQ(flashes.front(), 7);
  EXPECT_EQ(by_count.Take(kJp, 1).kind, DeliveryQueues::Taken::Kind::kTaken);
  EXPECT_EQ(by_count.Next(kJp)->id, 7 + static_cast<int64_t>(limits::kFlashBeyondWindow))
      << "the next FLASH, once there is room beyond the window again";

  DeliveryQueues by_bytes({.window_count = 100, .window_bytes = 250});
  for (int64_t id = 1; id <= 5; ++id) by_bytes.Add(Item(id, v1::PRECEDENCE_ROUTINE));
  EXPECT_EQ(SendAll(by_bytes), (std::vector<int64_t>{1, 2, 3}));  // stops once 250 is reached
}

TEST(DeliveryQueuesTest, EachNodeHasItsOwnQueue) {
  DeliveryQueues q({.window_count = 1});
  q.Add(Item(1, v1::PRECEDENCE_ROUTINE, kJp));
  q.Add(Item(2, v1::PRECEDENCE_ROUTINE, kKr));
  EXPECT_EQ(SendAll(q, kJp), (std::vector<int64_t>{1}));
  EXPECT_EQ(SendAll(q, kKr), (std::vector<int64_t>{2}));
  EXPECT_EQ(q.queued(kJp), 1u);
  EXPECT_EQ(q.Next(v1::NATION_US), nullptr);
}

TEST(DeliveryQueuesTest, AResubmissionIsQueuedOnce) {
  DeliveryQueues q({});
  EXPECT_TRUE(q.Add(Item(1, v1::PRECEDENCE_ROUTINE)));
  EXPECT_FALSE(q.Add(Item(1, v1::PRECEDENCE_ROUTINE)));
  EXPECT_EQ(SendAll(q), (std::vector<int64_t>{1}));
}

TEST(DeliveryQueuesTest, ALostLinkQueuesWhatWasOnItsWayAgainInOrder) {
  DeliveryQueues q({});
  q.Add(Item(1, v1::PRECEDENCE_ROUTINE));
  q.Add(Item(2, v1::PRECEDENCE_IMMEDIATE));
  EXPECT_EQ(SendAll(q), (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(q.Take(kJp, 2).kind, DeliveryQueues::Taken::Kind::kTaken);
  q.ReturnInFlight(kJp);
  EXPECT_EQ(q.in_flight(kJp), 0u);
  EXPECT_EQ(SendAll(q), (std::vector<int64_t>{1}));
}

TEST(DeliveryQueuesTest, TakenTellsATakenItemFromARepeatAndFromAnIdNeverHandedOut) {
  using Kind = DeliveryQueues::Taken::Kind;
  DeliveryQueues q({});
  q.Add(Item(7, v1::PRECEDENCE_ROUTINE));
  SendAll(q);
  auto taken = q.Take(kJp, 7);
  ASSERT_EQ(taken.kind, Kind::kTaken);
  EXPECT_EQ(taken.item.id, 7);
  EXPECT_EQ(q.Take(kJp, 7).kind, Kind::kAlreadyGone);  // e.g. once per link after a reconnect
  EXPECT_EQ(q.Take(kJp, 3).kind, Kind::kAlreadyGone);  // handed out earlier, taken before
  EXPECT_EQ(q.Take(kJp, 8).kind, Kind::kNeverQueued);
  EXPECT_EQ(q.Take(kJp, 0).kind, Kind::kNeverQueued);
  EXPECT_EQ(q.Take(kJp, -1).kind, Kind::kNeverQueued);
  // After a restart with an empty queue, the store's highest id tells.
  DeliveryQueues restarted({});
  restarted.NoteAssigned(7);
  EXPECT_EQ(restarted.Take(kJp, 7).kind, Kind::kAlreadyGone);
  EXPECT_EQ(restarted.Take(kJp, 8).kind, Kind::kNeverQueued);
}

TEST(DeliveryQueuesTest, AnItemTakenWhileQueuedAgainIsNotSentTwice) {
  DeliveryQueues q({});
  q.Add(Item(1, v1::PRECEDENCE_ROUTINE));
  SendAll(q);
  q.ReturnInFlight(kJp);  // link dropped before the Taken arrived ...
  EXPECT_EQ(q.Take(kJp, 1).kind, DeliveryQueues::Taken::Kind::kTaken);  // ... on the old link
  EXPECT_TRUE(SendAll(q).empty());
}

TEST(DeliveryQueuesTest, UnreadableItemsWaitForARetryAndAreReportedOnce) {
  DeliveryQueues q({});
  q.Add(Item(1, v1::PRECEDENCE_FLASH));
  q.Add(Item(2, v1::PRECEDENCE_ROUTINE));
  ASSERT_EQ(q.Next(kJp)->id, 1);
  EXPECT_TRUE(q.Unreadable(kJp, 1));
  EXPECT_EQ(SendAll(q), (std::vector<int64_t>{2}));  // the rest is not held up
  EXPECT_EQ(q.RetryUnreadable(), (std::vector<v1::Nation>{kJp}));
  ASSERT_EQ(q.Next(kJp)->id, 1);
  EXPECT_FALSE(q.Unreadable(kJp, 1));  // already reported
  EXPECT_TRUE(q.RetryUnreadable() == std::vector<v1::Nation>{kJp});
  EXPECT_TRUE(q.RetryUnreadable().empty());
  EXPECT_EQ(q.queued(kJp), 2u);  // never forgotten
}

TEST(DeliveryQueuesTest, WithdrawFindsTheSendersCopiesThatAreNotOnTheirWay) {
  DeliveryQueues q({.window_count = 1});
  q.Add(Item(1, v1::PRECEDENCE_ROUTINE, kJp, 100, "msg"));
  q.Add(Item(2, v1::PRECEDENCE_ROUTINE, kKr, 100, "msg"));
  q.Add(Item(3, v1::PRECEDENCE_ROUTINE, kKr, 100, "other"));
  SendAll(q, kJp);  // item 1 is on its way
  using Copies = std::vector<std::pair<v1::Nation, int64_t>>;
  EXPECT_EQ(q.Withdrawable(v1::NATION_US, "msg"), (Copies{{kKr, 2}}));
  EXPECT_TRUE(q.Withdrawable(v1::NATION_JP, "msg").empty());  // only its sender may
  ASSERT_TRUE(q.Remove(kKr, 2).has_value());
  EXPECT_FALSE(q.Remove(kKr, 2).has_value());
  EXPECT_TRUE(q.Withdrawable(v1::NATION_US, "msg").empty());
  EXPECT_EQ(SendAll(q, kKr), (std::vector<int64_t>{3}));
}

// Expiry takes old envelopes that are not on their way; receipts and expiry
// notices never expire (they are small and their recipient needs them).
TEST(DeliveryQueuesTest, OnlyOldEnvelopesNotOnTheirWayExpire) {
  DeliveryQueues q({});
  QueuedItem old_sent = Item(1, v1::PRECEDENCE_ROUTINE);
  QueuedItem old_waiting = Item(2, v1::PRECEDENCE_ROUTINE, kKr);
  QueuedItem young = Item(3, v1::PRECEDENCE_ROUTINE, kKr);
  QueuedItem old_receipt = Item(4, v1::PRECEDENCE_FLASH, kKr);
  old_sent.accepted_at_ms = old_waiting.accepted_at_ms = old_receipt.accepted_at_ms = 1000;
  young.accepted_at_ms = 5000;
  old_receipt.kind = ItemKind::kReceipt;
  for (const auto& item : {old_sent, old_waiting, young, old_receipt}) q.Add(item);
  q.Sent(kJp, 1);
  using Copy = std::pair<v1::Nation, int64_t>;
  EXPECT_EQ(q.Expirable(1000), (std::vector<Copy>{{kKr, 2}}));
  EXPECT_EQ(q.Expirable(999), (std::vector<Copy>{}));
  q.ReturnInFlight(kJp);  // the link dropped: the old one may expire now
  EXPECT_EQ(q.Expirable(5000), (std::vector<Copy>{{kJp, 1}, {kKr, 2}, {kKr, 3}}));
}

}  // namespace
}  // namespace hotline::relay
