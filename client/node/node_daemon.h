// hotline-node: one nation's daemon. Holds the nation's keys, connects to
// every configured relay (reconnecting with jittered backoff), seals outgoing
// messages into a durable outbox and opens incoming ones into a durable
// inbox, returns signed delivery receipts and operator acknowledgments, and
// tracks per message and per recipient the three tiers: accepted (a relay
// stored it), delivered (signed receipt verified) and acknowledged.
//
// Thread safety: everything runs on the io_context's single thread; the
// control server calls in on that thread. Error contract: Start() returns the
// first set-up error; control calls answer with ControlResponse{ok=false,
// error}; bad input from relays is logged, audited and dropped.
#ifndef HOTLINE_CLIENT_NODE_NODE_DAEMON_H_
#define HOTLINE_CLIENT_NODE_NODE_DAEMON_H_

#include <chrono>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "hotline/asio.h"
#include "hotline/audit_log.h"
#include "hotline/deadlines.h"
#include "hotline/envelope.h"
#include "hotline/group_commit.h"
#include "hotline/limits.h"
#include "hotline/link_connection.h"
#include "hotline/net_util.h"
#include "hotline/trust_dir.h"
#include "hotline/v1/control.pb.h"
#include "hotline/witness.h"
#include "node/clock_watch.h"
#include "node/consultations.h"
#include "node/inbox_sequencer.h"
#include "node/peer_directory.h"
#include "node/node_store.h"

namespace hotline::node {

struct NodeConfig {
  v1::Nation nation = v1::NATION_UNSPECIFIED;
  std::filesystem::path certs_dir = "certs";
  std::filesystem::path data_dir;
  std::vector<std::string> relays;
  std::filesystem::path control_socket;  // default: data_dir/control.sock
  int64_t allowed_skew_seconds = 300;
  // A message made under a certificate since replaced or expired counts for
  // this long after (store and forward to an offline node).
  int64_t certificate_grace_seconds = 72 * 3600;
  // Alert this long before any certificate in the trust folder expires.
  int64_t certificate_warning_seconds = 14 * 86400;
  std::chrono::milliseconds reconnect_min{100};
  std::chrono::milliseconds reconnect_max{2000};
  // After a relay refused our certificate: retrying sooner cannot help until
  // an operator renews it or fixes the clock.
  std::chrono::milliseconds reconnect_refused{30000};
  bool fifo = false;  // ignore precedence (benchmark comparison only)
  DeadlinePolicy deadlines = DeadlinePolicy::Defaults();
  // The node's one wall clock: deadlines, stored times, certificate checks
  // and audit records all read it.
  std::function<int64_t()> now_ms = NowUnixMs;
  std::chrono::milliseconds tick{100};           // how often deadlines are checked
  // In-order release: hold time per precedence and gap timeout.
  InboxSequencer::Policy release_policy = InboxSequencer::Policy::Defaults();
  std::chrono::milliseconds checkpoint_interval{10000};  // signed audit checkpoints
  uint64_t rekey_after_messages = limits::kRekeyAfterMessages;  // per direction, per link
};

v1::Precedence DefaultPrecedence(v1::Channel channel);

class NodeDaemon {
 public:
  using Reply = std::function<void(v1::ControlResponse)>;
  using Watcher = std::function<void(const v1::WatchEvent&)>;

  NodeDaemon(asio::io_context& io, NodeConfig config);
  ~NodeDaemon();

  Status Start();
  void Stop(const std::string& why);
  const NodeConfig& config() const { return config_; }

  // Control API.
  void Send(const v1::SendRequest& request, Reply reply);
  v1::ControlResponse Inbox(const v1::InboxRequest& request);
  v1::ControlResponse Show(const v1::ShowRequest& request);
  void Ack(const v1::AckRequest& request, Reply reply);
  v1::ControlResponse GetStatus(const v1::StatusRequest& request);
  v1::ControlResponse ConsultStatus(const v1::ConsultStatusRequest& request);
  int Subscribe(Watcher watcher);
  void Unsubscribe(int id);
  // A malformed control request: logged, audited (INPUT_REJECTED) and shown to watchers.
  void RejectControlInput(const std::string& why) {
    RejectInput("control socket: " + why, {}, v1::NATION_UNSPECIFIED);
  }

 private:
  struct RelayLink {
    std::string address;
    LinkConnection::Ptr link;
    bool ready = false;    // the relay greeted us (Hello): it accepted our certificate
    std::string refused;   // why the relay last refused our certificate, if it did
    std::string subject;
    int64_t since_ms = 0;
    std::string last_error;
    std::chrono::milliseconds backoff{0};
  };
  struct Outstanding {
    OutboxRow row;
    std::set<v1::Nation> awaiting_delivery;
    bool accepted = false;
    int via = -1;        // relay index it was last submitted through
    uint64_t order = 0;  // FIFO position within its precedence
  };

  awaitable<void> MaintainRelay(size_t index);
  void OnRelayReady(size_t index, const v1::Hello& hello);
  void OnRelayRefused(size_t index, const std::string& why);
  bool RelayUp(size_t index) const { return relays_[index].link && relays_[index].ready; }
  void OnRelayFrame(size_t index, v1::LinkFrame& frame);
  void OnRelayClosed(size_t index, const std::string& reason, bool authenticated,
                     bool peer_violation);
  void OnAccepted(size_t index, const v1::RelayAccepted& accepted);
  void OnDeliver(size_t index, const v1::DeliverEnvelope& deliver);
  void OnDeliverReceipt(size_t index, const v1::DeliverReceipt& deliver);
  void SendTaken(size_t index, uint64_t delivery_id);
  // Every receipt of `message_id` is back: relays it went through may drop
  // the copies they still queue (now, or when their link is next up).
  void WithdrawCopies(const Bytes& message_id);
  void SendWithdraw(size_t index, const Bytes& message_id, v1::Precedence precedence);
  // The outbox is served in precedence order: Enqueue() marks an entry for
  // (re)submission; PumpOutbox() hands entries to a relay link while its
  // write queue has room.
  void Enqueue(const Outstanding& entry);
  void PumpOutbox();
  void Tick();
  void OnOutboxDeadline(const DeadlineKey& key);
  void OnInboxDeadline(const DeadlineKey& key);
  void TrackSent(const v1::EnvelopeHeader& header, v1::Nation recipient, bool delivered);
  void Alert(const std::string& text, ByteView message_id, v1::Nation peer);
  // An alert that no other audit record covers: also audited (ALERT).
  void AlertAndAudit(const std::string& text, ByteView message_id, v1::Nation peer);
  // A time `peer` stamped, and the interval of our clock it must lie in.
  void ObserveClock(const std::string& peer, int64_t peer_ms, int64_t earliest_ms, int64_t latest_ms);
  void ObserveConsultation(const v1::EnvelopeHeader& header, const v1::Body& body, bool sent);
  void SaveConsultation(ByteView id);

  // Arrived messages not yet shown to the operator (or shown ahead of a
  // gap), by message id; the sequencer decides when each is shown.
  struct Held {
    v1::EnvelopeHeader header;
    v1::Body body;
    Bytes digest;
    int64_t since_ms = 0;  // arrival, on our clock
  };
  struct Shown {
    Held held;
    Release release;
  };
  // Inside a durable write: stores and audits what the sequencer decided;
  // appends what to show to `shown`, gap events to `gaps`.
  Status ApplyRelease(const SequencerOutput& out, std::vector<Shown>& shown, std::vector<GapEvent>& gaps);
  // After the commit: events, deadlines, consultations, gap alerts.
  void OnReleased(const std::vector<Shown>& shown, const std::vector<GapEvent>& gaps);
  Status ReloadStreams();
  void TickSequencer(int64_t now_ms);
  // Signs a checkpoint if the log grew; with `share`, sends it to the
  // other nations for witnessing.
  void Checkpoint(bool share = false);
  void ShareCheckpoint(const v1::SignedCheckpoint& checkpoint, const std::vector<merkle::Hash>& leaves);
  void OnCheckpointNote(v1::Nation from, const v1::CheckpointNote& note);
  void SendInternal(const v1::SendRequest& request, bool system, Reply reply);
  void TransmitReceipt(const PendingReceipt& receipt);
  int PickRelay() const;
  void SealAndStore(v1::EnvelopeHeader header, v1::Body body,
                    std::function<void(const Status&, const Bytes&)> done);
  void Emit(const std::string& kind, ByteView message_id, v1::Nation peer, const std::string& text);
  void AuditAsync(v1::AuditRecord record);
  void RejectInput(const std::string& what, ByteView message_id, v1::Nation peer);
  // The other nations' certificates and our end-to-end keys, from the
  // trust folder; a nation with a bad certificate is alerted, not fatal.
  void ReloadPeers();
  // Re-reads the trust folder (root, CRL, certificates); at most once a
  // second; false if it did not.
  bool ReloadTrust();
  void WarnOfExpiringCertificates();

  asio::io_context& io_;
  NodeConfig config_;
  std::optional<TrustStore> trust_;
  std::optional<Identity> identity_;
  std::unique_ptr<EnvelopeKeys> keys_;
  std::map<v1::Nation, Ed25519Public> peer_signing_keys_;  // current certificates (witnessing)
  PeerDirectory peers_;
  std::set<std::string> alerted_;                 // certificate problems already alerted
  std::map<std::string, int64_t> cert_warned_;    // expiry warning -> when last given
  int64_t last_trust_reload_ms_ = 0;
  int64_t last_expiry_check_ms_ = 0;
  std::unique_ptr<NodeStore> store_;
  std::unique_ptr<GroupCommitter> committer_;
  std::unique_ptr<AuditLog> audit_;
  std::vector<RelayLink> relays_;
  std::map<Bytes, Outstanding> outstanding_;
  std::map<Bytes, PendingReceipt> pending_receipts_;   // by receipt id
  std::map<Bytes, std::set<size_t>> submitted_via_;    // relays each outstanding message went through
  std::map<size_t, std::map<Bytes, v1::Precedence>> withdraw_pending_;  // per relay, while it is down
  std::set<Bytes> inbox_in_progress_;                  // opened, not yet committed
  std::map<int, uint64_t> next_sequence_;
  std::map<std::pair<int, uint64_t>, Bytes> send_queue_;  // (-precedence, order) -> id
  uint64_t next_order_ = 0;
  DeadlineTracker outbox_deadlines_, inbox_deadlines_;
  ConsultationBook consultations_;
  std::deque<std::string> alerts_;
  ClockWatch clocks_{0};
  InboxSequencer sequencer_{InboxSequencer::Policy::Defaults()};
  std::map<Bytes, Held> held_;
  bool sequencer_tick_pending_ = false;
  std::unique_ptr<asio::steady_timer> tick_timer_;
  int64_t last_checkpoint_ms_ = 0;
  std::unique_ptr<Witness> witness_;
  std::map<v1::Nation, uint64_t> witness_sent_;  // last checkpoint size sent to each nation
  // Checkpoints are shared only after operator traffic, so that witnessing
  // (whose own messages grow the logs) does not feed itself.
  bool traffic_since_share_ = false;
  uint64_t last_checkpoint_size_ = 0;
  std::map<int, Watcher> watchers_;
  int next_watcher_ = 1;
  bool stopping_ = false;
};

}  // namespace hotline::node

#endif  // HOTLINE_CLIENT_NODE_NODE_DAEMON_H_
