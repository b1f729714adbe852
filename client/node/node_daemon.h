// hotline-node: one nation's daemon, and the one place where the node's
// rooms are wired together. The rooms each keep their own state behind a
// narrow interface and never call back into the daemon:
//
//   RelayPool        links to the relays: connect, greet, back off (I/O)
//   OutboxScheduler  what to submit next, where, and when again
//   InboxSequencer   when each arrival is shown to the operator
//   ReceiptBook      receipts owed until a relay stores them
//   PeerDirectory    the other nations' certificates, by serial
//   ClockWatch       how far peers' clocks are from ours
//   WitnessDesk      checkpoints sent to and received from other nations
//   DeadlineTracker, ConsultationBook
//
// The daemon turns link events into room events, room decisions into
// durable writes (NodeStore, AuditLog through one GroupCommitter), frames
// on links and operator events, and serves the control API
// (node_control_api.cc).
//
// Thread safety: everything runs on the io_context's single thread; the
// control server calls in on that thread. Error contract: Start() returns
// the first set-up error; control calls answer with ControlResponse{ok=false,
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
#include "hotline/audit_metrics.h"
#include "hotline/control_server.h"
#include "hotline/deadlines.h"
#include "hotline/envelope.h"
#include "hotline/group_commit.h"
#include "hotline/limits.h"
#include "hotline/net_util.h"
#include "hotline/path_tests.h"
#include "hotline/refusal_audit.h"
#include "hotline/track_feed.h"
#include "hotline/trust_dir.h"
#include "hotline/trust_keeper.h"
#include "hotline/v1/control.pb.h"
#include "node/clock_watch.h"
#include "node/consultations.h"
#include "node/epoch_book.h"
#include "node/epoch_secrets.h"
#include "node/inbox_sequencer.h"
#include "node/node_store.h"
#include "node/outbox_scheduler.h"
#include "node/peer_directory.h"
#include "node/receipts.h"
#include "node/relay_pool.h"
#include "node/witness_desk.h"

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
  // A relay link silent this long (no frame, no heartbeat) is taken down.
  std::chrono::milliseconds relay_silence = limits::kIdleTimeout;
  bool fifo = false;  // ignore precedence (benchmark comparison only)
  DeadlinePolicy deadlines = DeadlinePolicy::Defaults();
  // The node's one wall clock, in microseconds: deadlines, stored times,
  // certificate checks, audit records and watch events all read it.
  std::function<int64_t()> now_us = NowUnixUs;
  int64_t now_ms() const { return now_us() / 1000; }
  std::chrono::milliseconds tick{100};  // how often deadlines are checked
  // In-order release: hold time per precedence and gap timeout.
  InboxSequencer::Policy release_policy = InboxSequencer::Policy::Defaults();
  std::chrono::milliseconds checkpoint_interval{10000};  // signed audit checkpoints
  // How often the trust folder is read for a new root document or
  // revocation list (those over the hotline arrive at once).
  std::chrono::milliseconds trust_poll{5000};
  // Forward secrecy (PROTOCOL.md §4): how long senders use one epoch key
  // of ours, and how long its secret is kept after that.
  EpochBook::Options epochs;
  // At rest: message bodies older than this are removed once handled
  // (0 = kept; PROTOCOL.md §4 "At rest").
  std::chrono::milliseconds retain_bodies{0};
  uint64_t rekey_after_messages = limits::kRekeyAfterMessages;  // per direction, per link
  // Path tests through every relay to every other nation (PROTOCOL.md §13).
  paths::Options path_tests;
};

v1::Precedence DefaultPrecedence(v1::Channel channel);
// Messages the node sends itself and never shows: checkpoint notes, epoch keys.
bool IsSystemBody(const v1::Body& body);

// When the operator's acknowledgment of a message is due on this node's
// clock: the sender's ack_deadline_ms - created_at_ms (both on its clock)
// is used only as a duration, from the moment this node received it.
int64_t LocalAckDue(const v1::EnvelopeHeader& header, int64_t received_at_ms);

class NodeDaemon : public ControlHandler {
 public:
  NodeDaemon(asio::io_context& io, NodeConfig config);
  ~NodeDaemon() override;

  Status Start();
  void Stop(const std::string& why);
  const NodeConfig& config() const { return config_; }
  // Metrics into `registry` from now on (docs/OPERATIONS.md); after Start.
  void InstallMetrics(metrics::Registry& registry);

  // The control API (node_control_api.cc, docs/PROTOCOL.md §7): the one
  // way in for the control socket and the console alike. `watch` is not
  // answered here; watchers Subscribe.
  void Handle(const v1::ControlRequest& request, Reply reply) override;
  // Issues console login links; set by main when the node serves a console.
  using LinkIssuer = std::function<StatusOr<v1::ConsoleLinkResponse>(
      const std::string& operator_name, const std::string& issued_by)>;
  void SetConsoleLinks(LinkIssuer issuer) { console_links_ = std::move(issuer); }
  // Audits a console session event (OPERATOR_LOGIN / OPERATOR_LOGOUT).
  void AuditOperator(v1::AuditEvent event, const std::string& operator_name,
                     const std::string& detail) {
    AuditAsync({.event = event, .detail = detail, .operator_name = operator_name});
  }
  int Subscribe(Watcher watcher) override;
  void Unsubscribe(int id) override;
  // A malformed control request: logged, audited (INPUT_REJECTED) and shown to watchers.
  void RejectControlInput(const std::string& why) override {
    RejectInput("control socket: " + why, {}, v1::NATION_UNSPECIFIED);
  }
  // A request the console refused: the same, "console: <why>".
  void RejectConsoleInput(const std::string& why) {
    RejectInput("console: " + why, {}, v1::NATION_UNSPECIFIED);
  }

 private:
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

  // Relay links (RelayPool callbacks).
  void OnRelayReady(size_t relay, const v1::Hello& hello);
  void OnRelayRefused(size_t relay, const std::string& text);
  void OnRelayClosed(size_t relay, const std::string& reason, RelayPool::CloseKind kind);
  void OnRelayFrame(size_t relay, v1::LinkFrame& frame);
  void OnAccepted(size_t relay, const v1::RelayAccepted& accepted);
  void OnDeliver(size_t relay, const v1::DeliverEnvelope& deliver);
  void OnDeliverReceipt(size_t relay, const v1::DeliverReceipt& deliver);
  void SendTaken(size_t relay, uint64_t delivery_id);
  void OnExpiryNotice(size_t relay, const v1::ExpiryNotice& notice);  // node_expiry.cc
  bool RelayUp(int relay) const { return relay >= 0 && pool_->Up(static_cast<size_t>(relay)); }

  // Sending.
  void PumpOutbox();
  // FLASH submissions a relay has not accepted in time also go through
  // another (OutboxScheduler::HedgesDue); the timer waits for the next.
  void SendHedges();
  void ArmHedgeTimer();
  // Through relay `via` if it is up (the one the message came through, just
  // seen alive), else the first live relay.
  void TransmitReceipt(const PendingReceipt& receipt, int via = -1);
  void WithdrawCopies(const Bytes& message_id, const std::set<int>& relays,
                      v1::Precedence precedence);
  void SendWithdraw(size_t relay, const Bytes& message_id, v1::Precedence precedence);
  void Send(const v1::SendRequest& request, const std::string& operator_name, Reply reply);
  v1::ControlResponse Inbox(const v1::InboxRequest& request);
  void MarkForwardSecrecy(v1::InboxEntry& entry);
  v1::ControlResponse Show(const v1::ShowRequest& request);
  void Ack(const v1::AckRequest& request, const std::string& operator_name, Reply reply);
  v1::ControlResponse GetStatus(const v1::StatusRequest& request);
  v1::ControlResponse ConsultStatus(const v1::ConsultStatusRequest& request);
  void AuditView(const v1::AuditRequest& request, Reply reply);
  // Whom a request sends to (`asked`, or every other nation): each with a
  // usable certificate, else why not.
  StatusOr<std::set<int>> Recipients(const google::protobuf::RepeatedField<int>& asked);
  void SendInternal(const v1::SendRequest& request, bool system, const std::string& operator_name,
                    Reply reply);
  void SealAndStore(v1::EnvelopeHeader header, v1::Body body, std::string operator_name,
                    std::function<void(const Status&, const Bytes&)> done);

  // Receiving: inside a durable write, stores and audits what the
  // sequencer decided; after the commit, shows it.
  Status ApplyRelease(const SequencerOutput& out, std::vector<Shown>& shown,
                      std::vector<GapEvent>& gaps);
  void OnReleased(const std::vector<Shown>& shown, const std::vector<GapEvent>& gaps);
  Status ReloadStreams();
  void TickSequencer(int64_t now_ms);

  // Deadlines, checkpoints, consultations (node_daemon_timers.cc).
  void Tick();
  void TrackSent(const v1::EnvelopeHeader& header, v1::Nation recipient, bool delivered);
  void OnOutboxDeadline(const DeadlineKey& key);
  void OnInboxDeadline(const DeadlineKey& key);
  void Checkpoint(bool share = false);
  void OnCheckpointNote(v1::Nation from, const v1::CheckpointNote& note);
  void ObserveConsultation(const v1::EnvelopeHeader& header, const v1::Body& body, bool sent);
  void SaveConsultation(ByteView id);

  // Trust (node_trust.cc): the other nations' certificates and our
  // end-to-end keys, from the trust folder; a nation with a bad
  // certificate is alerted, not fatal.
  const TrustStore& trust() const { return trust_keeper_->store(); }
  // Our certificate (or `certificate`, a re-signed copy of it) as peers see it now.
  CertCheck CheckOwnCertificate(std::optional<ByteView> certificate = std::nullopt) const;
  void ReloadPeers();
  // Re-reads the trust folder (root, revocation lists, certificates); at
  // most once a second; false if it did not.
  bool ReloadTrust();
  void WarnOfExpiringCertificates();
  // What taking a trust document did, from `source` (a relay's subject,
  // "operator NAME", "the trust folder"; `from_relay` -1 unless a relay):
  // applied ones are audited, alerted, passed to every other relay, and
  // links and peers are checked again; refused ones are audited.
  void OnTrustResult(const TrustResult& result, const std::string& source, int from_relay);
  static constexpr const char* kFromFolder = "the trust folder";
  void SendTrustInForce(size_t relay);
  // The folder's copy of our certificate, re-signed (same keys and
  // details), if it verifies under the trust in force.
  void TakeResignedCertificate();
  void PublishTrust(const v1::TrustPublishRequest& request, const std::string& operator_name,
                    Reply reply);

  // Epoch keys (node_epochs.cc, PROTOCOL.md §4 "Forward secrecy").
  Status RestoreEpochs();
  void ApplyEpochs();  // into keys_, after it is rebuilt or epochs change
  void EraseDestroyedSecrets();
  void TickEpochs(int64_t now_ms);
  void MakeEpoch(const std::string& why, Reply reply);
  // Our newest epoch key, IMMEDIATE, to every other nation with a valid
  // certificate (`everyone`) or to those whose epoch key we know.
  void AnnounceEpoch(bool everyone, std::vector<v1::Nation>* announced_to);
  void DestroyEpoch(uint64_t epoch);
  // After a destruction: until the write-ahead log is emptied (a reader
  // may hold it), tried again every tick.
  void TruncateWalIfDue();
  // Removes bodies past the at-rest retention (node_epochs.cc).
  void ForgetOldBodies(int64_t now_ms);
  bool LearnPeerEpoch(v1::Nation nation, const v1::EpochKeyDetails& details,
                      const std::string& signed_key);
  void OnEpochAnnouncement(v1::Nation sender, const v1::EpochKeyAnnouncement& note);
  // What an opened envelope says about epoch keys: the sender's, and
  // whether it was wrapped without forward secrecy (marked).
  void OnOpenedEpochs(const OpenedEnvelope& opened);
  // Our newest SignedEpochKey (signed under our current certificate), for
  // receipts; empty if none.
  std::string NewestEpochKey() const;

  // Track feeds (node_tracks.cc, PROTOCOL.md §11): latest-value updates
  // sealed and sent through every live relay, never stored; summaries as
  // ordinary messages; received updates applied newest-first and shown.
  v1::ControlResponse PublishTrack(const v1::TrackPublishRequest& request);
  v1::ControlResponse TrackList();
  void OnTrack(size_t relay, const v1::TrackFrame& frame);
  void SendTrackSummaries(int64_t now_ms);
  void OnTrackSummary(v1::Nation sender, const v1::TrackSummary& summary, ByteView message_id);
  void FlushUnsentTracks();
  void TickTracks(int64_t now_ms);
  void RejectTrack(size_t relay, const std::string& what, ByteView message_id, v1::Nation peer);
  // Live frames (track updates, path probes) a relay can send many of a
  // second: audited one by one up to a limit a second, then counted.
  void RejectRateLimited(size_t relay, const std::string& what, ByteView message_id,
                         v1::Nation peer);

  // Path tests (node_paths.cc, PROTOCOL.md §13).
  void StartPathTests();
  std::string RelayName(size_t relay) const;  // its subject, or its address before a link
  void TickPaths(int64_t now_ms);
  void ProbePath(const paths::Path& path, int64_t now_ms);
  void OnPathProbe(size_t relay, const v1::PathProbe& frame);
  void OnPathResult(const paths::Result& result);
  void GetLinks(const v1::LinksRequest& request, Reply reply);
  v1::ControlResponse Links() const;

  // Operator events and the audit log.
  void Emit(const std::string& kind, ByteView message_id, v1::Nation peer, const std::string& text,
            const v1::TrackView* track = nullptr);
  void Alert(const std::string& text, ByteView message_id, v1::Nation peer);
  // An alert that no other audit record covers: also audited (ALERT).
  void AlertAndAudit(const std::string& text, ByteView message_id, v1::Nation peer);
  // A time `peer` stamped, and the interval of our clock it must lie in.
  void ObserveClock(const std::string& peer, int64_t peer_ms, int64_t earliest_ms,
                    int64_t latest_ms);
  void AuditAsync(AuditEntry entry);
  void RejectInput(const std::string& what, ByteView message_id, v1::Nation peer);

  asio::io_context& io_;
  NodeConfig config_;
  std::unique_ptr<TrustKeeper> trust_keeper_;
  std::optional<Identity> identity_;
  std::unique_ptr<EnvelopeKeys> keys_;
  std::unique_ptr<NodeStore> store_;
  std::unique_ptr<GroupCommitter> committer_;
  std::unique_ptr<AuditLog> audit_;
  metrics::Registry* metrics_ = nullptr;  // set: metrics are served
  std::unique_ptr<metrics::AuditMetrics> audit_metrics_;
  void CountTrack(const char* what);
  std::unique_ptr<RelayPool> pool_;

  // Rooms.
  OutboxScheduler outbox_;
  SequenceCounters sequences_;
  InboxSequencer sequencer_{InboxSequencer::Policy::Defaults()};
  ReceiptBook receipts_;
  PeerDirectory peers_;
  ClockWatch clocks_{0};
  std::unique_ptr<WitnessDesk> witness_;
  DeadlineTracker outbox_deadlines_, inbox_deadlines_;
  ConsultationBook consultations_;
  EpochBook epochs_{EpochBook::Options{}};
  std::unique_ptr<EpochSecretFile> epoch_secrets_;  // our epoch secrets (not in node.db)
  std::set<uint64_t> erase_pending_;                // destroyed, their slot not yet overwritten
  std::set<uint64_t> erase_alerted_;
  std::set<uint64_t> destroying_;
  bool epoch_in_progress_ = false;
  bool wal_to_truncate_ = false;
  int64_t last_retention_ms_ = 0;
  int64_t wal_truncate_since_ms_ = 0;

  track::Publisher track_publisher_;
  track::Receiver track_receiver_;
  std::map<std::string, std::set<int>> track_recipients_;  // live published tracks, by id
  // Updates published while no relay was up: the newest per track key.
  std::map<std::string, std::pair<int64_t, std::string>> unsent_tracks_;
  std::map<std::pair<v1::Nation, std::string>, v1::TrackView> track_views_;  // received
  int64_t last_track_prune_ms_ = 0;
  std::map<size_t, RefusalAudit> relay_refusals_;  // track updates and path probes, per relay
  std::unique_ptr<paths::PathBook> paths_;
  struct PathWaiter {
    Reply reply;
    int64_t answer_by_ms = 0;
  };
  std::vector<PathWaiter> path_waiters_;  // `links --test-now` until the round ends

  std::map<Bytes, Held> held_;         // see Held
  std::set<Bytes> inbox_in_progress_;  // opened, not yet committed
  std::map<size_t, std::map<Bytes, v1::Precedence>>
      withdraw_pending_;                                   // per relay, while it is down
  std::map<v1::Nation, Ed25519Public> peer_signing_keys_;  // current certificates (witnessing)
  std::set<std::string> alerted_;                          // certificate problems already alerted
  std::map<std::string, int64_t> cert_warned_;             // expiry warning -> when last given
  std::deque<std::string> alerts_;
  std::map<int, Watcher> watchers_;
  int next_watcher_ = 1;
  LinkIssuer console_links_;
  // Slow read-only work (a full audit verification) off the event loop.
  std::unique_ptr<asio::thread_pool> background_;
  std::unique_ptr<asio::steady_timer> tick_timer_;
  std::unique_ptr<asio::steady_timer> hedge_timer_;
  std::optional<int64_t> hedge_timer_at_;  // when it is armed for
  int64_t last_checkpoint_ms_ = 0;
  uint64_t last_checkpoint_size_ = 0;
  int64_t last_trust_reload_ms_ = 0;
  int64_t last_trust_poll_ms_ = 0;
  int64_t last_expiry_check_ms_ = 0;
  bool sequencer_tick_pending_ = false;
  bool stopping_ = false;
};

}  // namespace hotline::node

#endif  // HOTLINE_CLIENT_NODE_NODE_DAEMON_H_
