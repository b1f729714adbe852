#include "hotline/link_connection.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

namespace hotline {

using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

LinkConnection::Ptr LinkConnection::Create(tcp::socket socket, SecureChannelConfig channel,
                                           Callbacks callbacks, LinkOptions options) {
  return Ptr(new LinkConnection(std::move(socket), std::move(channel), std::move(callbacks), options));
}

LinkConnection::LinkConnection(tcp::socket socket, SecureChannelConfig channel, Callbacks callbacks,
                               LinkOptions options)
    : socket_(std::move(socket)),
      channel_(std::move(channel)),
      callbacks_(std::move(callbacks)),
      options_(options),
      queue_(options.max_queue_bytes, options.fifo),
      inbound_(options.fifo),
      dispatch_wake_(socket_.get_executor()),
      reader_wake_(socket_.get_executor()),
      wake_(socket_.get_executor()),
      watchdog_(socket_.get_executor()) {
  boost::system::error_code ec;
  auto ep = socket_.remote_endpoint(ec);
  remote_ = ec ? "unknown" : ep.address().to_string() + ":" + std::to_string(ep.port());
  socket_.set_option(tcp::no_delay(true), ec);
}

void LinkConnection::Start() {
  started_ = last_rx_ = Clock::now();
  auto self = shared_from_this();
  asio::co_spawn(socket_.get_executor(), [self]() { return self->Reader(); },
                 LogExceptions{"link reader"});
  asio::co_spawn(
      socket_.get_executor(), [self]() { return self->Dispatcher(); },
      LogExceptions{"link dispatcher"});
  asio::co_spawn(socket_.get_executor(), [self]() { return self->Watchdog(); },
                 LogExceptions{"link watchdog"});
}

void LinkConnection::Close(const std::string& reason) {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ec;
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  wake_.cancel();
  watchdog_.cancel();
  dispatch_wake_.cancel();
  reader_wake_.cancel();
  if (callbacks_.closed) {
    auto self = shared_from_this();
    bool authenticated = channel_.established();
    asio::post(socket_.get_executor(), [self, reason, authenticated] {
      self->callbacks_.closed(self, reason, authenticated);
    });
  }
}

void LinkConnection::RefuseAndClose(const v1::LinkFrame& last, const std::string& reason) {
  if (closed_ || refusing_) return;
  // Nothing queued goes out: deliveries to a revoked peer stay with the
  // relay (its queues take them back when the link is removed).
  queue_.Clear();
  (void)queue_.Push(EncodeLinkFrame(last, next_stream_id_++), kControlPrecedence, /*force=*/true);
  FinishAndClose(reason);
}

void LinkConnection::FinishAndClose(const std::string& reason) {
  if (closed_ || refusing_) return;
  if (!channel_.established()) return Close(reason);
  refusing_ = true;
  if (drain_reason_.empty()) {
    drain_reason_ = reason;
    drain_started_ = Clock::now();
  }
  wake_.cancel();
}

void LinkConnection::CloseForViolation(const std::string& reason) {
  if (!closed_) peer_violation_ = true;
  Close(reason);
}

Status LinkConnection::Send(const v1::LinkFrame& frame, int precedence, bool force) {
  if (closed_) return UnavailableError("connection closed");
  if (!drain_reason_.empty()) return UnavailableError("connection closing: " + drain_reason_);
  if (!channel_.established()) return FailedPreconditionError("connection not established");
  if (Status st = queue_.Push(EncodeLinkFrame(frame, next_stream_id_++), precedence, force);
      !st.ok()) {
    if (force) CloseForViolation(st.message());  // even control frames do not fit
    return st;
  }
  wake_.cancel();
  return Status::Ok();
}

Status LinkConnection::SendLatest(const v1::LinkFrame& frame, const std::string& key,
                                  int precedence) {
  if (closed_) return UnavailableError("connection closed");
  if (!drain_reason_.empty()) return UnavailableError("connection closing: " + drain_reason_);
  if (!channel_.established()) return FailedPreconditionError("connection not established");
  std::vector<Bytes> pieces = EncodeLinkFrame(frame, next_stream_id_++);
  Status st = pieces.size() == 1 ? queue_.PushLatest(key, std::move(pieces[0]), precedence)
                                 : queue_.Push(std::move(pieces), precedence);
  if (!st.ok()) return st;
  wake_.cancel();
  return Status::Ok();
}

awaitable<bool> LinkConnection::WriteRaw(ByteView message) {
  Bytes wire;
  if (!AppendWireFrame(wire, message).ok()) co_return false;
  boost::system::error_code ec;
  co_await asio::async_write(socket_, asio::buffer(wire), asio::redirect_error(use_awaitable, ec));
  if (ec) {
    Close("write failed: " + ec.message());
    co_return false;
  }
  co_return true;
}

void LinkConnection::OnEstablished() {
#ifdef TCP_NOTSENT_LOWAT
  if (options_.not_sent_lowat > 0) {
    int lowat = options_.not_sent_lowat;
    ::setsockopt(socket_.native_handle(), IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof lowat);
  }
#endif
  auto self = shared_from_this();
  asio::co_spawn(socket_.get_executor(), [self]() { return self->Writer(); },
                 LogExceptions{"link writer"});
  if (options_.heartbeat_interval.count() > 0) {
    asio::co_spawn(socket_.get_executor(), [self]() { return self->Heartbeats(); },
                   LogExceptions{"link heartbeats"});
  }
  if (callbacks_.established) callbacks_.established(self);
}

// Returns false if the connection must close.
bool LinkConnection::HandleTransport(ByteView message) {
  Bytes plaintext;
  if (Status st = channel_.Decrypt(message, plaintext); !st.ok()) {
    if (st.code() == StatusCode::kResourceExhausted) {
      Close(st.message());  // our own counter, not the peer's doing
    } else {
      CloseForViolation(st.message() + " (a replayed, reordered, duplicated or forged frame)");
    }
    return false;
  }
  v1::LinkFrame frame;
  auto complete = reassembler_.Accept(plaintext, frame);
  if (!complete.ok()) {
    CloseForViolation("bad link frame: " + complete.status().message());
    return false;
  }
  if (!*complete) return true;
  if (frame.has_heartbeat()) {
    if (!frame.heartbeat().reply()) {
      v1::LinkFrame reply;
      reply.mutable_heartbeat()->set_nonce(frame.heartbeat().nonce());
      reply.mutable_heartbeat()->set_reply(true);
      (void)Send(reply, kControlPrecedence, /*force=*/true);
    }
    return true;
  }
  if (refusing_) return true;  // deaf to the peer
  inbound_.Push(std::move(frame));
  dispatch_wake_.cancel();
  return true;
}

awaitable<void> LinkConnection::Dispatcher() {
  auto self = shared_from_this();
  auto slice_start = Clock::now();
  v1::LinkFrame frame;
  while (!closed_) {
    if (!inbound_.Pop(frame)) {
      reader_wake_.cancel();  // room again, or the last frames went
      boost::system::error_code ec;
      dispatch_wake_.expires_at(Clock::time_point::max());
      co_await dispatch_wake_.async_wait(asio::redirect_error(use_awaitable, ec));
      slice_start = Clock::now();
      continue;
    }
    if (callbacks_.frame && !refusing_) callbacks_.frame(self, frame);
    if (inbound_.bytes() < limits::kMaxReadAheadBytes / 2) reader_wake_.cancel();
    if (Clock::now() - slice_start >= limits::kDispatchSlice) {
      // Other connections' frames (perhaps a FLASH) and our own reader
      // (perhaps with one) get their turn.
      co_await asio::post(socket_.get_executor(), use_awaitable);
      slice_start = Clock::now();
    }
  }
}

// Waits until the dispatcher has handed on what was read, or wants more.
awaitable<void> LinkConnection::WaitForDispatch(size_t at_most_bytes) {
  while (!closed_ && inbound_.bytes() > at_most_bytes) {
    boost::system::error_code ec;
    reader_wake_.expires_at(Clock::time_point::max());
    co_await reader_wake_.async_wait(asio::redirect_error(use_awaitable, ec));
  }
}

awaitable<void> LinkConnection::Reader() {
  auto self = shared_from_this();
  if (channel_.dead()) {
    Close(channel_.failure_reason());
    co_return;
  }
  if (channel_.initiator()) {  // XX message 1 goes out at once
    Bytes first;
    if (Status st = channel_.Start(first); !st.ok()) {
      Close(st.message());
      co_return;
    }
    if (!co_await WriteRaw(first)) co_return;
  }
  std::vector<uint8_t> buffer(limits::kReadChunkBytes);
  while (!closed_) {
    boost::system::error_code ec;
    size_t n = co_await socket_.async_read_some(asio::buffer(buffer),
                                                asio::redirect_error(use_awaitable, ec));
    if (ec) {
      // What the peer sent before it closed is handed on first (a refusal's
      // reason, the last acknowledgements).
      co_await WaitForDispatch(0);
      if (closed_) co_return;
      if (!drain_reason_.empty()) {  // our half-close, answered
        Close(drain_reason_);
        co_return;
      }
      std::string where = channel_.established() ? "" : " during handshake";
      if (decoder_.pending_bytes() > 0) where += " with a truncated frame pending";
      Close((ec == asio::error::eof ? "peer closed the connection" : "read failed: " + ec.message()) +
            where);
      co_return;
    }
    last_rx_ = Clock::now();
    if (Status st = decoder_.Feed(ByteView(buffer.data(), n)); !st.ok()) {
      CloseForViolation(st.message());
      co_return;
    }
    co_await WaitForDispatch(limits::kMaxReadAheadBytes);
    Bytes message;
    while (!closed_ && decoder_.Next(message)) {
      if (channel_.established()) {
        if (!HandleTransport(message)) co_return;
        continue;
      }
      Bytes reply;
      if (Status st = channel_.OnHandshakeMessage(message, reply); !st.ok()) {
        // A refused certificate's holder is told why before the close.
        if (!channel_.refusal().empty()) (void)co_await WriteRaw(channel_.refusal());
        Close("handshake rejected: " + channel_.failure_reason());
        co_return;
      }
      if (!reply.empty() && !co_await WriteRaw(reply)) co_return;
      if (channel_.established()) OnEstablished();
    }
  }
}

awaitable<void> LinkConnection::Writer() {
  auto self = shared_from_this();
  Bytes batch;
  while (!closed_) {
    if (queue_.empty() && refusing_) {
      // Everything for the refused peer is written: half-close, so that it
      // reads it all before it sees the end (as for a rekey below).
      boost::system::error_code ec;
      socket_.shutdown(tcp::socket::shutdown_send, ec);
      co_return;
    }
    if (queue_.empty()) {
      boost::system::error_code ec;
      wake_.expires_at(Clock::time_point::max());
      co_await wake_.async_wait(asio::redirect_error(use_awaitable, ec));
      continue;
    }
    batch.clear();
    Bytes piece, sealed;
    while (batch.size() < limits::kWriteBatchBytes && queue_.Pop(piece)) {
      sealed.clear();
      if (Status st = channel_.Encrypt(piece, sealed); !st.ok()) {
        Close(st.message());
        co_return;
      }
      (void)AppendWireFrame(batch, sealed);
    }
    boost::system::error_code ec;
    co_await asio::async_write(socket_, asio::buffer(batch), asio::redirect_error(use_awaitable, ec));
    if (ec) {
      Close("write failed: " + ec.message());
      co_return;
    }
    if (channel_.NeedsRekey()) {
      // Half-close: the peer reads everything we wrote, then closes. A full
      // close with its frames unread in our buffer would reset the
      // connection and make the peer discard our last batch.
      drain_reason_ = "Noise counter reached the rekey limit: closing for a fresh handshake";
      drain_started_ = Clock::now();
      socket_.shutdown(tcp::socket::shutdown_send, ec);
      co_return;
    }
  }
}

awaitable<void> LinkConnection::Heartbeats() {
  auto self = shared_from_this();
  asio::steady_timer timer(socket_.get_executor());
  while (!closed_) {
    timer.expires_after(options_.heartbeat_interval);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
    if (closed_) break;
    v1::LinkFrame hb;
    hb.mutable_heartbeat()->set_nonce(++heartbeat_nonce_);
    (void)Send(hb, kControlPrecedence, /*force=*/true);
  }
}

awaitable<void> LinkConnection::Watchdog() {
  auto self = shared_from_this();
  while (!closed_) {
    auto step = std::min(options_.idle_timeout, options_.handshake_timeout) / 15;
    watchdog_.expires_after(std::max(step, std::chrono::milliseconds(10)));
    boost::system::error_code ec;
    co_await watchdog_.async_wait(asio::redirect_error(use_awaitable, ec));
    if (closed_) break;
    auto now = Clock::now();
    if (!channel_.established() && now - started_ > options_.handshake_timeout) {
      Close("handshake timed out" +
            std::string(decoder_.pending_bytes() ? " with a truncated frame pending" : ""));
    } else if (!drain_reason_.empty() && now - drain_started_ > options_.idle_timeout) {
      Close(drain_reason_);  // the peer never answered our half-close
    } else if (channel_.established() && now - last_rx_ > options_.idle_timeout) {
      Close("peer silent for " + std::to_string(options_.idle_timeout.count()) +
            " ms (dead or frozen)");
    }
  }
}

}  // namespace hotline
