#include "node/node_daemon.h"

#include <spdlog/spdlog.h>

#include "hotline/control_codec.h"
#include "hotline/history.h"
#include "hotline/limits.h"
#include "hotline/receipt.h"

namespace hotline::node {

v1::Precedence DefaultPrecedence(v1::Channel channel) {
  switch (channel) {
    case v1::CHANNEL_CRISIS:
    case v1::CHANNEL_MISSILE_WARNING: return v1::PRECEDENCE_FLASH;
    case v1::CHANNEL_CONSULT: return v1::PRECEDENCE_IMMEDIATE;
    default: return v1::PRECEDENCE_ROUTINE;
  }
}

NodeDaemon::NodeDaemon(asio::io_context& io, NodeConfig config)
    : io_(io), config_(std::move(config)), outbox_(config_.fifo) {
  if (config_.control_socket.empty()) config_.control_socket = config_.data_dir / "control.sock";
  clocks_ = ClockWatch(config_.allowed_skew_seconds * 1000);
  epochs_ = EpochBook(config_.epochs);
  sequencer_ = InboxSequencer(config_.release_policy);
}

NodeDaemon::~NodeDaemon() = default;

Status NodeDaemon::Start() {
  if (config_.nation == v1::NATION_UNSPECIFIED) return InvalidArgumentError("--nation is required");
  if (config_.relays.empty()) return InvalidArgumentError("at least one --relay is required");
  for (const auto& r : config_.relays) HOTLINE_RETURN_IF_ERROR(ParseEndpoint(r).status());
  std::error_code ec;
  std::filesystem::create_directories(config_.data_dir, ec);
  if (ec) return UnavailableError("cannot create " + config_.data_dir.string() + ": " + ec.message());
  std::filesystem::permissions(config_.data_dir, std::filesystem::perms::owner_all, ec);
  std::vector<TrustResult> from_folder;
  HOTLINE_ASSIGN_OR_RETURN(trust_keeper_,
                           TrustKeeper::Open(config_.certs_dir, config_.data_dir / "trust.db",
                                             config_.now_ms() / 1000, &from_folder));
  HOTLINE_ASSIGN_OR_RETURN(Identity id,
                           LoadIdentity(config_.certs_dir, NodeSubject(config_.nation)));
  identity_.emplace(std::move(id));
  CertCheck check = CheckOwnCertificate();
  if (!check.ok()) return FailedPreconditionError("own certificate: " + check.message);
  HOTLINE_ASSIGN_OR_RETURN(store_, NodeStore::Open(config_.data_dir / "node.db"));
  committer_ = std::make_unique<GroupCommitter>(io_.get_executor(), store_->db());
  audit_ = std::make_unique<AuditLog>(store_->db(), NodeSubject(config_.nation),
                                      [this] { return config_.now_ms(); });
  committer_->OnRollback([this] {
    audit_->InvalidateCache();
    if (Status st = ReloadStreams(); !st.ok())
      spdlog::critical("cannot reload streams: {}", st.ToString());
    // Sequence numbers allocated by rolled-back sends are reused.
    if (auto next = store_->LoadSequences(); next.ok()) sequences_.Restore(*next);
  });
  HOTLINE_ASSIGN_OR_RETURN(epoch_secrets_,
                           EpochSecretFile::Open(config_.data_dir / "epoch-secrets"));
  HOTLINE_RETURN_IF_ERROR(RestoreEpochs());
  for (const auto& r : from_folder) OnTrustResult(r, kFromFolder, -1);
  // Another nation's bad certificate makes that nation unreachable (alerted,
  // audited, shown in status); it never stops this node.
  ReloadPeers();
  WarnOfExpiringCertificates();
  last_expiry_check_ms_ = config_.now_ms();
  HOTLINE_ASSIGN_OR_RETURN(auto next_sequences, store_->LoadSequences());
  sequences_.Restore(std::move(next_sequences));
  HOTLINE_RETURN_IF_ERROR(
      store_->ForEachOutstanding([this](OutboxRow&& row, std::vector<v1::Nation> missing) {
        OutboxScheduler::Entry entry;
        entry.envelope = std::move(row.envelope);
        entry.digest = std::move(row.digest);
        entry.created_at_ms = row.header.created_at_ms();
        entry.precedence = row.header.precedence();
        entry.awaiting.insert(missing.begin(), missing.end());
        outbox_.Add(row.message_id, std::move(entry));
      }));
  HOTLINE_RETURN_IF_ERROR(
      store_->ForEachUnacceptedReceipt([this](PendingReceipt&& r) { receipts_.Add(r); }));
  HOTLINE_RETURN_IF_ERROR(store_->ForEachUnacknowledgedSent(
      [this](const v1::EnvelopeHeader& h, v1::Nation r, bool delivered) { TrackSent(h, r, delivered); }));
  HOTLINE_RETURN_IF_ERROR(store_->ForEachUnacknowledgedInbox(
      [this](const v1::EnvelopeHeader& h, int64_t received_at_ms) {
        if (h.ack_deadline_ms() > 0) {
          inbox_deadlines_.Track({ToBytes(h.message_id()), h.sender(), DeadlineTier::kAcknowledged},
                                 LocalAckDue(h, received_at_ms));
        }
      }));
  HOTLINE_RETURN_IF_ERROR(ReloadStreams());
  witness_ = std::make_unique<WitnessDesk>(
      config_.nation,
      std::make_unique<Witness>(NodeSubject(config_.nation), identity_->keys.signing.secret,
                                identity_->keys.signing.public_key,
                                [this](const std::string& origin) -> StatusOr<Ed25519Public> {
                                  auto it = peer_signing_keys_.find(NationOfActor(origin));
                                  if (it == peer_signing_keys_.end()) {
                                    return NotFoundError("no certificate for " + origin);
                                  }
                                  return it->second;
                                }));
  HOTLINE_RETURN_IF_ERROR(store_->ForEachWitnessed(
      [this](const v1::SignedCheckpoint& cp) { witness_->RestoreWitnessed(cp); }));
  HOTLINE_ASSIGN_OR_RETURN(auto witness_sent, store_->LoadWitnessSent());
  for (const auto& [nation, size] : witness_sent) witness_->RestoreSent(nation, size);
  HOTLINE_RETURN_IF_ERROR(store_->ForEachConsultation(
      [this](const v1::ConsultationStatus& s) { consultations_.Restore(s); }));

  // The first epoch key (or one under a renewed certificate) before any
  // message is sealed: committed with the START record below.
  if (epochs_.Due(config_.now_ms(), identity_->details.serial())) MakeEpoch("scheduled", nullptr);
  AuditAsync({.event = v1::AUDIT_EVENT_START,
              .detail = std::to_string(outbox_.size()) + " outstanding messages, " +
                        std::to_string(receipts_.pending().size()) + " receipts to send"});
  committer_->FlushNow();

  RelayPool::Options options;
  options.reconnect_min = config_.reconnect_min;
  options.reconnect_max = config_.reconnect_max;
  options.reconnect_refused = config_.reconnect_refused;
  options.silence_timeout = config_.relay_silence;
  options.allowed_skew_seconds = config_.allowed_skew_seconds;
  options.rekey_after_messages = config_.rekey_after_messages;
  options.fifo = config_.fifo;
  options.now_ms = [this] { return config_.now_ms(); };
  RelayPool::Callbacks callbacks;
  callbacks.ready = [this](size_t r, const v1::Hello& hello) { OnRelayReady(r, hello); };
  callbacks.refused = [this](size_t r, const std::string& text) { OnRelayRefused(r, text); };
  callbacks.closed = [this](size_t r, const std::string& reason, RelayPool::CloseKind kind) {
    OnRelayClosed(r, reason, kind);
  };
  callbacks.frame = [this](size_t r, v1::LinkFrame& frame) { OnRelayFrame(r, frame); };
  pool_ = std::make_unique<RelayPool>(io_, config_.relays, *identity_, trust(), options, callbacks);
  pool_->Start();
  StartPathTests();
  tick_timer_ = std::make_unique<asio::steady_timer>(io_);
  hedge_timer_ = std::make_unique<asio::steady_timer>(io_);
  last_checkpoint_ms_ = config_.now_ms();  // the first shared checkpoint after one interval
  Tick();
  spdlog::info("node {} started: {} relay(s), {} outstanding message(s)",
               NationCode(config_.nation), config_.relays.size(), outbox_.size());
  return Status::Ok();
}

void NodeDaemon::Stop(const std::string& why) {
  if (stopping_) return;
  stopping_ = true;
  if (tick_timer_) tick_timer_->cancel();
  if (hedge_timer_) hedge_timer_->cancel();
  if (pool_) pool_->Stop();
  // A `links --test-now` still waiting hears why now, not at its timeout.
  for (PathWaiter& w : std::exchange(path_waiters_, {})) {
    w.reply(ErrorResponse(UnavailableError("the node is stopping: " + why)));
  }
  if (committer_) {
    AuditAsync({.event = v1::AUDIT_EVENT_STOP, .detail = why});
    Checkpoint();  // the final checkpoint covers the STOP record
    committer_->FlushNow();
  }
  spdlog::info("node {} stopped: {}", NationCode(config_.nation), why);
}

// ---------------------------------------------------------------- relay links

void NodeDaemon::OnRelayReady(size_t relay, const v1::Hello& hello) {
  const std::string& subject = pool_->subject(relay);
  if (hello.at_ms() > 0) {
    int64_t now = config_.now_ms();
    ObserveClock(subject, hello.at_ms(), now - limits::kHandshakeTimeout.count(), now);
  }
  AuditAsync({.event = v1::AUDIT_EVENT_HANDSHAKE_ACCEPTED,
              .peer_subject = subject,
              .detail = config_.relays[relay]});
  Emit("link-up", {}, v1::NATION_UNSPECIFIED, subject + " at " + config_.relays[relay]);
  SendTrustInForce(relay);
  outbox_.OnRelayUp(static_cast<int>(relay), [this](int r) { return RelayUp(r); });
  PumpOutbox();
  for (const auto& [id, receipt] : receipts_.pending()) TransmitReceipt(receipt);
  FlushUnsentTracks();
  // Copies this relay still queues of messages receipted meanwhile.
  auto withdrawn = std::move(withdraw_pending_[relay]);
  withdraw_pending_.erase(relay);
  for (const auto& [id, precedence] : withdrawn) SendWithdraw(relay, id, precedence);
}

void NodeDaemon::OnRelayRefused(size_t relay, const std::string& text) {
  AuditAsync({.event = v1::AUDIT_EVENT_HANDSHAKE_REJECTED,
              .reason = text,
              .detail = config_.relays[relay]});
  if (alerted_.insert(text).second)
    Alert("CERTIFICATE REFUSED: " + text, {}, v1::NATION_UNSPECIFIED);
}

void NodeDaemon::OnRelayClosed(size_t relay, const std::string& reason, RelayPool::CloseKind kind) {
  using Kind = RelayPool::CloseKind;
  if (kind == Kind::kRefused) return;  // OnRelayRefused said why
  if (kind == Kind::kHandshakeFailed) {
    return AuditAsync({.event = v1::AUDIT_EVENT_HANDSHAKE_REJECTED,
                       .reason = reason,
                       .detail = config_.relays[relay]});
  }
  if (stopping_) return;  // the STOP record covers links closed by shutdown
  AuditAsync({.event = kind == Kind::kViolation ? v1::AUDIT_EVENT_INPUT_REJECTED
                                                : v1::AUDIT_EVENT_LINK_CLOSED,
              .peer_subject = pool_->subject(relay),
              .reason = reason,
              .detail = config_.relays[relay]});
  Emit("link-down", {}, v1::NATION_UNSPECIFIED, pool_->subject(relay) + ": " + reason);
  // Until every delivery receipt is back, a message is re-sent through any
  // live relay: one that went out through this relay, accepted or not, may
  // now be stuck in a dead relay's store. Recipients deduplicate.
  outbox_.OnRelayDown(static_cast<int>(relay));
  PumpOutbox();
  // Receipts sent through this relay and not yet stored by it go out again
  // through any other live relay (the relay deduplicates by receipt id).
  for (const auto& [id, receipt] : receipts_.pending()) TransmitReceipt(receipt);
}

void NodeDaemon::OnRelayFrame(size_t relay, v1::LinkFrame& frame) {
  switch (frame.kind_case()) {
    case v1::LinkFrame::kAccepted:
      return OnAccepted(relay, frame.accepted());
    case v1::LinkFrame::kDeliver:
      return OnDeliver(relay, frame.deliver());
    case v1::LinkFrame::kDeliverReceipt:
      return OnDeliverReceipt(relay, frame.deliver_receipt());
    case v1::LinkFrame::kReceiptAccepted: {
      Bytes id = ToBytes(frame.receipt_accepted().receipt_id());
      if (!receipts_.Accepted(id)) return;
      int64_t now = config_.now_ms();
      // Lost in a crash, the receipt is simply sent again: lazy is enough.
      committer_->SubmitLazy([this, id, now]() { return store_->MarkReceiptAccepted(id, now); });
      return;
    }
    case v1::LinkFrame::kTrust:
      return OnTrustResult(trust_keeper_->Offer(frame.trust(), config_.now_ms() / 1000),
                           pool_->subject(relay), static_cast<int>(relay));
    case v1::LinkFrame::kExpired:
      return OnExpiryNotice(relay, frame.expired());
    case v1::LinkFrame::kTrack:
      return OnTrack(relay, frame.track());
    case v1::LinkFrame::kPathProbe:
      return OnPathProbe(relay, frame.path_probe());
    case v1::LinkFrame::kError: {
      const auto& e = frame.error();
      spdlog::warn("relay {} reported error {}: {}", pool_->subject(relay),
                   static_cast<int>(e.code()), e.message());
      Emit("relay-error", AsBytes(e.message_id()), v1::NATION_UNSPECIFIED, e.message());
      return;
    }
    default:
      RejectInput("unexpected link frame kind " + std::to_string(frame.kind_case()) +
                      " from relay " + pool_->subject(relay),
                  {}, v1::NATION_UNSPECIFIED);
  }
}

void NodeDaemon::SendTaken(size_t relay, uint64_t delivery_id) {
  v1::LinkFrame taken;
  taken.mutable_taken()->set_delivery_id(delivery_id);
  // No link: the relay redelivers on the next one and we deduplicate.
  (void)pool_->Send(relay, taken, LinkConnection::kControlPrecedence, /*force=*/true);
}

void NodeDaemon::OnAccepted(size_t relay, const v1::RelayAccepted& accepted) {
  Bytes id = ToBytes(accepted.message_id());
  if (!outbox_.OnAccepted(id, static_cast<int>(relay))) return;
  const OutboxScheduler::Entry* entry = outbox_.Find(id);
  // Stored and shown on our clock; the relay's own stamp only tells skew.
  int64_t now = config_.now_ms();
  std::string subject = pool_->subject(relay);
  if (accepted.at_ms() > 0) ObserveClock(subject, accepted.at_ms(), entry->created_at_ms, now);
  AuditEntry rec{.event = v1::AUDIT_EVENT_ACCEPTED,
                 .message_id = accepted.message_id(),
                 .envelope_digest = ToString(entry->digest),
                 .peer_subject = subject};
  committer_->SubmitLazy([this, id, now, subject, rec]() -> Status {
    HOTLINE_RETURN_IF_ERROR(store_->MarkAccepted(id, now, subject));
    return audit_->Append(rec);
  });
  Emit("accepted", id, v1::NATION_UNSPECIFIED, "stored by " + subject);
  PumpOutbox();
}

// ---------------------------------------------------------------- sending

void NodeDaemon::PumpOutbox() {
  int relay = pool_ ? pool_->First() : -1;
  if (relay < 0) return;  // resumes when a relay link comes up
  auto r = static_cast<size_t>(relay);
  while (auto id = outbox_.Next(pool_->queued_bytes(r) < limits::kLinkHighWaterBytes)) {
    const OutboxScheduler::Entry* entry = outbox_.Find(*id);
    v1::LinkFrame f;
    f.mutable_submit()->set_envelope(ToString(entry->envelope));
    if (!pool_->Send(r, f, entry->precedence).ok()) {
      outbox_.Unsubmitted(*id);
      break;
    }
    outbox_.Submitted(*id, relay, config_.now_ms());
  }
  ArmHedgeTimer();
}

void NodeDaemon::SendHedges() {
  for (const auto& hedge : outbox_.HedgesDue(
           config_.now_ms(), [this](int r) { return RelayUp(r); },
           static_cast<int>(pool_->size()))) {
    const OutboxScheduler::Entry* entry = outbox_.Find(hedge.message_id);
    v1::LinkFrame f;
    f.mutable_submit()->set_envelope(ToString(entry->envelope));
    if (!pool_->Send(static_cast<size_t>(hedge.to), f, entry->precedence).ok()) continue;
    outbox_.Submitted(hedge.message_id, hedge.to, config_.now_ms());
    std::string from = pool_->subject(static_cast<size_t>(hedge.from));
    std::string to = pool_->subject(static_cast<size_t>(hedge.to));
    spdlog::warn("FLASH {} not accepted by {} within {} ms: also sent through {}",
                 ToHex(hedge.message_id).substr(0, 8), from, limits::kFlashHedgeAfter.count(), to);
    AuditAsync({.event = v1::AUDIT_EVENT_ESCALATED,
                .message_id = ToString(hedge.message_id),
                .precedence = entry->precedence,
                .reason = "not accepted by " + from + " within " +
                          std::to_string(limits::kFlashHedgeAfter.count()) +
                          " ms: also sent through " + to});
  }
  ArmHedgeTimer();
}

void NodeDaemon::ArmHedgeTimer() {
  auto due = outbox_.NextHedgeAt();
  if (!due || !hedge_timer_ || stopping_ || (hedge_timer_at_ && *hedge_timer_at_ <= *due)) return;
  hedge_timer_at_ = due;
  hedge_timer_->expires_after(
      std::chrono::milliseconds(std::max<int64_t>(0, *due - config_.now_ms())));
  hedge_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;  // re-armed for an earlier hedge, or stopping
    hedge_timer_at_.reset();
    SendHedges();
  });
}

void NodeDaemon::TransmitReceipt(const PendingReceipt& receipt, int via) {
  int relay = RelayUp(via) ? via : pool_ ? pool_->First() : -1;
  if (relay < 0) return;
  v1::LinkFrame f;
  auto* s = f.mutable_submit_receipt();
  s->set_receipt(ToString(receipt.receipt));
  s->set_to(receipt.to);
  s->set_receipt_id(ToString(receipt.receipt_id));
  s->set_precedence(receipt.precedence);
  (void)pool_->Send(static_cast<size_t>(relay), f, receipt.precedence);
}

void NodeDaemon::WithdrawCopies(const Bytes& message_id, const std::set<int>& relays,
                                v1::Precedence precedence) {
  for (int relay : relays) {
    auto r = static_cast<size_t>(relay);
    if (RelayUp(relay)) {
      SendWithdraw(r, message_id, precedence);
    } else if (withdraw_pending_[r].size() < limits::kMaxPendingWithdrawals) {
      withdraw_pending_[r].emplace(message_id, precedence);
    }
  }
}

void NodeDaemon::SendWithdraw(size_t relay, const Bytes& message_id, v1::Precedence precedence) {
  v1::LinkFrame f;
  f.mutable_withdraw()->set_message_id(ToString(message_id));
  (void)pool_->Send(relay, f, precedence);
}

void NodeDaemon::SealAndStore(v1::EnvelopeHeader header, v1::Body body, std::string operator_name,
                              std::function<void(const Status&, const Bytes&)> done) {
  auto row = std::make_shared<OutboxRow>();
  auto body_copy = std::make_shared<v1::Body>(body);
  committer_->Submit(
      [this, row, header, body, operator_name]() mutable -> Status {
        auto next = sequences_.Stamp(header);
        Sha256Digest digest{};
        std::vector<v1::Nation> no_fs;
        HOTLINE_ASSIGN_OR_RETURN(Bytes sealed, keys_->Seal(header, body, &digest, &no_fs));
        std::string without;
        for (v1::Nation n : no_fs) {
          if (IsSystemBody(body)) break;  // public content: nothing to keep secret
          HOTLINE_RETURN_IF_ERROR(
              store_->MarkWithoutForwardSecrecy(AsBytes(header.message_id()), n));
          without += (without.empty() ? "; without forward secrecy to " : ",") + NationCode(n);
        }
        row->message_id = ToBytes(header.message_id());
        row->header = header;
        row->envelope = std::move(sealed);
        row->digest.assign(digest.begin(), digest.end());
        row->summary = SummarizeBody(body);
        HOTLINE_RETURN_IF_ERROR(store_->InsertOutbox(*row, config_.now_ms()));
        for (const auto& [key, value] : next)
          HOTLINE_RETURN_IF_ERROR(store_->SetNextSequence(key, value));
        std::vector<v1::Nation> to;
        std::string named;
        for (int r : header.recipients()) {
          to.push_back(static_cast<v1::Nation>(r));
          named += (named.empty() ? "" : ",") + NationCode(to.back());
        }
        HOTLINE_RETURN_IF_ERROR(audit_->Append({.event = v1::AUDIT_EVENT_SENT,
                                                .message_id = header.message_id(),
                                                .envelope_digest = ToString(row->digest),
                                                .precedence = header.precedence(),
                                                .channel = header.channel(),
                                                .detail = "to " + named + without,
                                                .sequence = header.sequence(),
                                                .recipients = to,
                                                .operator_name = operator_name}));
        sequences_.Commit(next);  // restored from the store after a rollback
        return Status::Ok();
      },
      [this, row, body_copy, done](const Status& st) {
        if (!st.ok()) return done(st, {});
        OutboxScheduler::Entry entry;
        entry.envelope = row->envelope;
        entry.digest = row->digest;
        entry.created_at_ms = row->header.created_at_ms();
        entry.precedence = row->header.precedence();
        for (int r : row->header.recipients()) entry.awaiting.insert(static_cast<v1::Nation>(r));
        outbox_.Add(row->message_id, std::move(entry));
        PumpOutbox();
        for (int r : row->header.recipients())
          TrackSent(row->header, static_cast<v1::Nation>(r), false);
        ObserveConsultation(row->header, *body_copy, /*sent=*/true);
        done(Status::Ok(), row->message_id);
      },
      header.precedence());
}

// ---------------------------------------------------------------- operator events

void NodeDaemon::AuditAsync(AuditEntry entry) {
  committer_->Submit([this, entry = std::move(entry)]() { return audit_->Append(entry); },
                     [](const Status& st) {
                       if (!st.ok()) spdlog::error("audit append failed: {}", st.ToString());
                     });
}

void NodeDaemon::RejectInput(const std::string& what, ByteView message_id, v1::Nation peer) {
  spdlog::warn("rejected input: {}", what);
  AuditAsync({.event = v1::AUDIT_EVENT_INPUT_REJECTED,
              .message_id = ToString(message_id),
              .peer = peer,
              .reason = what});
  Emit("rejected", message_id, peer, what);
}

void NodeDaemon::Emit(const std::string& kind, ByteView message_id, v1::Nation peer,
                      const std::string& text, const v1::TrackView* track) {
  if (watchers_.empty()) return;
  v1::WatchEvent e;
  int64_t now_us = config_.now_us();
  e.set_at_us(now_us);
  e.set_at_ms(now_us / 1000);
  e.set_kind(kind);
  e.set_message_id(ToString(message_id));
  e.set_peer(peer);
  e.set_text(text);
  if (track) *e.mutable_track() = *track;
  for (auto& [id, w] : std::map<int, Watcher>(watchers_)) w(e);
}

int NodeDaemon::Subscribe(Watcher watcher) {
  int id = next_watcher_++;
  watchers_[id] = std::move(watcher);
  return id;
}

void NodeDaemon::Unsubscribe(int id) { watchers_.erase(id); }

void NodeDaemon::Alert(const std::string& text, ByteView message_id, v1::Nation peer) {
  spdlog::warn("ALERT {}", text);
  alerts_.push_back(text);
  while (alerts_.size() > 100) alerts_.pop_front();
  Emit("alert", message_id, peer, text);
}

void NodeDaemon::AlertAndAudit(const std::string& text, ByteView message_id, v1::Nation peer) {
  Alert(text, message_id, peer);
  AuditAsync({.event = v1::AUDIT_EVENT_ALERT,
              .message_id = ToString(message_id),
              .peer = peer,
              .reason = text});
}

void NodeDaemon::ObserveClock(const std::string& peer, int64_t peer_ms, int64_t earliest_ms,
                              int64_t latest_ms) {
  if (auto alert = clocks_.Observe(peer, peer_ms, earliest_ms, latest_ms)) {
    auto nation = ParseNation(peer);  // a relay's subject names no nation
    AlertAndAudit(*alert, {}, nation.ok() ? *nation : v1::NATION_UNSPECIFIED);
  }
}

}  // namespace hotline::node
