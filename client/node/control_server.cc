#include "node/control_server.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <deque>

#include "hotline/control_codec.h"

namespace hotline::node {

using asio::local::stream_protocol;

ControlServer::ControlServer(asio::io_context& io, NodeDaemon& daemon, std::filesystem::path path)
    : io_(io), daemon_(daemon), path_(std::move(path)), acceptor_(io) {}

ControlServer::~ControlServer() { Stop(); }

Status ControlServer::Start() {
  if (path_.native().size() >= 100) {
    return InvalidArgumentError("control socket path too long for a Unix socket: " + path_.string());
  }
  // A stale socket from a killed node: remove it unless someone answers on it.
  if (std::filesystem::exists(path_)) {
    stream_protocol::socket probe(io_);
    boost::system::error_code ec;
    probe.connect(stream_protocol::endpoint(path_.string()), ec);
    if (!ec) return AlreadyExistsError("another node is already running on " + path_.string());
    std::filesystem::remove(path_);
  }
  // Create the socket with no group/other permission from the start.
  mode_t old = ::umask(077);
  boost::system::error_code ec;
  acceptor_.open(stream_protocol(), ec);
  if (!ec) acceptor_.bind(stream_protocol::endpoint(path_.string()), ec);
  if (!ec) acceptor_.listen(16, ec);
  ::umask(old);
  if (ec) return UnavailableError("cannot listen on " + path_.string() + ": " + ec.message());
  ::chmod(path_.c_str(), 0600);
  asio::co_spawn(io_, AcceptLoop(), LogExceptions{"control accept loop"});
  return Status::Ok();
}

void ControlServer::Stop() {
  if (stopping_) return;
  stopping_ = true;
  boost::system::error_code ec;
  acceptor_.close(ec);
  std::error_code fs_ec;
  std::filesystem::remove(path_, fs_ec);
}

awaitable<void> ControlServer::AcceptLoop() {
  while (!stopping_) {
    boost::system::error_code ec;
    auto socket = co_await acceptor_.async_accept(asio::redirect_error(use_awaitable, ec));
    if (ec) {
      if (stopping_) co_return;
      continue;
    }
    asio::co_spawn(io_, Serve(std::move(socket)), LogExceptions{"control session"});
  }
}

awaitable<void> ControlServer::Serve(stream_protocol::socket socket) {
  ControlDecoder decoder;
  std::vector<uint8_t> buffer(16 * 1024);
  // Replies may come later (after a durable write): a small queue drained by
  // this coroutine keeps one writer per socket.
  auto outbox = std::make_shared<std::deque<v1::ControlResponse>>();
  auto wake = std::make_shared<asio::steady_timer>(io_, asio::steady_timer::time_point::max());
  auto push = [outbox, wake](v1::ControlResponse r) {
    outbox->push_back(std::move(r));
    wake->cancel();
  };
  int watcher = 0;
  bool closing = false;
  auto awaiting = std::make_shared<size_t>(0);
  auto client_gone = std::make_shared<bool>(false);
  bool read_watch_armed = false;
  for (;;) {
    v1::ControlRequest request;
    auto next = decoder.Next(request);
    if (!next.ok()) {
      v1::ControlResponse r;
      r.set_ok(false);
      r.set_error("bad control request: " + next.status().message());
      push(std::move(r));
      closing = true;
    } else if (*next) {
      ++*awaiting;
      auto reply = [push, awaiting](v1::ControlResponse r) {
        --*awaiting;
        push(std::move(r));
      };
      switch (request.kind_case()) {
        case v1::ControlRequest::kSend: daemon_.Send(request.send(), reply); break;
        case v1::ControlRequest::kInbox: reply(daemon_.Inbox(request.inbox())); break;
        case v1::ControlRequest::kShow: reply(daemon_.Show(request.show())); break;
        case v1::ControlRequest::kAck: daemon_.Ack(request.ack(), reply); break;
        case v1::ControlRequest::kStatus: reply(daemon_.GetStatus(request.status())); break;
        case v1::ControlRequest::kWatch: {
          --*awaiting;
          if (watcher == 0) {
            watcher = daemon_.Subscribe([push](const v1::WatchEvent& e) {
              v1::ControlResponse r;
              r.set_ok(true);
              *r.mutable_event() = e;
              push(std::move(r));
            });
          }
          break;
        }
        default: {
          v1::ControlResponse r;
          r.set_ok(false);
          r.set_error("unknown control request");
          reply(std::move(r));
        }
      }
      continue;
    }
    // Write whatever is ready, then read more.
    while (!outbox->empty()) {
      Bytes wire = EncodeControlMessage(outbox->front());
      outbox->pop_front();
      boost::system::error_code ec;
      co_await asio::async_write(socket, asio::buffer(wire), asio::redirect_error(use_awaitable, ec));
      if (ec) closing = true;
    }
    if (closing) break;
    if (*awaiting > 0 && outbox->empty()) {
      // Wait for a deferred reply (after a durable write).
      wake->expires_at(asio::steady_timer::time_point::max());
      boost::system::error_code ec;
      co_await wake->async_wait(asio::redirect_error(use_awaitable, ec));
      continue;
    }
    if (watcher != 0) {
      // Stream events until the client goes away; a watching client sends
      // nothing more, so readability means it closed.
      if (!read_watch_armed) {
        read_watch_armed = true;
        socket.async_wait(stream_protocol::socket::wait_read,
                          [wake, client_gone](const boost::system::error_code&) {
                            *client_gone = true;
                            wake->cancel();
                          });
      }
      if (*client_gone) break;
      wake->expires_at(asio::steady_timer::time_point::max());
      boost::system::error_code ec;
      co_await wake->async_wait(asio::redirect_error(use_awaitable, ec));
      continue;
    }
    boost::system::error_code ec;
    size_t n = co_await socket.async_read_some(asio::buffer(buffer), asio::redirect_error(use_awaitable, ec));
    if (ec) break;
    if (auto st = decoder.Feed(ByteView(buffer.data(), n)); !st.ok()) {
      v1::ControlResponse r;
      r.set_ok(false);
      r.set_error(st.message());
      push(std::move(r));
      closing = true;
    }
  }
  if (watcher != 0) daemon_.Unsubscribe(watcher);
  // Late replies must not touch this frame's locals: drop them.
  *outbox = {};
  boost::system::error_code ec;
  socket.close(ec);
}

}  // namespace hotline::node
