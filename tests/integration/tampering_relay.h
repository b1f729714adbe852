// TamperingRelay: an in-process relay for the hostile-relay tests (issue
// 11) that routes between real nodes but may edit or withhold what passes
// through it. On loopback; its destructor joins its thread.
#ifndef HOTLINE_TESTS_INTEGRATION_TAMPERING_RELAY_H_
#define HOTLINE_TESTS_INTEGRATION_TAMPERING_RELAY_H_

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "hotline/asio.h"
#include "hotline/envelope.h"
#include "hotline/link_connection.h"
#include "hotline/net_util.h"

namespace hotline::testing {

// A relay that routes like a real one, in memory, but lets the test edit or
// withhold what passes through it (issue 11: a relay host that edits what
// it stores, or holds one message back). `tamper` sees every submitted
// envelope per recipient and returns the bytes to deliver, or nullopt to
// withhold that copy. Receipts are routed unchanged. Callbacks run on its
// own thread; nothing is redelivered after a reconnect.
class TamperingRelay {
 public:
  using Tamper = std::function<std::optional<std::string>(
      const v1::EnvelopeHeader& header, v1::Nation recipient, const std::string& encoded)>;

  // Track updates (PROTOCOL.md §11): the copies to pass to each recipient
  // (none: withheld; two: replayed). Default: the update as it came.
  using TrackTamper = std::function<std::vector<std::string>(
      const v1::EnvelopeHeader& header, v1::Nation recipient, const std::string& encoded)>;

  TamperingRelay(SecureChannelConfig config, Tamper tamper, TrackTamper track_tamper = nullptr)
      : config_(std::move(config)),
        tamper_(std::move(tamper)),
        track_tamper_(std::move(track_tamper)),
        acceptor_(io_) {
    asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(ep.protocol());
    acceptor_.bind(ep);
    acceptor_.listen();
    address_ = "127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
    Accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~TamperingRelay() {
    asio::post(io_, [this] {
      boost::system::error_code ec;
      acceptor_.close(ec);
      for (auto& [n, l] : links_) l->Close("test over");
    });
    asio::post(io_, [this] { io_.stop(); });
    thread_.join();
  }
  const std::string& address() const { return address_; }
  // Envelopes submitted to it so far (by any node).
  int submitted() {
    std::lock_guard lock(mu_);
    return submitted_;
  }

 private:
  void Accept() {
    acceptor_.async_accept([this](const boost::system::error_code& ec, asio::ip::tcp::socket s) {
      if (ec) return;
      LinkConnection::Callbacks cb;
      cb.established = [this](const LinkConnection::Ptr& l) {
        v1::Nation n = l->peer().nation();
        links_[n] = l;
        v1::LinkFrame hello;
        hello.mutable_hello()->set_version(1);
        (void)l->Send(hello, LinkConnection::kControlPrecedence, true);
        auto waiting = std::move(waiting_[n]);
        waiting_.erase(n);
        for (auto& f : waiting) (void)l->Send(f, v1::PRECEDENCE_FLASH);
      };
      cb.frame = [this](const LinkConnection::Ptr& l, v1::LinkFrame& f) { OnFrame(l, f); };
      cb.closed = [this](const LinkConnection::Ptr& l, const std::string&, bool) {
        auto it = links_.find(l->peer().nation());
        if (it != links_.end() && it->second == l) links_.erase(it);
      };
      auto link = LinkConnection::Create(std::move(s), config_, cb, LinkOptions{});
      link->Start();
      Accept();
    });
  }
  void To(v1::Nation n, const v1::LinkFrame& f) {
    auto it = links_.find(n);
    if (it != links_.end() && it->second->established()) {
      (void)it->second->Send(f, v1::PRECEDENCE_FLASH);
    } else {
      waiting_[n].push_back(f);
    }
  }
  void OnFrame(const LinkConnection::Ptr& l, v1::LinkFrame& f) {
    if (f.has_submit()) {
      auto routed = ParseEnvelopeForRouting(AsBytes(f.submit().envelope()));
      if (!routed.ok()) return;
      {
        std::lock_guard lock(mu_);
        ++submitted_;
      }
      v1::LinkFrame ack;
      ack.mutable_accepted()->set_message_id(routed->header.message_id());
      ack.mutable_accepted()->set_at_ms(NowUnixMs());
      (void)l->Send(ack, LinkConnection::kControlPrecedence, true);
      for (int r : routed->header.recipients()) {
        auto data = tamper_(routed->header, static_cast<v1::Nation>(r), f.submit().envelope());
        if (!data) continue;
        v1::LinkFrame d;
        d.mutable_deliver()->set_envelope(*data);
        d.mutable_deliver()->set_delivery_id(next_delivery_++);
        To(static_cast<v1::Nation>(r), d);
      }
    } else if (f.has_track()) {
      auto routed = ParseEnvelopeForRouting(AsBytes(f.track().envelope()));
      if (!routed.ok()) return;
      for (int r : routed->header.recipients()) {
        auto copies = track_tamper_ ? track_tamper_(routed->header, static_cast<v1::Nation>(r),
                                                    f.track().envelope())
                                    : std::vector<std::string>{f.track().envelope()};
        for (auto& copy : copies) {
          v1::LinkFrame d;
          d.mutable_track()->set_envelope(std::move(copy));
          To(static_cast<v1::Nation>(r), d);
        }
      }
    } else if (f.has_submit_receipt()) {
      v1::LinkFrame ack;
      ack.mutable_receipt_accepted()->set_receipt_id(f.submit_receipt().receipt_id());
      (void)l->Send(ack, LinkConnection::kControlPrecedence, true);
      v1::LinkFrame d;
      d.mutable_deliver_receipt()->set_receipt(f.submit_receipt().receipt());
      d.mutable_deliver_receipt()->set_delivery_id(next_delivery_++);
      To(f.submit_receipt().to(), d);
    }
  }

  SecureChannelConfig config_;
  Tamper tamper_;
  TrackTamper track_tamper_;
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  std::string address_;
  std::map<v1::Nation, LinkConnection::Ptr> links_;
  std::map<v1::Nation, std::vector<v1::LinkFrame>> waiting_;
  uint64_t next_delivery_ = 1;
  std::mutex mu_;
  int submitted_ = 0;
  std::thread thread_;
};

}  // namespace hotline::testing

#endif  // HOTLINE_TESTS_INTEGRATION_TAMPERING_RELAY_H_
