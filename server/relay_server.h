// hotline-relay: accepts node connections (Noise XX with certificate check,
// only NODE certificates), stores each envelope and receipt durably before
// acknowledging it, and forwards it to its recipients' nodes in precedence
// order when they are connected. A relay never holds a key that opens a body.
//
// Thread safety: everything runs on the io_context's single thread.
// Error contract: Start() returns the first set-up error; bad input from a
// peer is answered with a LinkError or a close, logged and audited, and
// never affects other connections.
#ifndef HOTLINE_SERVER_RELAY_SERVER_H_
#define HOTLINE_SERVER_RELAY_SERVER_H_

#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "delivery_queues.h"
#include "held_tracks.h"
#include "hotline/asio.h"
#include "hotline/audit_log.h"
#include "hotline/audit_metrics.h"
#include "hotline/control_server.h"
#include "hotline/group_commit.h"
#include "hotline/link_connection.h"
#include "hotline/net_util.h"
#include "hotline/refusal_audit.h"
#include "hotline/token_bucket.h"
#include "hotline/trust_dir.h"
#include "hotline/trust_keeper.h"
#include "hotline/v1/control.pb.h"
#include "hotline/v1/envelope.pb.h"
#include "link_registry.h"
#include "relay_store.h"

namespace hotline::relay {

struct RelayConfig {
  std::filesystem::path certs_dir = "certs";
  std::string subject = "relay-1";
  std::string listen = "127.0.0.1:7401";
  std::filesystem::path data_dir = "run/relay-1";
  int64_t allowed_skew_seconds = 300;
  size_t max_connections = limits::kMaxConnections;
  size_t max_handshaking_per_address = limits::kMaxHandshakingPerAddress;
  // Un-taken deliveries per node, in count and bytes: what a FLASH that
  // arrives now must wait behind at the recipient.
  size_t delivery_window = limits::kDeliveryWindow;
  size_t delivery_window_bytes = limits::kDeliveryWindowBytes;
  bool fifo = false;             // ignore precedence (benchmark comparison only)
  std::chrono::milliseconds handshake_timeout = limits::kHandshakeTimeout;
  uint64_t rekey_after_messages = limits::kRekeyAfterMessages;  // per direction, per link
  std::chrono::milliseconds checkpoint_interval{10000};  // signed audit checkpoints
  // How often the trust folder is read for a new root document or
  // revocation list (those over the hotline arrive at once).
  std::chrono::milliseconds trust_poll{5000};
  // An envelope not delivered this long after it was stored is removed and
  // its sender notified (PROTOCOL.md §5 "Expiry"); matches the nodes'
  // default epoch-key retention.
  std::chrono::milliseconds retention{std::chrono::hours(72)};
  std::filesystem::path ready_file;  // if set, "HOST:PORT\n" is written once listening
  std::filesystem::path control_socket;  // `hotline relay status`; default data_dir/control.sock
  // The relay's one wall clock: stored times, greetings, certificate checks
  // and audit records all read it.
  std::function<int64_t()> now_ms = NowUnixMs;
};

// "72 h", "2 s", "150 ms".
std::string RetentionText(std::chrono::milliseconds retention);

class RelayServer : public ControlHandler {
 public:
  RelayServer(asio::io_context& io, RelayConfig config);
  ~RelayServer() override;

  Status Start();
  // Stops accepting, closes links, flushes the store, audits STOP.
  void Stop(const std::string& why);
  asio::ip::tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }
  // Metrics into `registry` from now on (docs/OPERATIONS.md); after Start.
  void InstallMetrics(metrics::Registry& registry);
  const RelayConfig& config() const { return config_; }

  // The control socket (relay_control.cc): `relay_status` only; no watch.
  void Handle(const v1::ControlRequest& request, Reply reply) override;
  int Subscribe(Watcher) override { return 0; }
  void Unsubscribe(int) override {}
  void RejectControlInput(const std::string& why) override;

 private:
  awaitable<void> AcceptLoop();
  void OnConnection(asio::ip::tcp::socket socket);
  void OnEstablished(const LinkConnection::Ptr& link);
  void OnFrame(const LinkConnection::Ptr& link, v1::LinkFrame& frame);
  void OnClosed(const LinkConnection::Ptr& link, const std::string& reason, bool authenticated);
  void OnSubmit(const LinkConnection::Ptr& link, const std::string& encoded);
  void OnSubmitReceipt(const LinkConnection::Ptr& link, const v1::SubmitReceipt& submit);
  void OnTaken(const LinkConnection::Ptr& link, uint64_t delivery_id);
  void OnWithdraw(const LinkConnection::Ptr& link, const std::string& message_id);
  // A track update: forwarded at once to each recipient whose link is up,
  // else held in memory (PROTOCOL.md §11); never stored or acknowledged.
  void OnTrack(const LinkConnection::Ptr& link, const std::string& encoded);
  // Path tests (relay_paths.cc, PROTOCOL.md §13): forwarded live to the
  // nation named, from the link's nation, at a bounded rate per nation.
  void OnPathProbe(const LinkConnection::Ptr& link, v1::PathProbe& probe);
  // A node probes each other nation at most every 100 ms and answers
  // the probes of both: 40 a second, with room for a `links --test-now`.
  struct ProbeBudget {
    TokenBucket forwards{50, 100};
    RefusalAudit refusals{2, 10};
  };
  std::map<v1::Nation, ProbeBudget> probe_budgets_;
  // The Noise handshake authenticated the link's nation: an envelope
  // claiming another sender is refused (FORBIDDEN, audited) and false.
  bool SenderIsLink(const LinkConnection::Ptr& link, const v1::EnvelopeHeader& h,
                    const std::string& what);
  void SendTrack(const LinkConnection::Ptr& to, const std::string& key, const std::string& encoded);
  // Forgets a queued item (memory and store) and audits why.
  void Drop(v1::Nation recipient, int64_t id, const std::string& why);
  void RetryUnreadable();
  void Reject(const LinkConnection::Ptr& link, v1::LinkError::Code code, const std::string& why,
              const std::string& message_id = "");
  void Pump(v1::Nation recipient);
  void Audit(AuditEntry entry);
  v1::Nation PeerNation(const LinkConnection::Ptr& link) const;
  void Checkpoint();
  awaitable<void> CheckpointLoop();

  // Trust documents (relay_trust.cc): taken from any node or the trust
  // folder, passed to every other node at once; links whose certificate no
  // longer verifies are closed.
  const TrustStore& trust() const { return trust_keeper_->store(); }
  void OnTrustResult(const TrustResult& result, const std::string& source,
                     const LinkConnection::Ptr& from);
  void SendTrustInForce(const LinkConnection::Ptr& link);
  // The folder's copy of our certificate, re-signed (same keys and
  // details), if it verifies under the trust in force.
  void TakeResignedCertificate();
  awaitable<void> TrustFolderLoop();

  // Expiry (relay_expiry.cc).
  awaitable<void> ExpiryLoop();
  void ExpireUndelivered();
  static constexpr const char* kFromFolder = "the trust folder";

  asio::io_context& io_;
  RelayConfig config_;
  asio::ip::tcp::acceptor acceptor_;
  std::unique_ptr<TrustKeeper> trust_keeper_;
  std::set<std::string> folder_refusals_;  // re-signed certificates not taken, reported once
  std::optional<Identity> identity_;
  std::unique_ptr<RelayStore> store_;
  std::unique_ptr<GroupCommitter> committer_;
  std::unique_ptr<AuditLog> audit_;
  metrics::Registry* metrics_ = nullptr;
  std::unique_ptr<metrics::AuditMetrics> audit_metrics_;
  DeliveryQueues queues_;
  HeldTracks held_tracks_;
  LinkRegistry links_;
  bool stopping_ = false;
  // For `relay status`: when each nation's current link came up, and the
  // newest refusals (INPUT_REJECTED, HANDSHAKE_REJECTED) since start.
  void NoteRefusal(const AuditEntry& entry);
  static constexpr size_t kRecentRefusals = 50;
  std::deque<v1::RelayStatusResponse::Refusal> refusals_;
  std::map<v1::Nation, int64_t> linked_since_ms_;
  int64_t started_at_ms_ = 0;
  uint64_t last_checkpoint_size_ = 0;
  std::chrono::seconds retry_delay_{1};  // unreadable items: doubles to a minute while they fail
  std::unique_ptr<asio::steady_timer> retry_timer_;
};

}  // namespace hotline::relay

#endif  // HOTLINE_SERVER_RELAY_SERVER_H_
