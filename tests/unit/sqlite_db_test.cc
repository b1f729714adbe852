#include "hotline/sqlite_db.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace hotline {
namespace {

// Audit and history commands read evidence: they never create a database
// or the WAL files beside one (issue 12).
TEST(SqliteDbTest, ReadOnlyOpenNeverCreatesAStoreOrItsWalFiles) {
  testing::TempDir dir;
  auto path = dir.path() / "node.db";
  auto missing = Database::OpenReadOnly(path);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(path));
  {
    auto db = Database::Open(path, "CREATE TABLE t(x INTEGER); INSERT INTO t VALUES (7);");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
  }
  ASSERT_FALSE(std::filesystem::exists(path.string() + "-wal"));  // closed cleanly
  {
    auto db = Database::OpenReadOnly(path);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    auto q = (*db)->Prepare("SELECT x FROM t");
    ASSERT_TRUE(q.ok());
    ASSERT_TRUE(*q->Step());
    EXPECT_EQ(q->ColumnInt(0), 7);
    EXPECT_FALSE((*db)->Exec("INSERT INTO t VALUES (8)").ok());  // read-only
  }
  EXPECT_FALSE(std::filesystem::exists(path.string() + "-wal"));
  EXPECT_FALSE(std::filesystem::exists(path.string() + "-shm"));
}

}  // namespace
}  // namespace hotline
