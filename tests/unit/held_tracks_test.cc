// The relay's track updates for an absent recipient: the newest of each
// track only, bounded in count and age (PROTOCOL.md §11).
#include "held_tracks.h"

#include <gtest/gtest.h>

namespace hotline::relay {
namespace {

TEST(HeldTracksTest, KeepsTheNewestOfEachTrackBoundedInCountAndAge) {
  HeldTracks held;
  EXPECT_TRUE(held.Hold(v1::NATION_JP, "KR:a", 5, "a5", 1000));
  EXPECT_FALSE(held.Hold(v1::NATION_JP, "KR:a", 4, "a4", 1001));  // older: not kept
  EXPECT_FALSE(held.Hold(v1::NATION_JP, "KR:a", 5, "a5 again", 1001));
  EXPECT_TRUE(held.Hold(v1::NATION_JP, "KR:a", 7, "a7", 1002));
  EXPECT_TRUE(held.Hold(v1::NATION_JP, "KR:b", 1, "b1", 1003));
  EXPECT_TRUE(held.Hold(v1::NATION_US, "KR:a", 7, "a7", 1002));
  EXPECT_EQ(held.held(v1::NATION_JP), 2u);
  auto out = held.Take(v1::NATION_JP, 1003 + HeldTracks::kMaxAgeMs);
  ASSERT_EQ(out.size(), 1u);  // a7 is too old by then
  EXPECT_EQ(out[0].second, "b1");
  EXPECT_EQ(held.held(v1::NATION_JP), 0u);
  EXPECT_EQ(held.held(v1::NATION_US), 1u);
  for (size_t i = 0; i < HeldTracks::kMaxPerRecipient; ++i) {
    ASSERT_TRUE(held.Hold(v1::NATION_KR, "US:" + std::to_string(i), 1, "x", 0));
  }
  EXPECT_FALSE(held.Hold(v1::NATION_KR, "US:one too many", 1, "x", 0));
  EXPECT_TRUE(held.Hold(v1::NATION_KR, "US:0", 2, "newer of a held track", 0));
}

// A recipient that never comes back holds nothing for ever: what is older
// than kMaxAgeMs is dropped when anything new is held, and the bytes held
// per recipient are bounded.
TEST(HeldTracksTest, ExpiredUpdatesMakeRoomAndBytesAreBounded) {
  HeldTracks held;
  for (size_t i = 0; i < HeldTracks::kMaxPerRecipient; ++i) {
    ASSERT_TRUE(held.Hold(v1::NATION_KR, "US:" + std::to_string(i), 1, "x", 0));
  }
  EXPECT_TRUE(held.Hold(v1::NATION_KR, "US:fresh", 1, "x", HeldTracks::kMaxAgeMs + 1));
  EXPECT_EQ(held.held(v1::NATION_KR), 1u) << "the expired ones went";
  std::string big(HeldTracks::kMaxBytesPerRecipient / 2, 'e');
  EXPECT_TRUE(held.Hold(v1::NATION_JP, "KR:a", 1, big, 0));
  EXPECT_FALSE(held.Hold(v1::NATION_JP, "KR:b", 1, big + big, 0));
  EXPECT_TRUE(held.Hold(v1::NATION_JP, "KR:a", 2, big, 0)) << "a replacement counts once";
}

}  // namespace
}  // namespace hotline::relay
