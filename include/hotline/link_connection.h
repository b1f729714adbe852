// One node-relay TCP connection: the Noise XX handshake with certificate
// check, then LinkFrames both ways. A thin coroutine shell around the
// sans-I/O SecureChannel, FrameDecoder, Reassembler and FrameQueue.
//
// Frames read are handed on by urgency, not arrival (InboundLanes): the
// reader reads ahead up to kMaxReadAheadBytes, and a dispatcher hands the
// most urgent frame waiting to Callbacks::frame, letting other connections
// run every kDispatchSlice, so that a FLASH is not stuck behind the bulk
// work already read in this or another connection.
//
// Exactly one writer per socket pops the priority FrameQueue (FLASH first)
// and coalesces queued pieces into one write; the kernel's unsent buffer is
// kept small with TCP_NOTSENT_LOWAT so that the queue decides what goes next.
// Watchdogs: a handshake deadline, an idle timeout, and (initiator side)
// periodic heartbeats.
//
// Thread safety: all calls on the connection's executor thread.
// Error contract: any failure closes the connection and reports the reason
// once through Callbacks::closed; the peer learns nothing but the close.
#ifndef HOTLINE_LINK_CONNECTION_H_
#define HOTLINE_LINK_CONNECTION_H_

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "hotline/asio.h"
#include "hotline/frame_codec.h"
#include "hotline/inbound_lanes.h"
#include "hotline/limits.h"
#include "hotline/link_codec.h"
#include "hotline/secure_channel.h"

namespace hotline {

struct LinkOptions {
  std::chrono::milliseconds handshake_timeout = limits::kHandshakeTimeout;
  std::chrono::milliseconds idle_timeout = limits::kIdleTimeout;
  // Zero: never send heartbeats (the relay side only answers them).
  std::chrono::milliseconds heartbeat_interval{0};
  size_t max_queue_bytes = limits::kMaxQueuedBytesPerConnection;
  bool fifo = false;  // ignore precedence (benchmark comparison only)
  int not_sent_lowat = limits::kLinkNotSentLowat;
};

class LinkConnection : public std::enable_shared_from_this<LinkConnection> {
 public:
  using Ptr = std::shared_ptr<LinkConnection>;
  struct Callbacks {
    std::function<void(const Ptr&)> established;
    std::function<void(const Ptr&, v1::LinkFrame&)> frame;
    // `authenticated` tells whether the handshake had completed.
    std::function<void(const Ptr&, const std::string& reason, bool authenticated)> closed;
  };

  static Ptr Create(asio::ip::tcp::socket socket, SecureChannelConfig channel, Callbacks callbacks,
                    LinkOptions options);

  void Start();
  // Queues `frame` at `precedence` (a v1::Precedence value; control frames
  // use FLASH + 1). Fails when the queue is full, unless `force`.
  Status Send(const v1::LinkFrame& frame, int precedence, bool force = false);
  // Latest-value traffic: replaces the queued, unwritten frame of `key`
  // (FrameQueue::PushLatest).
  Status SendLatest(const v1::LinkFrame& frame, const std::string& key, int precedence);
  void Close(const std::string& reason);
  // Writes what is queued, then half-closes; from now on nothing more is
  // sent and the peer's frames are dropped unread. Closed when the peer
  // closes too, or within the idle timeout if it lingers.
  void FinishAndClose(const std::string& reason);
  // The same, but what was queued is dropped and only `last` (why the peer
  // is refused) is written.
  void RefuseAndClose(const v1::LinkFrame& last, const std::string& reason);
  bool refusing() const { return refusing_; }

  bool established() const { return channel_.established(); }
  bool closed() const { return closed_; }
  const v1::CertificateDetails& peer() const { return channel_.peer(); }
  CertCheck RecheckPeer() const { return channel_.RecheckPeer(); }
  const std::string& remote_address() const { return remote_; }
  size_t queued_bytes() const { return queue_.bytes(); }
  // True when the connection closed because the peer sent bytes that broke
  // the protocol (bad framing, a frame failing authentication, a bad link
  // frame), as opposed to a timeout, a local decision or an orderly close.
  bool peer_violation() const { return peer_violation_; }

  static constexpr int kControlPrecedence = 5;  // above FLASH: heartbeats, acks

 private:
  LinkConnection(asio::ip::tcp::socket socket, SecureChannelConfig channel, Callbacks callbacks,
                 LinkOptions options);
  awaitable<void> Reader();
  awaitable<void> Dispatcher();
  awaitable<void> WaitForDispatch(size_t at_most_bytes);
  awaitable<void> Writer();
  awaitable<void> Watchdog();
  awaitable<void> Heartbeats();
  awaitable<bool> WriteRaw(ByteView message);
  void OnEstablished();
  bool HandleTransport(ByteView message);
  void CloseForViolation(const std::string& reason);

  asio::ip::tcp::socket socket_;
  SecureChannel channel_;
  Callbacks callbacks_;
  LinkOptions options_;
  FrameDecoder decoder_;
  Reassembler reassembler_;
  FrameQueue queue_;
  InboundLanes inbound_;              // read, not yet handed to Callbacks::frame
  asio::steady_timer dispatch_wake_;  // the dispatcher waits for frames
  asio::steady_timer reader_wake_;    // the reader waits for room (or for the last frames to go)
  asio::steady_timer wake_;
  asio::steady_timer watchdog_;
  std::chrono::steady_clock::time_point last_rx_;
  std::chrono::steady_clock::time_point started_;
  uint64_t next_stream_id_ = 1;
  uint64_t heartbeat_nonce_ = 0;
  bool closed_ = false;
  bool peer_violation_ = false;
  bool refusing_ = false;     // FinishAndClose: finishing, deaf to the peer
  std::string drain_reason_;  // set once we half-closed (rekey): no more sends
  std::chrono::steady_clock::time_point drain_started_;
  std::string remote_;
};

}  // namespace hotline

#endif  // HOTLINE_LINK_CONNECTION_H_
