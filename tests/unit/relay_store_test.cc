#include "relay_store.h"

#include <gtest/gtest.h>

#include "hotline/group_commit.h"
#include "test_util.h"

namespace hotline::relay {
namespace {

StatusOr<QueuedItem> Enqueue(RelayStore& store, const std::string& id) {
  HOTLINE_RETURN_IF_ERROR(store.db().Begin());
  auto item = store.Enqueue(v1::NATION_JP, ItemKind::kEnvelope, AsBytes(id), v1::NATION_US,
                            v1::PRECEDENCE_FLASH, AsBytes("data-" + id), 1);
  HOTLINE_RETURN_IF_ERROR(store.db().Commit());
  return item;
}

TEST(RelayStoreTest, QueuedItemsSurviveAReopenAndIdsAreNeverHandedOutTwice) {
  testing::TempDir dir;
  auto path = dir.path() / "relay.db";
  int64_t newest_removed = 0;
  {
    auto store = RelayStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto highest = (*store)->HighestIdAssigned();
    ASSERT_TRUE(highest.ok());
    EXPECT_EQ(*highest, 0);
    auto a = Enqueue(**store, "a");
    auto b = Enqueue(**store, "b");
    auto again = Enqueue(**store, "b");  // a resubmission: the same row
    ASSERT_TRUE(a.ok() && b.ok() && again.ok());
    EXPECT_EQ(again->id, b->id);
    ASSERT_TRUE((*store)->db().Begin().ok());
    ASSERT_TRUE((*store)->Remove(b->id).ok());  // the newest taken: its id is not reused
    newest_removed = b->id;
    ASSERT_TRUE((*store)->db().Commit().ok());
  }
  auto store = RelayStore::Open(path);
  ASSERT_TRUE(store.ok());
  std::vector<std::string> restored;
  ASSERT_TRUE(
      (*store)
          ->ForEach([&](const QueuedItem& item) { restored.push_back(ToString(item.item_id)); })
          .ok());
  EXPECT_EQ(restored, (std::vector<std::string>{"a"}));
  auto highest = (*store)->HighestIdAssigned();
  ASSERT_TRUE(highest.ok());
  EXPECT_GE(*highest, newest_removed);  // a refused insert may also use an id up
  auto c = Enqueue(**store, "c");
  ASSERT_TRUE(c.ok());
  EXPECT_GT(c->id, *highest);
  auto data = (*store)->LoadData(c->id);
  ASSERT_TRUE(data.ok());
  EXPECT_EQ(ToString(*data), "data-c");
  EXPECT_EQ((*store)->LoadData(newest_removed).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace hotline::relay
