// tests/vectors must stay a verbatim copy of the founders' ../shared/vectors.
#include <gtest/gtest.h>

#include <filesystem>

#include "test_util.h"

namespace hotline {
namespace {

namespace fs = std::filesystem;

TEST(VectorsCopyTest, MatchesSharedVectorsByteForByteWhenPresent) {
  fs::path shared = fs::path(HOTLINE_SOURCE_DIR) / ".." / "shared" / "vectors";
  if (!fs::exists(shared)) GTEST_SKIP() << "../shared/vectors is not beside this checkout";
  size_t compared = 0;
  for (const auto& entry : fs::recursive_directory_iterator(shared)) {
    if (!entry.is_regular_file()) continue;
    fs::path rel = fs::relative(entry.path(), shared);
    fs::path ours = testing::VectorsDir() / rel;
    ASSERT_TRUE(fs::exists(ours)) << rel;
    EXPECT_EQ(testing::ReadFileOrDie(ours), testing::ReadFileOrDie(entry.path())) << rel;
    ++compared;
  }
  EXPECT_GT(compared, 200u);
}

}  // namespace
}  // namespace hotline
