#include "hotline/frame_codec.h"

#include <gtest/gtest.h>

namespace hotline {
namespace {

TEST(FrameCodecTest, SplitsConcatenatedFramesFedByteByByte) {
  Bytes wire;
  ASSERT_TRUE(AppendWireFrame(wire, AsBytes("abc")).ok());
  ASSERT_TRUE(AppendWireFrame(wire, Bytes(65535, 9)).ok());
  FrameDecoder d;
  for (uint8_t b : wire) ASSERT_TRUE(d.Feed(ByteView(&b, 1)).ok());
  Bytes out;
  ASSERT_TRUE(d.Next(out));
  EXPECT_EQ(ToString(out), "abc");
  ASSERT_TRUE(d.Next(out));
  EXPECT_EQ(out.size(), 65535u);
  EXPECT_FALSE(d.Next(out));
  EXPECT_EQ(d.pending_bytes(), 0u);
}

TEST(FrameCodecTest, TruncatedFrameStaysPending) {
  Bytes wire;
  ASSERT_TRUE(AppendWireFrame(wire, Bytes(100, 1)).ok());
  wire.resize(50);
  FrameDecoder d;
  ASSERT_TRUE(d.Feed(wire).ok());
  Bytes out;
  EXPECT_FALSE(d.Next(out));
  EXPECT_EQ(d.pending_bytes(), 50u);
}

TEST(FrameCodecTest, ZeroLengthFrameKillsTheDecoder) {
  FrameDecoder d;
  Bytes zero = {0, 0, 1, 2};
  EXPECT_EQ(d.Feed(zero).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(d.dead());
  EXPECT_FALSE(d.Feed(AsBytes("x")).ok());
}

TEST(FrameCodecTest, RefusesToEncodeEmptyOrOversizedMessages) {
  Bytes wire;
  EXPECT_FALSE(AppendWireFrame(wire, {}).ok());
  EXPECT_FALSE(AppendWireFrame(wire, Bytes(65536, 0)).ok());
  EXPECT_TRUE(wire.empty());
}

}  // namespace
}  // namespace hotline
