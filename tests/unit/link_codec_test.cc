#include "hotline/link_codec.h"

#include <gtest/gtest.h>

#include "hotline/limits.h"

namespace hotline {
namespace {

v1::LinkFrame BigSubmit(size_t n, char fill) {
  v1::LinkFrame f;
  f.mutable_submit()->set_envelope(std::string(n, fill));
  return f;
}

TEST(LinkCodecTest, SmallFrameIsOnePiece) {
  auto pieces = EncodeLinkFrame(BigSubmit(100, 'a'), 1);
  ASSERT_EQ(pieces.size(), 1u);
  Reassembler r;
  v1::LinkFrame out;
  auto done = r.Accept(pieces[0], out);
  ASSERT_TRUE(done.ok() && *done);
  EXPECT_EQ(out.submit().envelope(), std::string(100, 'a'));
}

TEST(LinkCodecTest, LargeFrameIsFragmentedAndReassembledAcrossInterleaving) {
  auto big = EncodeLinkFrame(BigSubmit(100000, 'b'), 7);
  auto other = EncodeLinkFrame(BigSubmit(40000, 'c'), 8);
  ASSERT_GT(big.size(), 6u);
  for (const auto& p : big) EXPECT_LE(p.size(), limits::kFragmentBytes + 64);
  Reassembler r;
  std::vector<std::string> completed;
  size_t i = 0, j = 0;
  while (i < big.size() || j < other.size()) {  // interleave the two streams
    for (auto* list : {&big, &other}) {
      size_t& k = list == &big ? i : j;
      if (k >= list->size()) continue;
      v1::LinkFrame out;
      auto done = r.Accept((*list)[k++], out);
      ASSERT_TRUE(done.ok()) << done.status().ToString();
      if (*done) completed.push_back(out.submit().envelope());
    }
  }
  ASSERT_EQ(completed.size(), 2u);
  EXPECT_EQ(completed[0], std::string(40000, 'c'));
  EXPECT_EQ(completed[1], std::string(100000, 'b'));
  EXPECT_EQ(r.buffered_bytes(), 0u);
}

TEST(LinkCodecTest, RejectsOversizedReassemblyAndTooManyStreams) {
  Reassembler r;
  v1::LinkFrame piece, out;
  piece.mutable_fragment()->set_stream_id(1);
  piece.mutable_fragment()->set_data(std::string(limits::kFragmentBytes, 'x'));
  std::string bytes = piece.SerializeAsString();
  Status last;
  for (size_t n = 0; n < limits::kMaxReassembledFrame / limits::kFragmentBytes + 2; ++n) {
    auto st = r.Accept(AsBytes(bytes), out);
    if (!st.ok()) {
      last = st.status();
      break;
    }
  }
  EXPECT_EQ(last.code(), StatusCode::kResourceExhausted);

  Reassembler many;
  Status stream_error;
  for (uint64_t s = 0; s < 100; ++s) {
    v1::LinkFrame p;
    p.mutable_fragment()->set_stream_id(s);
    auto st = many.Accept(AsBytes(p.SerializeAsString()), out);
    if (!st.ok()) {
      stream_error = st.status();
      break;
    }
  }
  EXPECT_EQ(stream_error.code(), StatusCode::kResourceExhausted);
}

TEST(LinkCodecTest, RejectsGarbageAndNestedFragments) {
  Reassembler r;
  v1::LinkFrame out;
  EXPECT_FALSE(r.Accept(Bytes{0xff, 0xff, 0xff, 0xff}, out).ok());
  v1::LinkFrame inner;
  inner.mutable_fragment()->set_stream_id(9);
  inner.mutable_fragment()->set_final(true);
  v1::LinkFrame outer;
  outer.mutable_fragment()->set_stream_id(3);
  outer.mutable_fragment()->set_final(true);
  outer.mutable_fragment()->set_data(inner.SerializeAsString());
  EXPECT_FALSE(r.Accept(AsBytes(outer.SerializeAsString()), out).ok());
}

TEST(FrameQueueTest, HigherPrecedenceFirstFifoWithin) {
  FrameQueue q(1 << 20);
  ASSERT_TRUE(q.Push({ToBytes("r1"), ToBytes("r2")}, v1::PRECEDENCE_ROUTINE).ok());
  ASSERT_TRUE(q.Push({ToBytes("f1")}, v1::PRECEDENCE_FLASH).ok());
  ASSERT_TRUE(q.Push({ToBytes("i1")}, v1::PRECEDENCE_IMMEDIATE).ok());
  ASSERT_TRUE(q.Push({ToBytes("f2")}, v1::PRECEDENCE_FLASH).ok());
  std::vector<std::string> order;
  Bytes b;
  while (q.Pop(b)) order.push_back(ToString(b));
  EXPECT_EQ(order, (std::vector<std::string>{"f1", "f2", "i1", "r1", "r2"}));
  EXPECT_EQ(q.bytes(), 0u);
}

// Track updates (PROTOCOL.md §11): a newer frame of a key replaces the
// queued one in its place, so a slow link holds one frame per track.
TEST(FrameQueueTest, ALatestValueFrameReplacesTheQueuedOneOfItsKeyInPlace) {
  FrameQueue q(1 << 20);
  ASSERT_TRUE(q.Push({ToBytes("r1")}, v1::PRECEDENCE_ROUTINE).ok());
  ASSERT_TRUE(q.PushLatest("track A", ToBytes("A1"), v1::PRECEDENCE_IMMEDIATE).ok());
  ASSERT_TRUE(q.PushLatest("track B", ToBytes("B1"), v1::PRECEDENCE_IMMEDIATE).ok());
  ASSERT_TRUE(q.PushLatest("track A", ToBytes("A2-longer"), v1::PRECEDENCE_IMMEDIATE).ok());
  ASSERT_TRUE(q.Push({ToBytes("f1")}, v1::PRECEDENCE_FLASH).ok());
  EXPECT_EQ(q.bytes(), 2u + 9u + 2u + 2u);
  std::vector<std::string> order;
  Bytes b;
  while (q.Pop(b)) order.push_back(ToString(b));
  EXPECT_EQ(order, (std::vector<std::string>{"f1", "A2-longer", "B1", "r1"}));
  EXPECT_EQ(q.bytes(), 0u);
  // Once written, the key queues afresh.
  ASSERT_TRUE(q.PushLatest("track A", ToBytes("A3"), v1::PRECEDENCE_IMMEDIATE).ok());
  ASSERT_TRUE(q.Pop(b));
  EXPECT_EQ(ToString(b), "A3");
  EXPECT_TRUE(q.empty());
}

TEST(FrameQueueTest, FifoModeIgnoresPrecedence) {
  FrameQueue q(1 << 20, /*fifo=*/true);
  ASSERT_TRUE(q.Push({ToBytes("r1")}, v1::PRECEDENCE_ROUTINE).ok());
  ASSERT_TRUE(q.Push({ToBytes("f1")}, v1::PRECEDENCE_FLASH).ok());
  Bytes b;
  ASSERT_TRUE(q.Pop(b));
  EXPECT_EQ(ToString(b), "r1");
}

TEST(FrameQueueTest, BoundedUnlessForced) {
  FrameQueue q(10);
  EXPECT_TRUE(q.Push({Bytes(8, 1)}, 1).ok());
  EXPECT_EQ(q.Push({Bytes(8, 1)}, 1).code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(q.Push({Bytes(8, 1)}, 5, /*force=*/true).ok());
  EXPECT_EQ(q.bytes(), 16u);
}

TEST(FrameQueueTest, ForcedFramesAreBoundedToo) {
  FrameQueue q(10, /*fifo=*/false, /*forced_headroom=*/10);
  EXPECT_TRUE(q.Push({Bytes(8, 1)}, 5, /*force=*/true).ok());
  EXPECT_TRUE(q.Push({Bytes(8, 1)}, 5, /*force=*/true).ok());
  Status st = q.Push({Bytes(8, 1)}, 5, /*force=*/true);
  EXPECT_EQ(st.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(st.message().find("not reading"), std::string::npos) << st.message();
  EXPECT_EQ(q.bytes(), 16u);
}

}  // namespace
}  // namespace hotline
