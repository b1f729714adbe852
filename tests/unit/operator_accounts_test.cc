#include "console/operator_accounts.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "test_util.h"

namespace hotline::console {
namespace {

TEST(OperatorAccountsTest, AddVerifyReplaceAndRemove) {
  testing::TempDir dir;
  auto none = VerifyOperator(dir.path(), "alice", "whatever1");
  ASSERT_TRUE(none.ok());  // no file yet: nobody signs in
  EXPECT_FALSE(*none);
  ASSERT_TRUE(AddOperator(dir.path(), "alice", "correct horse", 1).ok());
  ASSERT_TRUE(AddOperator(dir.path(), "bob.k-2", "battery staple", 2).ok());
  EXPECT_TRUE(*VerifyOperator(dir.path(), "alice", "correct horse"));
  EXPECT_FALSE(*VerifyOperator(dir.path(), "alice", "battery staple"));
  EXPECT_FALSE(*VerifyOperator(dir.path(), "carol", "correct horse"));
  ASSERT_TRUE(AddOperator(dir.path(), "alice", "new password", 3).ok());  // replaces
  EXPECT_FALSE(*VerifyOperator(dir.path(), "alice", "correct horse"));
  EXPECT_TRUE(*VerifyOperator(dir.path(), "alice", "new password"));
  auto list = LoadOperators(dir.path());
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->operators_size(), 2);
  EXPECT_EQ(list->operators(0).password_hash().rfind("$argon2id$", 0), 0u);
  struct stat st {};
  ASSERT_EQ(::stat((dir.path() / kOperatorsFile).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_TRUE(RemoveOperator(dir.path(), "alice").ok());
  EXPECT_FALSE(*VerifyOperator(dir.path(), "alice", "new password"));
  EXPECT_EQ(RemoveOperator(dir.path(), "alice").code(), StatusCode::kNotFound);
}

TEST(OperatorAccountsTest, NamesAndPasswordsAreChecked) {
  testing::TempDir dir;
  for (const char* bad : {"", "has space", "<script>", "a/b", "thirty-three-characters-long-name"}) {
    EXPECT_FALSE(AddOperator(dir.path(), bad, "long enough", 1).ok()) << bad;
  }
  EXPECT_FALSE(AddOperator(dir.path(), "alice", "short", 1).ok());
  std::ofstream(dir.path() / kOperatorsFile) << "not a protobuf \xff\xff";
  EXPECT_EQ(LoadOperators(dir.path()).status().code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace hotline::console
