#include "node/relay_pool.h"

#include <spdlog/spdlog.h>

#include <random>

#include "hotline/limits.h"
#include "hotline/net_util.h"
#include "hotline/secure_channel.h"

namespace hotline::node {

using asio::ip::tcp;

RelayPool::RelayPool(asio::io_context& io, std::vector<std::string> addresses,
                     const Identity& identity, const TrustStore& trust, Options options,
                     Callbacks callbacks)
    : io_(io),
      identity_(identity),
      trust_(trust),
      options_(std::move(options)),
      callbacks_(std::move(callbacks)) {
  relays_.resize(addresses.size());
  for (size_t i = 0; i < addresses.size(); ++i) relays_[i].address = std::move(addresses[i]);
}

void RelayPool::Start() {
  for (size_t i = 0; i < relays_.size(); ++i) {
    asio::co_spawn(io_, Maintain(i), LogExceptions{"relay link " + relays_[i].address});
  }
}

void RelayPool::Stop() {
  stopping_ = true;
  for (auto& r : relays_) {
    if (r.link) r.link->Close("node shutting down");
  }
}

int RelayPool::First() const {
  for (size_t i = 0; i < relays_.size(); ++i) {
    if (Up(i)) return static_cast<int>(i);
  }
  return -1;
}

size_t RelayPool::queued_bytes(size_t relay) const {
  return relays_[relay].link ? relays_[relay].link->queued_bytes() : 0;
}

Status RelayPool::Send(size_t relay, const v1::LinkFrame& frame, int precedence, bool force) {
  if (!relays_[relay].link) return UnavailableError("no link to " + relays_[relay].address);
  return relays_[relay].link->Send(frame, precedence, force);
}

Status RelayPool::SendLatest(size_t relay, const v1::LinkFrame& frame, const std::string& key,
                             int precedence) {
  if (!relays_[relay].link) return UnavailableError("no link to " + relays_[relay].address);
  return relays_[relay].link->SendLatest(frame, key, precedence);
}

void RelayPool::FillStatus(v1::StatusResponse& out) const {
  int first = First();
  for (const auto& relay : relays_) {
    bool in_use = first >= 0 && &relay == &relays_[static_cast<size_t>(first)];
    auto* rs = out.add_relays();
    rs->set_address(relay.address);
    rs->set_subject(relay.subject);
    rs->set_connected(relay.link && relay.ready);
    rs->set_since_ms(relay.since_ms);
    rs->set_last_error(relay.last_error);
    rs->set_in_use(in_use);
  }
}

awaitable<void> RelayPool::Maintain(size_t index) {
  std::mt19937_64 rng(std::random_device{}());
  auto executor = co_await asio::this_coro::executor;
  while (!stopping_) {
    Relay& relay = relays_[index];
    relay.refused = false;
    auto endpoint = ParseEndpoint(relay.address);
    tcp::socket socket(executor);
    boost::system::error_code ec;
    socket.open(endpoint->protocol(), ec);
    if (!ec)
      socket.set_option(asio::socket_base::receive_buffer_size(limits::kLinkReceiveBuffer), ec);
    asio::steady_timer connect_deadline(executor);
    connect_deadline.expires_after(std::chrono::seconds(2));
    connect_deadline.async_wait([&socket](const boost::system::error_code& e) {
      if (!e) {
        boost::system::error_code ignored;
        socket.close(ignored);
      }
    });
    if (!ec) co_await socket.async_connect(*endpoint, asio::redirect_error(use_awaitable, ec));
    connect_deadline.cancel();
    if (!ec && !stopping_) {
      SecureChannelConfig channel =
          ChannelConfigFor(identity_, trust_, /*initiator=*/true, v1::ROLE_RELAY);
      channel.allowed_skew_seconds = options_.allowed_skew_seconds;
      if (options_.rekey_after_messages > 0)
        channel.rekey_after_messages = options_.rekey_after_messages;
      channel.now_unix = [now = options_.now_ms] { return now() / 1000; };
      LinkOptions link_options;
      link_options.heartbeat_interval = limits::kHeartbeatInterval;
      link_options.idle_timeout = options_.silence_timeout;
      link_options.fifo = options_.fifo;
      auto closed =
          std::make_shared<asio::steady_timer>(executor, asio::steady_timer::time_point::max());
      LinkConnection::Callbacks cb;
      // Up only once the relay greets us (OnFrame): until then it may still
      // refuse our certificate.
      cb.established = [](const LinkConnection::Ptr&) {};
      cb.frame = [this, index](const LinkConnection::Ptr&, v1::LinkFrame& f) { OnFrame(index, f); };
      cb.closed = [this, index, closed](const LinkConnection::Ptr& link, const std::string& reason,
                                        bool authenticated) {
        OnClosed(index, link, reason, authenticated);
        closed->cancel();
      };
      relay.link = LinkConnection::Create(std::move(socket), std::move(channel), std::move(cb),
                                          link_options);
      relay.link->Start();
      // A relay that completes the handshake but never greets (an old or a
      // hostile one) is not left holding the link.
      asio::steady_timer greeting(executor);
      greeting.expires_after(limits::kHandshakeTimeout);
      greeting.async_wait([this, index, link = relay.link](const boost::system::error_code& e) {
        if (!e && relays_[index].link == link && !relays_[index].ready) {
          link->Close("relay did not greet within " +
                      std::to_string(limits::kHandshakeTimeout.count()) + " ms");
        }
      });
      boost::system::error_code wait_ec;
      co_await closed->async_wait(asio::redirect_error(use_awaitable, wait_ec));
      greeting.cancel();
    } else if (ec) {
      relay.last_error = "connect: " + ec.message();
    }
    if (stopping_) break;
    Relay& r = relays_[index];
    r.backoff = r.backoff.count() == 0 ? options_.reconnect_min
                                       : std::min(r.backoff * 2, options_.reconnect_max);
    if (r.refused) r.backoff = std::max(r.backoff, options_.reconnect_refused);
    auto jitter = std::uniform_int_distribution<int64_t>(0, r.backoff.count() / 2)(rng);
    asio::steady_timer wait(executor);
    wait.expires_after(r.backoff + std::chrono::milliseconds(jitter));
    boost::system::error_code wait_ec;
    co_await wait.async_wait(asio::redirect_error(use_awaitable, wait_ec));
  }
}

void RelayPool::OnFrame(size_t index, v1::LinkFrame& frame) {
  Relay& r = relays_[index];
  if (frame.has_hello()) {
    if (r.ready || !r.link) return;
    r.ready = true;
    r.subject = r.link->peer().subject();
    r.since_ms = options_.now_ms();
    r.last_error.clear();
    r.backoff = std::chrono::milliseconds(0);
    spdlog::info("link to {} ({}) established", r.subject, r.address);
    if (callbacks_.ready) callbacks_.ready(index, frame.hello());
    return;
  }
  // At the handshake, or later when our certificate is revoked.
  if (frame.has_error() && frame.error().code() == v1::LinkError::CODE_CERTIFICATE_REFUSED) {
    std::string why = frame.error().message().substr(0, limits::kMaxRefusalText);
    std::string subject = r.link ? r.link->peer().subject() : r.address;
    std::string text = subject + " (" + r.address + ") refused our certificate: " + why;
    if (why.find("expired") != std::string::npos ||
        why.find("not yet valid") != std::string::npos) {
      text += "; is this machine's clock right? (see --clock-skew)";
    }
    text += "; retrying in " + std::to_string(options_.reconnect_refused.count() / 1000) + " s";
    bool first = !r.refused;
    r.refused = true;
    r.last_error = text;
    // Once per link: a relay that repeats it is not heard again.
    if (first && callbacks_.refused) callbacks_.refused(index, text);
    if (r.ready && r.link) r.link->Close("refused our certificate: " + why);
    return;
  }
  if (callbacks_.frame) callbacks_.frame(index, frame);
}

void RelayPool::OnClosed(size_t index, const LinkConnection::Ptr& link, const std::string& reason,
                         bool authenticated) {
  Relay& r = relays_[index];
  bool was_ready = r.ready;
  r.ready = false;
  r.link.reset();
  CloseKind kind;
  if (!was_ready && r.refused) {
    kind = CloseKind::kRefused;
  } else if (!authenticated || !was_ready) {
    r.last_error = reason;
    spdlog::warn("handshake with relay {} failed: {}", r.address, reason);
    kind = CloseKind::kHandshakeFailed;
  } else {
    if (!r.refused) r.last_error = reason;  // else: why it refused us, said by the relay
    spdlog::info("link to {} ({}) lost: {}", r.subject, r.address, reason);
    kind = link->peer_violation() ? CloseKind::kViolation : CloseKind::kLost;
  }
  if (callbacks_.closed) callbacks_.closed(index, reason, kind);
}

std::vector<std::string> RelayPool::CloseUnverified() {
  std::vector<std::string> closed;
  for (Relay& r : relays_) {
    if (!r.link || !r.link->established() || r.link->refusing()) continue;
    CertCheck check = r.link->RecheckPeer();
    if (check.ok()) continue;
    std::string subject = r.link->peer().subject();
    closed.push_back(subject + ": " + check.message);
    r.link->FinishAndClose(check.message);  // what we queued for it (the new trust) goes out first
  }
  return closed;
}

}  // namespace hotline::node
