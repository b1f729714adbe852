// Link-frame codec, sans-I/O: turning LinkFrames into Noise-message-sized
// pieces (fragmenting large frames so that urgent frames can overtake them)
// and back, and the priority queue each connection's single writer pops.
//
// Thread safety: none; one owner per connection. Error contract: Status for
// malformed or oversized input; a Reassembler that fails is dead.
#ifndef HOTLINE_LINK_CODEC_H_
#define HOTLINE_LINK_CODEC_H_

#include <map>
#include <queue>
#include <string>
#include <vector>

#include "hotline/bytes.h"
#include "hotline/limits.h"
#include "hotline/v1/link.pb.h"

namespace hotline {

// Serializes `frame`; if larger than limits::kFragmentBytes, splits it into
// Fragment frames tagged with `stream_id`. Each returned piece is one
// serialized LinkFrame that fits one Noise transport message.
std::vector<Bytes> EncodeLinkFrame(const v1::LinkFrame& frame, uint64_t stream_id);

// Parses one decrypted Noise payload. Fragments are buffered (bounded) until
// their final piece; then the reassembled frame is returned.
class Reassembler {
 public:
  // Returns true and fills `out` when a whole frame is available.
  StatusOr<bool> Accept(ByteView piece, v1::LinkFrame& out);
  size_t buffered_bytes() const { return buffered_; }
  static constexpr size_t kMaxStreams = 64;

 private:
  std::map<uint64_t, Bytes> streams_;
  size_t buffered_ = 0;
};

// Priority queue of encoded pieces: higher precedence first, FIFO within
// one precedence (so a fragmented frame's pieces stay in order). With
// `fifo` set, precedence is ignored (for the comparison benchmark).
class FrameQueue {
 public:
  explicit FrameQueue(size_t max_bytes, bool fifo = false,
                      size_t forced_headroom = limits::kControlFrameHeadroom)
      : max_bytes_(max_bytes), forced_headroom_(forced_headroom), fifo_(fifo) {}
  // Fails with kResourceExhausted (and queues nothing) past max_bytes,
  // unless `force` (for small control frames that must not be dropped);
  // forced frames fail too past max_bytes + forced_headroom: the peer is
  // not reading.
  Status Push(std::vector<Bytes> pieces, int precedence, bool force = false);
  // Latest-value traffic (track updates, PROTOCOL.md §11): a one-piece
  // frame that replaces the queued, not yet written frame of the same
  // `key`, keeping its place; queued as Push does otherwise.
  Status PushLatest(const std::string& key, Bytes piece, int precedence);
  bool Pop(Bytes& out);
  bool empty() const { return heap_.empty(); }
  size_t bytes() const { return bytes_; }
  // Forgets everything queued (a peer being cut off gets nothing more).
  void Clear() {
    heap_ = {};
    latest_.clear();
    bytes_ = 0;
  }

 private:
  struct Item {
    int precedence;
    uint64_t seq;
    Bytes data;
    std::string key;  // latest-value frames: data lives in latest_[key]
  };
  struct Order {
    bool operator()(const Item& a, const Item& b) const {
      if (a.precedence != b.precedence) return a.precedence < b.precedence;
      return a.seq > b.seq;
    }
  };
  std::priority_queue<Item, std::vector<Item>, Order> heap_;
  std::map<std::string, Bytes> latest_;  // the newest frame of each queued key
  size_t max_bytes_;
  size_t forced_headroom_;
  bool fifo_;
  size_t bytes_ = 0;
  uint64_t next_seq_ = 0;
};

}  // namespace hotline

#endif  // HOTLINE_LINK_CODEC_H_
