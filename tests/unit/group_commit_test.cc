#include "hotline/group_commit.h"

#include <gtest/gtest.h>

#include "hotline/audit_log.h"
#include "test_util.h"

namespace hotline {
namespace {

class GroupCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = Database::Open(dir_.path() / "t.db", "CREATE TABLE t(k INTEGER PRIMARY KEY, v TEXT);");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
  }
  Status Insert(int k) {
    auto s = db_->Prepare("INSERT INTO t(k, v) VALUES(?, 'x')");
    if (!s.ok()) return s.status();
    s->Bind(1, k);
    return s->Run();
  }
  int Count() {
    auto s = db_->Prepare("SELECT count(*) FROM t");
    (void)s->Step();
    return static_cast<int>(s->ColumnInt(0));
  }

  testing::TempDir dir_;
  std::unique_ptr<Database> db_;
  asio::io_context io_;
};

TEST_F(GroupCommitTest, WritesOfOneTurnShareOneBatchAndCallbacksFollowCommit) {
  GroupCommitter c(io_.get_executor(), *db_);
  int done = 0;
  for (int i = 0; i < 100; ++i) {
    c.Submit([this, i] { return Insert(i); }, [&](const Status& st) {
      EXPECT_TRUE(st.ok());
      EXPECT_FALSE(db_->in_transaction());  // committed before the callback
      ++done;
    });
  }
  EXPECT_EQ(done, 0);
  io_.run();
  EXPECT_EQ(done, 100);
  EXPECT_EQ(c.batches(), 1u);
  EXPECT_EQ(Count(), 100);
}

TEST_F(GroupCommitTest, AFailingWriteFailsAloneAndListenersHearOfTheRollback) {
  GroupCommitter c(io_.get_executor(), *db_);
  int rollbacks = 0;
  c.OnRollback([&] { ++rollbacks; });
  std::vector<Status> results(3);
  c.Submit([this] { return Insert(1); }, [&](const Status& st) { results[0] = st; });
  c.Submit([this] { return Insert(1); }, [&](const Status& st) { results[1] = st; });  // duplicate key
  c.Submit([this] { return Insert(2); }, [&](const Status& st) { results[2] = st; });
  io_.run();
  EXPECT_TRUE(results[0].ok());
  EXPECT_EQ(results[1].code(), StatusCode::kAlreadyExists);
  EXPECT_TRUE(results[2].ok());
  EXPECT_GE(rollbacks, 1);
  EXPECT_EQ(Count(), 2);
}

TEST_F(GroupCommitTest, LazyWritesFlushWithoutAnotherSubmit) {
  GroupCommitter c(io_.get_executor(), *db_, 4096, std::chrono::milliseconds(5));
  bool done = false;
  c.SubmitLazy([this] { return Insert(5); }, [&](const Status& st) { done = st.ok(); });
  io_.run_for(std::chrono::seconds(5));
  EXPECT_TRUE(done);
  EXPECT_EQ(Count(), 1);
}

TEST_F(GroupCommitTest, AuditIndexHasNoGapAfterARolledBackAppend) {
  ASSERT_TRUE(db_->Exec(kAuditSchema).ok());
  GroupCommitter c(io_.get_executor(), *db_);
  AuditLog log(*db_, "test", [] { return int64_t{1}; });
  c.OnRollback([&] { log.InvalidateCache(); });
  AuditEntry r{.event = v1::AUDIT_EVENT_START};
  c.Submit([&] { return log.Append(r); });
  c.Submit([&]() -> Status {
    HOTLINE_RETURN_IF_ERROR(log.Append(r));
    return InternalError("fails after appending");
  });
  c.Submit([&] { return log.Append(r); });
  io_.run();
  auto size = log.Size();
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, 2u);
  auto s = db_->Prepare("SELECT group_concat(idx) FROM audit_log");
  (void)s->Step();
  EXPECT_EQ(s->ColumnText(0), "0,1");
}

TEST_F(GroupCommitTest, TheProofTreeFollowsRolledBackAppendsAndAgreesWithTheRoot) {
  ASSERT_TRUE(db_->Exec(kAuditSchema).ok());
  GroupCommitter c(io_.get_executor(), *db_);
  AuditLog log(*db_, "test", [] { return int64_t{1}; });
  c.OnRollback([&] { log.InvalidateCache(); });
  AuditEntry r{.event = v1::AUDIT_EVENT_START};
  for (int i = 0; i < 5; ++i) c.Submit([&] { return log.Append(r); });
  io_.run();
  io_.restart();
  auto tree = log.ProofTree();
  ASSERT_TRUE(tree.ok()) << tree.status().ToString();
  EXPECT_EQ((*tree)->size(), 5u);
  c.Submit([&]() -> Status {
    for (int i = 0; i < 3; ++i) HOTLINE_RETURN_IF_ERROR(log.Append(r));
    return InternalError("fails after appending three");
  });
  io_.run();
  io_.restart();
  tree = log.ProofTree();
  ASSERT_TRUE(tree.ok());
  EXPECT_EQ((*tree)->size(), 5u);
  c.Submit([&] { return log.Append({.event = v1::AUDIT_EVENT_STOP}); });
  io_.run();
  tree = log.ProofTree();
  ASSERT_TRUE(tree.ok());
  ASSERT_EQ((*tree)->size(), 6u);
  auto root = log.Root();
  ASSERT_TRUE(root.ok());
  EXPECT_EQ((*tree)->RootAt(6), *root);
}

}  // namespace
}  // namespace hotline
