#include "node/node_daemon.h"

#include <spdlog/spdlog.h>

#include <random>

#include "hotline/file_util.h"
#include "hotline/history.h"
#include "hotline/limits.h"
#include "hotline/net_util.h"
#include "hotline/receipt.h"

namespace hotline::node {

using asio::ip::tcp;

namespace {

v1::ControlResponse Error(const Status& st) {
  v1::ControlResponse r;
  r.set_ok(false);
  r.set_error(st.message());
  return r;
}

// The sender's clock stamps created_at and ack_deadline; only their
// difference (the time allowed) is used here, measured on our clock from
// the moment this node received the message.
int64_t LocalAckDue(const v1::EnvelopeHeader& h, int64_t received_at_ms) {
  return received_at_ms + std::max<int64_t>(0, h.ack_deadline_ms() - h.created_at_ms());
}

v1::ControlResponse Ok() {
  v1::ControlResponse r;
  r.set_ok(true);
  return r;
}

}  // namespace

v1::Precedence DefaultPrecedence(v1::Channel channel) {
  switch (channel) {
    case v1::CHANNEL_CRISIS:
    case v1::CHANNEL_MISSILE_WARNING: return v1::PRECEDENCE_FLASH;
    case v1::CHANNEL_CONSULT: return v1::PRECEDENCE_IMMEDIATE;
    default: return v1::PRECEDENCE_ROUTINE;
  }
}

NodeDaemon::NodeDaemon(asio::io_context& io, NodeConfig config) : io_(io), config_(std::move(config)) {
  if (config_.control_socket.empty()) config_.control_socket = config_.data_dir / "control.sock";
  clocks_ = ClockWatch(config_.allowed_skew_seconds * 1000);
  sequencer_ = InboxSequencer(config_.release_policy);
}

NodeDaemon::~NodeDaemon() = default;

void NodeDaemon::ReloadPeers() {
  PeerDirectory::Options options;
  options.now_unix = config_.now_ms() / 1000;
  options.allowed_skew_seconds = config_.allowed_skew_seconds;
  options.grace_seconds = config_.certificate_grace_seconds;
  peers_ = PeerDirectory::Load(config_.certs_dir, *trust_, config_.nation, options);
  auto keys = std::make_unique<EnvelopeKeys>(config_.nation, identity_->keys.signing, *identity_->keys.e2e);
  peer_signing_keys_.clear();
  for (const auto& [key, cert] : peers_.all()) {
    keys->AddPeer(key.first, key.second, cert.keys, cert.current);
    if (cert.current) peer_signing_keys_[key.first] = cert.keys.signing_public_key;
  }
  // Our own earlier end-to-end keys, for what was sealed for them while it
  // waited: kept for the grace period after our current certificate began.
  auto previous = LoadPreviousCertificates(config_.certs_dir, NodeSubject(config_.nation));
  bool in_grace = options.now_unix <= identity_->details.not_before_unix() + options.grace_seconds;
  if (previous.ok() && in_grace) {
    for (const auto& p : *previous) {
      if (p.keys && p.keys->e2e) keys->AddPreviousKey(*p.keys->e2e);
    }
  }
  keys_ = std::move(keys);
  for (const auto& problem : peers_.problems()) {
    if (alerted_.insert(problem.text).second) {
      AlertAndAudit("PEER CERTIFICATE: " + problem.text, {}, problem.nation);
    }
  }
}

bool NodeDaemon::ReloadTrust() {
  int64_t now = config_.now_ms();
  if (now - last_trust_reload_ms_ < 1000) return false;  // at most once a second
  last_trust_reload_ms_ = now;
  auto trust = LoadTrustStore(config_.certs_dir);
  if (!trust.ok()) {
    spdlog::error("cannot reload the trust folder: {}", trust.status().ToString());
    return false;
  }
  *trust_ = std::move(trust).value();  // in place: links hold its address
  ReloadPeers();
  spdlog::info("trust folder {} reloaded", config_.certs_dir.string());
  return true;
}

void NodeDaemon::WarnOfExpiringCertificates() {
  int64_t now = config_.now_ms();
  for (const auto& warning : CertificateExpiryWarnings(config_.certs_dir, now / 1000,
                                                       config_.certificate_warning_seconds)) {
    auto [it, fresh] = cert_warned_.emplace(warning.substr(0, warning.find(" expire")), 0);
    if (!fresh && now - it->second < 24 * 3600 * 1000LL) continue;  // once a day
    it->second = now;
    AlertAndAudit(warning, {}, v1::NATION_UNSPECIFIED);
  }
}

Status NodeDaemon::Start() {
  if (config_.nation == v1::NATION_UNSPECIFIED) return InvalidArgumentError("--nation is required");
  if (config_.relays.empty()) return InvalidArgumentError("at least one --relay is required");
  for (const auto& r : config_.relays) HOTLINE_RETURN_IF_ERROR(ParseEndpoint(r).status());
  HOTLINE_ASSIGN_OR_RETURN(TrustStore trust, LoadTrustStore(config_.certs_dir));
  trust_.emplace(std::move(trust));
  HOTLINE_ASSIGN_OR_RETURN(Identity id, LoadIdentity(config_.certs_dir, NodeSubject(config_.nation)));
  identity_.emplace(std::move(id));
  CertExpectations self_check;
  self_check.now_unix = config_.now_ms() / 1000;
  self_check.allowed_skew_seconds = config_.allowed_skew_seconds;
  self_check.role = v1::ROLE_NODE;
  self_check.nation = config_.nation;
  CertCheck check = trust_->Verify(identity_->certificate, self_check);
  if (!check.ok()) return FailedPreconditionError("own certificate: " + check.message);

  std::error_code ec;
  std::filesystem::create_directories(config_.data_dir, ec);
  if (ec) return UnavailableError("cannot create " + config_.data_dir.string() + ": " + ec.message());
  std::filesystem::permissions(config_.data_dir, std::filesystem::perms::owner_all, ec);
  HOTLINE_ASSIGN_OR_RETURN(store_, NodeStore::Open(config_.data_dir / "node.db"));
  committer_ = std::make_unique<GroupCommitter>(io_.get_executor(), store_->db());
  audit_ = std::make_unique<AuditLog>(store_->db(), NodeSubject(config_.nation), config_.now_ms);
  committer_->OnRollback([this] {
    audit_->InvalidateCache();
    if (Status st = ReloadStreams(); !st.ok())
      spdlog::critical("cannot reload streams: {}", st.ToString());
    // Sequence numbers allocated by rolled-back sends are reused.
    auto seqs = store_->LoadSequences();
    if (seqs.ok()) next_sequence_ = *seqs;
  });
  // Another nation's bad certificate makes that nation unreachable (alerted,
  // audited, shown in status); it never stops this node.
  ReloadPeers();
  WarnOfExpiringCertificates();
  last_expiry_check_ms_ = config_.now_ms();
  HOTLINE_ASSIGN_OR_RETURN(next_sequence_, store_->LoadSequences());
  HOTLINE_RETURN_IF_ERROR(store_->ForEachOutstanding([this](OutboxRow&& row, std::vector<v1::Nation> missing) {
    Outstanding o;
    o.order = next_order_++;
    o.awaiting_delivery.insert(missing.begin(), missing.end());
    Bytes message_id = row.message_id;
    o.row = std::move(row);
    outstanding_[message_id] = std::move(o);
  }));
  HOTLINE_RETURN_IF_ERROR(store_->ForEachUnacceptedReceipt([this](PendingReceipt&& r) {
    Bytes receipt_id = r.receipt_id;
    pending_receipts_[receipt_id] = std::move(r);
  }));

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
  witness_ = std::make_unique<Witness>(
      NodeSubject(config_.nation), identity_->keys.signing.secret, identity_->keys.signing.public_key,
      [this](const std::string& origin) -> StatusOr<Ed25519Public> {
        v1::Nation n = NationOfActor(origin);
        auto it = peer_signing_keys_.find(n);
        if (it == peer_signing_keys_.end()) return NotFoundError("no certificate for " + origin);
        return it->second;
      });
  {
    HOTLINE_ASSIGN_OR_RETURN(Statement s, store_->db().Prepare("SELECT signed FROM witnessed"));
    for (;;) {
      HOTLINE_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      Bytes b = s.ColumnBlob(0);
      v1::SignedCheckpoint cp;
      if (cp.ParseFromArray(b.data(), static_cast<int>(b.size()))) witness_->Restore(cp);
    }
    HOTLINE_ASSIGN_OR_RETURN(Statement w, store_->db().Prepare("SELECT witness, size FROM witness_sent"));
    for (;;) {
      HOTLINE_ASSIGN_OR_RETURN(bool row, w.Step());
      if (!row) break;
      witness_sent_[static_cast<v1::Nation>(w.ColumnInt(0))] = static_cast<uint64_t>(w.ColumnInt(1));
    }
  }
  HOTLINE_RETURN_IF_ERROR(store_->ForEachConsultation(
      [this](const v1::ConsultationStatus& s) { consultations_.Restore(s); }));

  v1::AuditRecord start;
  start.set_event(v1::AUDIT_EVENT_START);
  start.set_detail(std::to_string(outstanding_.size()) + " outstanding messages, " +
                   std::to_string(pending_receipts_.size()) + " receipts to send");
  AuditAsync(start);
  committer_->FlushNow();

  relays_.resize(config_.relays.size());
  for (size_t i = 0; i < relays_.size(); ++i) {
    relays_[i].address = config_.relays[i];
    asio::co_spawn(io_, MaintainRelay(i), LogExceptions{"relay link " + relays_[i].address});
  }
  tick_timer_ = std::make_unique<asio::steady_timer>(io_);
  last_checkpoint_ms_ = config_.now_ms();  // the first shared checkpoint after one interval
  Tick();
  spdlog::info("node {} started: {} relay(s), {} outstanding message(s)", NationCode(config_.nation),
               relays_.size(), outstanding_.size());
  return Status::Ok();
}

void NodeDaemon::Stop(const std::string& why) {
  if (stopping_) return;
  stopping_ = true;
  if (tick_timer_) tick_timer_->cancel();
  for (auto& r : relays_) {
    if (r.link) r.link->Close("node shutting down");
  }
  if (committer_) {
    v1::AuditRecord stop;
    stop.set_event(v1::AUDIT_EVENT_STOP);
    stop.set_detail(why);
    AuditAsync(stop);
    Checkpoint();  // the final checkpoint covers the STOP record
    committer_->FlushNow();
  }
  spdlog::info("node {} stopped: {}", NationCode(config_.nation), why);
}

void NodeDaemon::AuditAsync(v1::AuditRecord record) {
  committer_->Submit([this, record = std::move(record)]() { return audit_->Append(record); },
                     [](const Status& st) {
                       if (!st.ok()) spdlog::error("audit append failed: {}", st.ToString());
                     });
}

void NodeDaemon::RejectInput(const std::string& what, ByteView message_id, v1::Nation peer) {
  spdlog::warn("rejected input: {}", what);
  v1::AuditRecord r;
  r.set_event(v1::AUDIT_EVENT_INPUT_REJECTED);
  r.set_reason(what);
  r.set_message_id(ToString(message_id));
  r.set_peer(peer);
  AuditAsync(r);
  Emit("rejected", message_id, peer, what);
}

void NodeDaemon::Emit(const std::string& kind, ByteView message_id, v1::Nation peer,
                      const std::string& text) {
  if (watchers_.empty()) return;
  v1::WatchEvent e;
  int64_t now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  e.set_at_us(now_us);
  e.set_at_ms(now_us / 1000);
  e.set_kind(kind);
  e.set_message_id(ToString(message_id));
  e.set_peer(peer);
  e.set_text(text);
  for (auto& [id, w] : std::map<int, Watcher>(watchers_)) w(e);
}

int NodeDaemon::Subscribe(Watcher watcher) {
  int id = next_watcher_++;
  watchers_[id] = std::move(watcher);
  return id;
}

void NodeDaemon::Unsubscribe(int id) { watchers_.erase(id); }

// ---------------------------------------------------------------- relay links

awaitable<void> NodeDaemon::MaintainRelay(size_t index) {
  std::mt19937_64 rng(std::random_device{}());
  auto executor = co_await asio::this_coro::executor;
  while (!stopping_) {
    RelayLink& relay = relays_[index];
    auto endpoint = ParseEndpoint(relay.address);
    tcp::socket socket(executor);
    boost::system::error_code ec;
    socket.open(endpoint->protocol(), ec);
    if (!ec) socket.set_option(asio::socket_base::receive_buffer_size(limits::kLinkReceiveBuffer), ec);
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
          ChannelConfigFor(*identity_, *trust_, /*initiator=*/true, v1::ROLE_RELAY);
      channel.allowed_skew_seconds = config_.allowed_skew_seconds;
      channel.rekey_after_messages = config_.rekey_after_messages;
      channel.now_unix = [this] { return config_.now_ms() / 1000; };
      LinkOptions options;
      options.heartbeat_interval = limits::kHeartbeatInterval;
      options.fifo = config_.fifo;
      auto closed = std::make_shared<asio::steady_timer>(executor, asio::steady_timer::time_point::max());
      LinkConnection::Callbacks cb;
      // Up only once the relay greets us (OnRelayReady): until then it may
      // still refuse our certificate.
      cb.established = [](const LinkConnection::Ptr&) {};
      cb.frame = [this, index](const LinkConnection::Ptr&, v1::LinkFrame& f) { OnRelayFrame(index, f); };
      cb.closed = [this, index, closed](const LinkConnection::Ptr& link, const std::string& reason,
                                        bool authenticated) {
        OnRelayClosed(index, reason, authenticated, link->peer_violation());
        closed->cancel();
      };
      relay.link = LinkConnection::Create(std::move(socket), std::move(channel), std::move(cb), options);
      relay.link->Start();
      boost::system::error_code wait_ec;
      co_await closed->async_wait(asio::redirect_error(use_awaitable, wait_ec));
    } else if (ec) {
      relay.last_error = "connect: " + ec.message();
    }
    if (stopping_) break;
    // Jittered exponential backoff; reset after a link the relay greeted,
    // long after a refused certificate.
    RelayLink& r = relays_[index];
    r.backoff = r.backoff.count() == 0 ? config_.reconnect_min
                                       : std::min(r.backoff * 2, config_.reconnect_max);
    if (!r.refused.empty()) r.backoff = std::max(r.backoff, config_.reconnect_refused);
    auto jitter = std::uniform_int_distribution<int64_t>(0, r.backoff.count() / 2)(rng);
    asio::steady_timer wait(executor);
    wait.expires_after(r.backoff + std::chrono::milliseconds(jitter));
    boost::system::error_code wait_ec;
    co_await wait.async_wait(asio::redirect_error(use_awaitable, wait_ec));
  }
}

int NodeDaemon::PickRelay() const {
  for (size_t i = 0; i < relays_.size(); ++i) {
    if (RelayUp(i)) return static_cast<int>(i);
  }
  return -1;
}

void NodeDaemon::OnRelayRefused(size_t index, const std::string& why) {
  RelayLink& r = relays_[index];
  std::string subject = r.link ? r.link->peer().subject() : r.address;
  std::string text = subject + " (" + r.address + ") refused our certificate: " + why;
  if (why.find("expired") != std::string::npos || why.find("not yet valid") != std::string::npos) {
    text += "; is this machine's clock right? (see --clock-skew)";
  }
  text += "; retrying in " + std::to_string(config_.reconnect_refused.count() / 1000) + " s";
  bool changed = r.refused != why;
  r.refused = why;
  r.last_error = text;
  v1::AuditRecord rec;
  rec.set_event(v1::AUDIT_EVENT_HANDSHAKE_REJECTED);
  rec.set_peer_subject(subject);
  rec.set_reason(text);
  rec.set_detail(r.address);
  AuditAsync(rec);
  if (changed) Alert("CERTIFICATE REFUSED: " + text, {}, v1::NATION_UNSPECIFIED);
}

void NodeDaemon::OnRelayReady(size_t index, const v1::Hello& hello) {
  RelayLink& r = relays_[index];
  if (r.ready) return;
  r.ready = true;
  r.refused.clear();
  r.subject = r.link->peer().subject();
  r.since_ms = config_.now_ms();
  r.last_error.clear();
  r.backoff = std::chrono::milliseconds(0);
  if (hello.at_ms() > 0) {
    int64_t now = config_.now_ms();
    ObserveClock(r.subject, hello.at_ms(), now - limits::kHandshakeTimeout.count(), now);
  }
  spdlog::info("link to {} ({}) established", r.subject, r.address);
  v1::AuditRecord rec;
  rec.set_event(v1::AUDIT_EVENT_HANDSHAKE_ACCEPTED);
  rec.set_peer_subject(r.subject);
  rec.set_detail(r.address);
  AuditAsync(rec);
  Emit("link-up", {}, v1::NATION_UNSPECIFIED, r.subject + " at " + r.address);
  // Everything not yet accepted by a live relay goes out again.
  for (auto& [id, entry] : outstanding_) {
    bool via_live = entry.via >= 0 && entry.via != static_cast<int>(index) &&
                    RelayUp(static_cast<size_t>(entry.via));
    if (!via_live || !entry.accepted) Enqueue(entry);
  }
  PumpOutbox();
  for (const auto& [id, receipt] : pending_receipts_) TransmitReceipt(receipt);
  // Copies this relay still queues of messages receipted meanwhile.
  auto withdrawn = std::move(withdraw_pending_[index]);
  withdraw_pending_.erase(index);
  for (const auto& [id, precedence] : withdrawn) SendWithdraw(index, id, precedence);
}

void NodeDaemon::WithdrawCopies(const Bytes& message_id) {
  auto via = submitted_via_.find(message_id);
  if (via == submitted_via_.end()) return;
  auto row = store_->FindOutbox(message_id);
  v1::Precedence precedence = row.ok() && *row ? (*row)->header.precedence() : v1::PRECEDENCE_ROUTINE;
  for (size_t index : via->second) {
    if (RelayUp(index)) {
      SendWithdraw(index, message_id, precedence);
    } else if (withdraw_pending_[index].size() < limits::kMaxPendingWithdrawals) {
      withdraw_pending_[index].emplace(message_id, precedence);
    }
  }
  submitted_via_.erase(via);
}

void NodeDaemon::SendWithdraw(size_t index, const Bytes& message_id, v1::Precedence precedence) {
  v1::LinkFrame f;
  f.mutable_withdraw()->set_message_id(ToString(message_id));
  (void)relays_[index].link->Send(f, precedence);
}

void NodeDaemon::OnRelayClosed(size_t index, const std::string& reason, bool authenticated,
                               bool peer_violation) {
  RelayLink& r = relays_[index];
  bool was_ready = r.ready;
  r.ready = false;
  r.link.reset();
  if (!r.refused.empty() && !was_ready) return;  // OnRelayRefused said why
  r.last_error = reason;
  if (!authenticated || !was_ready) {
    spdlog::warn("handshake with relay {} failed: {}", r.address, reason);
    v1::AuditRecord rec;
    rec.set_event(v1::AUDIT_EVENT_HANDSHAKE_REJECTED);
    rec.set_reason(reason);
    rec.set_detail(r.address);
    AuditAsync(rec);
    return;
  }
  spdlog::info("link to {} ({}) lost: {}", r.subject, r.address, reason);
  if (stopping_) return;  // the STOP record covers links closed by shutdown
  v1::AuditRecord rec;
  rec.set_event(peer_violation ? v1::AUDIT_EVENT_INPUT_REJECTED : v1::AUDIT_EVENT_LINK_CLOSED);
  rec.set_peer_subject(r.subject);
  rec.set_reason(reason);
  rec.set_detail(r.address);
  AuditAsync(rec);
  Emit("link-down", {}, v1::NATION_UNSPECIFIED, r.subject + ": " + reason);
  // Until every delivery receipt is back, a message is re-sent through any
  // live relay: one that went out through this relay, accepted or not, may
  // now be stuck in a dead relay's store. Recipients deduplicate.
  for (auto& [id, entry] : outstanding_) {
    if (entry.via == static_cast<int>(index)) {
      entry.via = -1;
      entry.accepted = false;
      Enqueue(entry);
    }
  }
  PumpOutbox();
  // Receipts sent through this relay and not yet stored by it go out again
  // through any other live relay (the relay deduplicates by receipt id).
  for (const auto& [id, receipt] : pending_receipts_) TransmitReceipt(receipt);
}

void NodeDaemon::OnRelayFrame(size_t index, v1::LinkFrame& frame) {
  switch (frame.kind_case()) {
    case v1::LinkFrame::kAccepted:
      return OnAccepted(index, frame.accepted());
    case v1::LinkFrame::kDeliver:
      return OnDeliver(index, frame.deliver());
    case v1::LinkFrame::kDeliverReceipt:
      return OnDeliverReceipt(index, frame.deliver_receipt());
    case v1::LinkFrame::kReceiptAccepted: {
      Bytes id = ToBytes(frame.receipt_accepted().receipt_id());
      if (pending_receipts_.erase(id) == 0) return;
      int64_t now = config_.now_ms();
      // Lost in a crash, the receipt is simply sent again: lazy is enough.
      committer_->SubmitLazy([this, id, now]() { return store_->MarkReceiptAccepted(id, now); });
      return;
    }
    case v1::LinkFrame::kHello:
      return OnRelayReady(index, frame.hello());
    case v1::LinkFrame::kError: {
      const auto& e = frame.error();
      if (e.code() == v1::LinkError::CODE_CERTIFICATE_REFUSED) return OnRelayRefused(index, e.message());
      spdlog::warn("relay {} reported error {}: {}", relays_[index].subject, static_cast<int>(e.code()),
                   e.message());
      Emit("relay-error", AsBytes(e.message_id()), v1::NATION_UNSPECIFIED, e.message());
      return;
    }
    default:
      RejectInput("unexpected link frame kind " + std::to_string(frame.kind_case()) + " from relay " +
                      relays_[index].subject,
                  {}, v1::NATION_UNSPECIFIED);
  }
}

void NodeDaemon::SendTaken(size_t index, uint64_t delivery_id) {
  RelayLink& r = relays_[index];
  if (!r.link) return;  // the relay will redeliver on the next link; we deduplicate
  v1::LinkFrame taken;
  taken.mutable_taken()->set_delivery_id(delivery_id);
  (void)r.link->Send(taken, LinkConnection::kControlPrecedence, /*force=*/true);
}

void NodeDaemon::Enqueue(const Outstanding& entry) {
  int precedence = config_.fifo ? 0 : entry.row.header.precedence();
  send_queue_.emplace(std::make_pair(-precedence, entry.order), entry.row.message_id);
}

void NodeDaemon::PumpOutbox() {
  // Keep the link's own queue short so that a later FLASH still goes first.
  constexpr size_t kLinkHighWater = 1 << 20;
  int index = PickRelay();
  if (index < 0) return;  // resumes when a relay link comes up
  LinkConnection& link = *relays_[static_cast<size_t>(index)].link;
  while (!send_queue_.empty()) {
    auto next = send_queue_.begin();
    // The high-water mark holds back bulk traffic only: the link's queue is
    // itself ordered by precedence, so urgent messages go straight in.
    bool urgent = -next->first.first >= v1::PRECEDENCE_IMMEDIATE;
    if (!urgent && link.queued_bytes() >= kLinkHighWater) break;
    auto key = next->first;
    auto it = outstanding_.find(next->second);
    send_queue_.erase(next);
    if (it == outstanding_.end()) continue;  // receipted meanwhile
    v1::LinkFrame f;
    f.mutable_submit()->set_envelope(ToString(it->second.row.envelope));
    if (!link.Send(f, it->second.row.header.precedence()).ok()) {
      send_queue_.emplace(key, it->first);
      break;
    }
    it->second.via = index;
    submitted_via_[it->first].insert(static_cast<size_t>(index));
  }
}

void NodeDaemon::TransmitReceipt(const PendingReceipt& receipt) {
  int index = PickRelay();
  if (index < 0) return;
  v1::LinkFrame f;
  auto* s = f.mutable_submit_receipt();
  s->set_receipt(ToString(receipt.receipt));
  s->set_to(receipt.to);
  s->set_receipt_id(ToString(receipt.receipt_id));
  s->set_precedence(receipt.precedence);
  (void)relays_[static_cast<size_t>(index)].link->Send(f, receipt.precedence);
}

void NodeDaemon::OnAccepted(size_t index, const v1::RelayAccepted& accepted) {
  Bytes id = ToBytes(accepted.message_id());
  auto it = outstanding_.find(id);
  if (it == outstanding_.end() || it->second.accepted) return;
  it->second.accepted = true;
  it->second.via = static_cast<int>(index);
  // Stored and shown on our clock; the relay's own stamp only tells skew.
  int64_t now = config_.now_ms();
  std::string relay = relays_[index].subject;
  if (accepted.at_ms() > 0) {
    ObserveClock(relay, accepted.at_ms(), it->second.row.header.created_at_ms(), now);
  }
  v1::AuditRecord rec;
  rec.set_event(v1::AUDIT_EVENT_ACCEPTED);
  rec.set_message_id(accepted.message_id());
  rec.set_envelope_digest(ToString(it->second.row.digest));
  rec.set_peer_subject(relay);
  committer_->SubmitLazy([this, id, now, relay, rec]() -> Status {
    HOTLINE_RETURN_IF_ERROR(store_->MarkAccepted(id, now, relay));
    return audit_->Append(rec);
  });
  Emit("accepted", id, v1::NATION_UNSPECIFIED, "stored by " + relay);
  PumpOutbox();
}

// ---------------------------------------------------------------- receiving

void NodeDaemon::OnDeliver(size_t index, const v1::DeliverEnvelope& deliver) {
  uint64_t delivery_id = deliver.delivery_id();
  auto opened = keys_->Open(AsBytes(deliver.envelope()));
  // A certificate serial we have not seen: the trust folder may have been
  // updated (a renewal) since we loaded it.
  if (!opened.ok() && opened.status().code() == StatusCode::kNotFound && ReloadTrust()) {
    opened = keys_->Open(AsBytes(deliver.envelope()));
  }
  if (opened.ok()) {
    const auto& hh = opened->header;
    if (Status use = peers_.CheckUse(hh.sender(), hh.sender_cert_serial(), hh.created_at_ms(),
                                     config_.now_ms(), *trust_);
        !use.ok()) {
      opened = use;
    }
  }
  if (!opened.ok()) {
    auto routed = ParseEnvelopeForRouting(AsBytes(deliver.envelope()));
    Bytes id = routed.ok() ? ToBytes(routed->header.message_id()) : Bytes();
    RejectInput("envelope from relay " + relays_[index].subject + " rejected: " + opened.status().message(),
                id, routed.ok() ? routed->header.sender() : v1::NATION_UNSPECIFIED);
    SendTaken(index, delivery_id);  // it can never become valid; do not loop on it
    return;
  }
  const v1::EnvelopeHeader& h = opened->header;
  Bytes id = ToBytes(h.message_id());
  auto known = store_->InboxHas(id);
  if (inbox_in_progress_.count(id) || (known.ok() && *known)) {
    // A duplicate (another relay, or a redelivery): take it once our copy is
    // durable and send the receipt again, the same bytes as the first time.
    // It verified, so only the sender could have made it; a copy whose
    // signed content differs from the first is still evidence of misuse.
    if (auto first = store_->GetInbox(id); first.ok() && *first &&
        !ConstantTimeEqual((*first)->digest, opened->digest)) {
      RejectInput("duplicate of message " + ToHex(id) + " with different signed content from " +
                      NationCode(h.sender()) + "; answered with the first receipt",
                  id, h.sender());
    }
    committer_->Submit([]() { return Status::Ok(); },
                       [this, index, delivery_id, id, h](const Status& st) {
                         if (!st.ok()) return;
                         SendTaken(index, delivery_id);
                         auto receipt = store_->FindReceipt(id, v1::RECEIPT_KIND_DELIVERED);
                         if (receipt.ok() && *receipt) {
                           auto parsed = ParseReceipt(**receipt);
                           if (parsed.ok()) {
                             TransmitReceipt({ReceiptId(parsed->signed_receipt),
                                              parsed->details.sender(), **receipt, h.precedence()});
                           }
                         }
                       });
    return;
  }
  inbox_in_progress_.insert(id);
  int64_t now = config_.now_ms();
  // A sender's creation time may be hours old (store and forward) but never
  // in our future.
  ObserveClock(NationCode(h.sender()), h.created_at_ms(), ClockWatch::kUnbounded, now);
  v1::ReceiptDetails details;
  details.set_version(1);
  details.set_kind(v1::RECEIPT_KIND_DELIVERED);
  details.set_message_id(h.message_id());
  details.set_envelope_digest(ToString(opened->digest));
  details.set_recipient(config_.nation);
  details.set_sender(h.sender());
  details.set_at_ms(now);
  details.set_recipient_cert_serial(identity_->details.serial());
  v1::SignedReceipt signed_receipt = SignReceipt(details, identity_->keys.signing.secret);
  std::string receipt_bytes = signed_receipt.SerializeAsString();
  PendingReceipt pending{ReceiptId(signed_receipt), h.sender(), ToBytes(receipt_bytes), h.precedence()};
  auto opened_ptr = std::make_shared<OpenedEnvelope>(std::move(opened).value());
  auto shown = std::make_shared<std::vector<Shown>>();
  auto gaps = std::make_shared<std::vector<GapEvent>>();
  committer_->Submit(
      [this, opened_ptr, pending, now, shown, gaps]() -> Status {
        shown->clear();  // re-runnable after a rollback
        gaps->clear();
        const auto& hh = opened_ptr->header;
        HOTLINE_RETURN_IF_ERROR(store_->InsertInbox(hh, opened_ptr->body, opened_ptr->digest, now));
        HOTLINE_RETURN_IF_ERROR(store_->InsertReceipt(pending, AsBytes(hh.message_id()),
                                                      v1::RECEIPT_KIND_DELIVERED));
        Bytes message_id = ToBytes(hh.message_id());
        held_[message_id] = Held{hh, opened_ptr->body,
                                 Bytes(opened_ptr->digest.begin(), opened_ptr->digest.end()), now};
        auto out = sequencer_.Arrive({hh.sender(), hh.channel()}, SequenceFor(hh, config_.nation),
                                     hh.precedence(), message_id, now);
        return ApplyRelease(out, *shown, *gaps);
      },
      [this, index, delivery_id, id, pending, shown, gaps](const Status& st) {
        inbox_in_progress_.erase(id);
        if (!st.ok()) {
          // Not stored: do not take it; the relay keeps it and redelivers.
          spdlog::error("cannot store incoming message {}: {}", ToHex(id), st.ToString());
          return;
        }
        SendTaken(index, delivery_id);
        pending_receipts_[pending.receipt_id] = pending;
        TransmitReceipt(pending);
        OnReleased(*shown, *gaps);
      },
      h.precedence());
}

namespace {

std::string StreamName(StreamKey key) {
  return NationCode(key.sender) + " on " + v1::Channel_Name(key.channel).substr(8);
}

std::string Range(uint64_t from, uint64_t to) {
  return from == to ? "#" + std::to_string(from) : "#" + std::to_string(from) + "..#" + std::to_string(to);
}

v1::ReleaseOrder ReleaseOrderOf(ReleaseKind kind) {
  switch (kind) {
    case ReleaseKind::kAheadOfGap: return v1::RELEASE_ORDER_AHEAD_OF_GAP;
    case ReleaseKind::kLate: return v1::RELEASE_ORDER_LATE;
    default: return v1::RELEASE_ORDER_IN_SEQUENCE;
  }
}

}  // namespace

Status NodeDaemon::ApplyRelease(const SequencerOutput& out, std::vector<Shown>& shown,
                                std::vector<GapEvent>& gaps) {
  for (const Release& r : out.released) {
    auto it = held_.find(r.message_id);
    bool ahead = r.kind == ReleaseKind::kAheadOfGap;
    HOTLINE_RETURN_IF_ERROR(store_->SetInboxRelease(r.message_id, ahead ? InboxRelease::kShownEarly
                                                                      : InboxRelease::kReleased));
    if (it == held_.end()) continue;
    if (r.kind != ReleaseKind::kCaughtUp) {  // a caught-up message was audited when shown
      const auto& h = it->second.header;
      v1::AuditRecord rec;
      rec.set_event(v1::AUDIT_EVENT_DELIVERED);
      rec.set_message_id(h.message_id());
      rec.set_envelope_digest(ToString(it->second.digest));
      rec.set_peer(h.sender());
      rec.set_precedence(h.precedence());
      rec.set_channel(h.channel());
      rec.set_sequence(r.sequence);
      rec.set_release(ReleaseOrderOf(r.kind));
      if (ahead) rec.set_detail("shown before missing " + Range(r.missing_from, r.missing_to));
      HOTLINE_RETURN_IF_ERROR(audit_->Append(rec));
      shown.push_back({it->second, r});
    }
    held_.erase(it);
  }
  for (const auto& [key, next] : out.next_changed) {
    HOTLINE_RETURN_IF_ERROR(store_->SetStreamNext(key.sender, key.channel, next));
  }
  gaps.insert(gaps.end(), out.gaps.begin(), out.gaps.end());
  return Status::Ok();
}

void NodeDaemon::OnReleased(const std::vector<Shown>& shown, const std::vector<GapEvent>& gaps) {
  for (const GapEvent& g : gaps) {
    std::string what = Range(g.from, g.to) + " from " + StreamName(g.key);
    switch (g.kind) {
      case GapEvent::kOpened:
        AlertAndAudit("STREAM GAP: " + what + " missing; later messages wait up to their hold time (" +
                          "FLASH is shown at once)",
                      {}, g.key.sender);
        break;
      case GapEvent::kClosed:
        Emit("gap-closed", {}, g.key.sender, what + " arrived");
        break;
      case GapEvent::kSkipped:
        AlertAndAudit("STREAM GAP: " + what + " never arrived; releasing the later ones", {},
                      g.key.sender);
        break;
    }
  }
  for (const auto& [held, release] : shown) {
    const auto& hh = held.header;
    Bytes id = ToBytes(hh.message_id());
    if (hh.ack_deadline_ms() > 0) {
      inbox_deadlines_.Track({id, hh.sender(), DeadlineTier::kAcknowledged},
                             LocalAckDue(hh, held.since_ms));
    }
    if (held.body.has_checkpoint_note()) {
      OnCheckpointNote(hh.sender(), held.body.checkpoint_note());
      continue;  // a system message: not for the operator
    }
    traffic_since_share_ = true;
    ObserveConsultation(hh, held.body, /*sent=*/false);
    std::string mark;
    if (release.kind == ReleaseKind::kAheadOfGap) {
      mark = " [AHEAD OF GAP: " + Range(release.missing_from, release.missing_to) + " of this stream missing]";
    } else if (release.kind == ReleaseKind::kLate) {
      mark = " [LATE: later messages of this stream were shown first]";
    }
    Emit("arrived", id, hh.sender(),
         v1::Precedence_Name(hh.precedence()).substr(11) + " " + SummarizeBody(held.body) + mark);
  }
}

Status NodeDaemon::ReloadStreams() {
  HOTLINE_ASSIGN_OR_RETURN(auto streams, store_->LoadStreams());
  sequencer_.Clear();
  held_.clear();
  for (const auto& [key, next] : streams) {
    sequencer_.RestoreNext({static_cast<v1::Nation>(key.first), static_cast<v1::Channel>(key.second)}, next);
  }
  int64_t now = config_.now_ms();
  return store_->ForEachHeld([this, now](v1::EnvelopeHeader h, v1::Body b, Bytes digest, bool shown_early) {
    Bytes id = ToBytes(h.message_id());
    sequencer_.RestoreHeld({h.sender(), h.channel()}, SequenceFor(h, config_.nation), h.precedence(), id,
                           shown_early, now);
    held_[id] = Held{std::move(h), std::move(b), std::move(digest), now};
  });
}

void NodeDaemon::TickSequencer(int64_t now_ms) {
  if (sequencer_tick_pending_ || !sequencer_.Due(now_ms)) return;
  sequencer_tick_pending_ = true;
  auto shown = std::make_shared<std::vector<Shown>>();
  auto gaps = std::make_shared<std::vector<GapEvent>>();
  committer_->Submit(
      [this, now_ms, shown, gaps]() -> Status {
        shown->clear();
        gaps->clear();
        return ApplyRelease(sequencer_.Tick(now_ms), *shown, *gaps);
      },
      [this, shown, gaps](const Status& st) {
        sequencer_tick_pending_ = false;
        if (st.ok()) OnReleased(*shown, *gaps);
      });
}

void NodeDaemon::OnDeliverReceipt(size_t index, const v1::DeliverReceipt& deliver) {
  uint64_t delivery_id = deliver.delivery_id();
  auto parsed = ParseReceipt(AsBytes(deliver.receipt()));
  auto reject = [&](const std::string& why, ByteView id, v1::Nation peer) {
    RejectInput("receipt rejected: " + why, id, peer);
    SendTaken(index, delivery_id);
  };
  if (!parsed.ok()) return reject(parsed.status().message(), {}, v1::NATION_UNSPECIFIED);
  const auto& d = parsed->details;
  Bytes id = ToBytes(d.message_id());
  if (d.sender() != config_.nation) return reject("addressed to another nation", id, d.recipient());
  const PeerCertificate* signer = peers_.Find(d.recipient(), d.recipient_cert_serial());
  if (!signer && ReloadTrust()) signer = peers_.Find(d.recipient(), d.recipient_cert_serial());
  if (!signer) {
    return reject("signed under certificate serial " + std::to_string(d.recipient_cert_serial()) +
                      " of " + NationCode(d.recipient()) + ", which is not known here",
                  id, d.recipient());
  }
  if (!VerifyReceiptSignature(*parsed, signer->keys.signing_public_key)) {
    return reject("signature does not verify for " + NationCode(d.recipient()), id, d.recipient());
  }
  if (Status use = peers_.CheckUse(d.recipient(), d.recipient_cert_serial(), d.at_ms(), config_.now_ms(),
                                   *trust_);
      !use.ok()) {
    return reject(use.message(), id, d.recipient());
  }
  auto row = store_->FindOutbox(id);
  if (!row.ok()) {  // our store failed: keep the receipt (not taken); the relay offers it again
    spdlog::error("cannot look up {} for a receipt: {}", ToHex(id), row.status().ToString());
    return;
  }
  if (!*row) return reject("unknown message id " + ToHex(id), id, d.recipient());
  const OutboxRow& sent = **row;
  bool is_recipient = false;
  for (int r : sent.header.recipients()) is_recipient |= r == d.recipient();
  if (!is_recipient) return reject(NationCode(d.recipient()) + " was not a recipient", id, d.recipient());
  if (!ConstantTimeEqual(AsBytes(d.envelope_digest()), sent.digest)) {
    return reject("envelope digest differs from what was sent", id, d.recipient());
  }
  bool delivered = d.kind() == v1::RECEIPT_KIND_DELIVERED;
  Bytes receipt = ToBytes(deliver.receipt());
  Bytes reply = ToBytes(d.reply_message_id());
  v1::Nation from = d.recipient();
  // Recorded on our clock (when we verified it), so that every duration
  // shown is measured on one clock; the signer's own time stays in the
  // stored receipt and tells us about its clock.
  int64_t at = config_.now_ms();
  ObserveClock(NationCode(from), d.at_ms(), sent.header.created_at_ms(), at);
  bool done = false;
  outbox_deadlines_.Satisfy({id, from, DeadlineTier::kDelivered});
  if (!delivered) outbox_deadlines_.Satisfy({id, from, DeadlineTier::kAcknowledged});
  if (delivered) {
    auto it = outstanding_.find(id);
    if (it != outstanding_.end()) {
      it->second.awaiting_delivery.erase(from);
      if (it->second.awaiting_delivery.empty()) {
        outstanding_.erase(it);
        done = true;
      }
    }
  }
  v1::AuditRecord rec;
  rec.set_event(delivered ? v1::AUDIT_EVENT_RECEIPT_RECEIVED : v1::AUDIT_EVENT_ACKNOWLEDGED);
  rec.set_message_id(d.message_id());
  rec.set_envelope_digest(d.envelope_digest());
  rec.set_peer(from);
  rec.set_detail(delivered ? "delivery receipt" : "operator acknowledgment receipt");
  // A receipt is recorded, audited and shown once: a replayed or re-sent
  // copy (a duplicate delivery makes the recipient send it again) is taken
  // and otherwise ignored.
  auto fresh = std::make_shared<bool>(false);
  committer_->Submit(
      [this, id, from, at, receipt, reply, delivered, done, rec, fresh]() -> Status {
        if (delivered) {
          HOTLINE_ASSIGN_OR_RETURN(*fresh, store_->MarkDelivered(id, from, at, receipt));
        } else {
          HOTLINE_ASSIGN_OR_RETURN(*fresh, store_->MarkAcknowledged(id, from, at, receipt, reply));
        }
        if (done) HOTLINE_RETURN_IF_ERROR(store_->MarkDone(id));
        return *fresh ? audit_->Append(rec) : Status::Ok();
      },
      [this, index, delivery_id, id, from, delivered, done, fresh](const Status& st) {
        if (!st.ok()) {
          spdlog::error("cannot record receipt for {}: {}", ToHex(id), st.ToString());
          return;
        }
        SendTaken(index, delivery_id);
        if (!*fresh) return;
        if (done) WithdrawCopies(id);
        Emit(delivered ? "delivered" : "acknowledged", id, from,
             delivered ? "signed delivery receipt verified" : "operator acknowledged (signed)");
      },
      sent.header.precedence());
}

// ---------------------------------------------------------------- control API

void NodeDaemon::SealAndStore(v1::EnvelopeHeader header, v1::Body body,
                              std::function<void(const Status&, const Bytes&)> done) {
  auto row = std::make_shared<OutboxRow>();
  auto body_copy = std::make_shared<v1::Body>(body);
  int channel = header.channel();
  committer_->Submit(
      [this, row, header, body, channel]() mutable -> Status {
        // Counters: per channel (for display) and per (channel, recipient)
        // under key channel * 8 + recipient (for in-order release).
        auto next_of = [this](int key) { return next_sequence_.count(key) ? next_sequence_[key] : 1; };
        uint64_t seq = next_of(channel);
        header.set_sequence(seq);
        header.clear_recipient_sequences();
        for (int r : header.recipients()) header.add_recipient_sequences(next_of(channel * 8 + r));
        Sha256Digest digest{};
        HOTLINE_ASSIGN_OR_RETURN(Bytes sealed, keys_->Seal(header, body, &digest));
        row->message_id = ToBytes(header.message_id());
        row->header = header;
        row->envelope = std::move(sealed);
        row->digest.assign(digest.begin(), digest.end());
        row->summary = SummarizeBody(body);
        HOTLINE_RETURN_IF_ERROR(store_->InsertOutbox(*row, config_.now_ms()));
        HOTLINE_RETURN_IF_ERROR(store_->SetNextSequence(channel, seq + 1));
        for (int i = 0; i < header.recipients_size(); ++i) {
          HOTLINE_RETURN_IF_ERROR(store_->SetNextSequence(channel * 8 + header.recipients(i),
                                                          header.recipient_sequences(i) + 1));
        }
        v1::AuditRecord rec;
        rec.set_event(v1::AUDIT_EVENT_SENT);
        rec.set_message_id(header.message_id());
        rec.set_envelope_digest(ToString(row->digest));
        rec.set_precedence(header.precedence());
        rec.set_channel(header.channel());
        std::string to;
        for (int r : header.recipients()) to += (to.empty() ? "" : ",") + NationCode(static_cast<v1::Nation>(r));
        rec.set_detail("to " + to);
        rec.set_sequence(seq);
        for (int r : header.recipients()) rec.add_recipients(static_cast<v1::Nation>(r));
        HOTLINE_RETURN_IF_ERROR(audit_->Append(rec));
        next_sequence_[channel] = seq + 1;
        for (int i = 0; i < header.recipients_size(); ++i) {
          next_sequence_[channel * 8 + header.recipients(i)] = header.recipient_sequences(i) + 1;
        }
        return Status::Ok();
      },
      [this, row, body_copy, done](const Status& st) {
        if (!st.ok()) return done(st, {});
        Outstanding entry;
        entry.row = *row;
        for (int r : row->header.recipients()) entry.awaiting_delivery.insert(static_cast<v1::Nation>(r));
        entry.order = next_order_++;
        auto& placed = outstanding_[row->message_id] = std::move(entry);
        Enqueue(placed);
        PumpOutbox();
        for (int r : row->header.recipients()) TrackSent(row->header, static_cast<v1::Nation>(r), false);
        ObserveConsultation(row->header, *body_copy, /*sent=*/true);
        done(Status::Ok(), row->message_id);
      },
      header.precedence());
}

void NodeDaemon::Send(const v1::SendRequest& request, Reply reply) {
  if (request.body().has_checkpoint_note()) {
    return reply(Error(InvalidArgumentError("checkpoint notes are sent by the node itself")));
  }
  traffic_since_share_ = true;
  SendInternal(request, /*system=*/false, std::move(reply));
}

void NodeDaemon::SendInternal(const v1::SendRequest& request, bool system, Reply reply) {
  v1::EnvelopeHeader h;
  h.set_version(kEnvelopeVersion);
  h.set_message_id(ToString(RandomBytes(kMessageIdLen)));
  h.set_sender(config_.nation);
  std::set<int> to(request.to().begin(), request.to().end());
  if (to.empty()) {
    for (v1::Nation n : {v1::NATION_US, v1::NATION_JP, v1::NATION_KR})
      if (n != config_.nation) to.insert(n);
  }
  for (int n : to) {
    if (n == config_.nation) return reply(Error(InvalidArgumentError("cannot send to your own nation")));
    auto nation = static_cast<v1::Nation>(n);
    if (v1::Nation_IsValid(n) && nation != v1::NATION_UNSPECIFIED && !peers_.Current(nation)) {
      return reply(Error(FailedPreconditionError("cannot send to " + NationCode(nation) + ": " +
                                                 peers_.ProblemFor(nation))));
    }
    h.add_recipients(nation);
  }
  v1::Channel channel = request.channel() == v1::CHANNEL_UNSPECIFIED ? v1::CHANNEL_GENERAL : request.channel();
  h.set_channel(channel);
  h.set_precedence(request.precedence() == v1::PRECEDENCE_UNSPECIFIED ? DefaultPrecedence(channel)
                                                                       : request.precedence());
  h.set_created_at_ms(config_.now_ms());
  h.set_sender_cert_serial(identity_->details.serial());
  auto deliver = config_.deadlines.deliver.find(h.precedence());
  auto acknowledge = config_.deadlines.acknowledge.find(h.precedence());
  if (deliver != config_.deadlines.deliver.end()) {
    h.set_deliver_deadline_ms(h.created_at_ms() + deliver->second.count());
  }
  if (acknowledge != config_.deadlines.acknowledge.end() && !system) {
    h.set_ack_deadline_ms(h.created_at_ms() + acknowledge->second.count());
  }
  if (auto st = ValidateHeader(h); !st.ok()) return reply(Error(st));
  if (request.body().payload_case() == v1::Body::PAYLOAD_NOT_SET) {
    return reply(Error(InvalidArgumentError("message has no content")));
  }
  v1::Body body = request.body();
  body.set_version(1);
  SealAndStore(h, body, [reply](const Status& st, const Bytes& id) {
    if (!st.ok()) return reply(Error(st));
    v1::ControlResponse r = Ok();
    r.mutable_send()->set_message_id(ToString(id));
    reply(r);
  });
}

v1::ControlResponse NodeDaemon::Inbox(const v1::InboxRequest& request) {
  auto rows = store_->ListInbox(request.limit(), request.unacknowledged_only());
  if (!rows.ok()) return Error(rows.status());
  v1::ControlResponse r = Ok();
  for (auto& row : *rows) {
    if (row.entry.body().has_checkpoint_note()) continue;  // system messages
    *r.mutable_inbox()->add_entries() = std::move(row.entry);
  }
  return r;
}

v1::ControlResponse NodeDaemon::Show(const v1::ShowRequest& request) {
  auto id = store_->ResolveId(request.id_prefix(), /*inbox=*/true);
  if (!id.ok()) return Error(id.status());
  auto row = store_->GetInbox(*id);
  if (!row.ok()) return Error(row.status());
  v1::ControlResponse r = Ok();
  *r.mutable_show() = (*row)->entry;
  return r;
}

void NodeDaemon::Ack(const v1::AckRequest& request, Reply reply) {
  auto id = store_->ResolveId(request.id_prefix(), /*inbox=*/true);
  if (!id.ok()) return reply(Error(id.status()));
  auto row = store_->GetInbox(*id);
  if (!row.ok() || !*row) return reply(Error(row.ok() ? NotFoundError("message vanished") : row.status()));
  InboxRow entry = std::move(**row);
  if (entry.acknowledged) {
    return reply(Error(FailedPreconditionError("message " + ToHex(*id) + " was already acknowledged")));
  }
  Bytes message_id = *id;
  auto finish = [this, entry, message_id, reply](const Bytes& reply_id) {
    int64_t now = config_.now_ms();
    v1::ReceiptDetails d;
    d.set_version(1);
    d.set_kind(v1::RECEIPT_KIND_ACKNOWLEDGED);
    d.set_message_id(ToString(message_id));
    d.set_envelope_digest(ToString(entry.digest));
    d.set_recipient(config_.nation);
    d.set_sender(entry.entry.sender());
    d.set_at_ms(now);
    d.set_reply_message_id(ToString(reply_id));
    d.set_recipient_cert_serial(identity_->details.serial());
    v1::SignedReceipt sr = SignReceipt(d, identity_->keys.signing.secret);
    PendingReceipt pending{ReceiptId(sr), entry.entry.sender(), ToBytes(sr.SerializeAsString()),
                           entry.entry.precedence()};
    v1::AuditRecord rec;
    rec.set_event(v1::AUDIT_EVENT_ACKNOWLEDGED);
    rec.set_message_id(ToString(message_id));
    rec.set_envelope_digest(ToString(entry.digest));
    rec.set_peer(entry.entry.sender());
    rec.set_detail("operator acknowledged" + std::string(reply_id.empty() ? "" : " with a reply"));
    committer_->Submit(
        [this, message_id, now, pending, rec]() -> Status {
          HOTLINE_RETURN_IF_ERROR(store_->MarkInboxAcknowledged(message_id, now));
          HOTLINE_RETURN_IF_ERROR(store_->InsertReceipt(pending, message_id, v1::RECEIPT_KIND_ACKNOWLEDGED));
          return audit_->Append(rec);
        },
        [this, pending, message_id, reply_id, reply, sender = entry.entry.sender()](const Status& st) {
          if (!st.ok()) return reply(Error(st));
          pending_receipts_[pending.receipt_id] = pending;
          TransmitReceipt(pending);
          inbox_deadlines_.Satisfy({message_id, sender, DeadlineTier::kAcknowledged});
          v1::ControlResponse r = Ok();
          r.mutable_ack()->set_message_id(ToString(message_id));
          r.mutable_ack()->set_reply_message_id(ToString(reply_id));
          reply(r);
        });
  };
  if (request.reply_text().empty()) return finish({});
  v1::SendRequest answer;
  answer.add_to(entry.entry.sender());
  answer.set_channel(entry.entry.channel());
  answer.set_precedence(entry.entry.precedence());
  answer.mutable_body()->set_in_reply_to(ToString(message_id));
  answer.mutable_body()->mutable_text()->set_text(request.reply_text());
  Send(answer, [finish, reply](v1::ControlResponse r) {
    if (!r.ok()) return reply(r);
    finish(ToBytes(r.send().message_id()));
  });
}

v1::ControlResponse NodeDaemon::GetStatus(const v1::StatusRequest& request) {
  v1::ControlResponse r = Ok();
  auto* out = r.mutable_status();
  out->set_nation(config_.nation);
  std::vector<Bytes> ids;
  if (!request.id_prefix().empty()) {
    auto id = store_->ResolveId(request.id_prefix(), /*inbox=*/false);
    if (!id.ok()) return Error(id.status());
    ids.push_back(*id);
  } else {
    auto recent = store_->RecentOutbox(request.limit());
    if (!recent.ok()) return Error(recent.status());
    ids = *recent;
  }
  for (const auto& id : ids) {
    auto st = store_->GetStatus(id);
    if (!st.ok()) return Error(st.status());
    *out->add_messages() = *st;
  }
  for (const auto& a : alerts_) out->add_alerts(a);
  for (const auto& [peer, offset] : clocks_.offsets()) {
    auto* c = out->add_clocks();
    c->set_peer(peer);
    c->set_offset_ms(offset);
    c->set_out_of_step(clocks_.OutOfStep(peer));
  }
  for (const auto& relay : relays_) {
    auto* rs = out->add_relays();
    rs->set_address(relay.address);
    rs->set_subject(relay.subject);
    rs->set_connected(relay.link && relay.ready);
    rs->set_since_ms(relay.since_ms);
    rs->set_last_error(relay.last_error);
  }
  return r;
}

// ---------------------------------------------------------------- deadlines

void NodeDaemon::TrackSent(const v1::EnvelopeHeader& h, v1::Nation recipient, bool delivered) {
  Bytes id = ToBytes(h.message_id());
  if (!delivered && h.deliver_deadline_ms() > 0) {
    outbox_deadlines_.Track({id, recipient, DeadlineTier::kDelivered}, h.deliver_deadline_ms());
  }
  if (h.ack_deadline_ms() > 0) {
    outbox_deadlines_.Track({id, recipient, DeadlineTier::kAcknowledged}, h.ack_deadline_ms());
  }
}

void NodeDaemon::Alert(const std::string& text, ByteView message_id, v1::Nation peer) {
  spdlog::warn("ALERT {}", text);
  alerts_.push_back(text);
  while (alerts_.size() > 100) alerts_.pop_front();
  Emit("alert", message_id, peer, text);
}

void NodeDaemon::AlertAndAudit(const std::string& text, ByteView message_id, v1::Nation peer) {
  Alert(text, message_id, peer);
  v1::AuditRecord rec;
  rec.set_event(v1::AUDIT_EVENT_ALERT);
  rec.set_message_id(ToString(message_id));
  rec.set_peer(peer);
  rec.set_reason(text);
  AuditAsync(rec);
}

void NodeDaemon::ObserveClock(const std::string& peer, int64_t peer_ms, int64_t earliest_ms,
                              int64_t latest_ms) {
  if (auto alert = clocks_.Observe(peer, peer_ms, earliest_ms, latest_ms)) {
    auto nation = ParseNation(peer);  // a relay's subject names no nation
    AlertAndAudit(*alert, {}, nation.ok() ? *nation : v1::NATION_UNSPECIFIED);
  }
}

void NodeDaemon::Tick() {
  if (stopping_) return;
  int64_t now = config_.now_ms();
  for (const auto& key : outbox_deadlines_.Expire(now)) OnOutboxDeadline(key);
  for (const auto& key : inbox_deadlines_.Expire(now)) OnInboxDeadline(key);
  for (const auto& o : consultations_.NewlyOverdue(now)) {
    Alert("CONSULT OVERDUE: " + NationCode(o.nation) + " has not answered consultation " +
              ToHex(o.id).substr(0, 8) + " (" + o.topic + ")",
          o.id, o.nation);
    v1::AuditRecord rec;
    rec.set_event(v1::AUDIT_EVENT_OVERDUE);
    rec.set_message_id(ToString(o.id));
    rec.set_peer(o.nation);
    rec.set_channel(v1::CHANNEL_CONSULT);
    rec.set_reason("consultation not answered by its deadline");
    AuditAsync(rec);
  }
  TickSequencer(now);
  if (now - last_expiry_check_ms_ >= 3600 * 1000) {
    last_expiry_check_ms_ = now;
    WarnOfExpiringCertificates();
  }
  if (now - last_checkpoint_ms_ >= config_.checkpoint_interval.count()) {
    last_checkpoint_ms_ = now;
    Checkpoint(/*share=*/traffic_since_share_);
    traffic_since_share_ = false;
  }
  PumpOutbox();
  tick_timer_->expires_after(config_.tick);
  tick_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (!ec) Tick();
  });
}

void NodeDaemon::OnOutboxDeadline(const DeadlineKey& key) {
  bool deliver_tier = key.tier == DeadlineTier::kDelivered;
  auto it = outstanding_.find(key.message_id);
  v1::Precedence precedence;
  if (deliver_tier) {
    if (it == outstanding_.end() || !it->second.awaiting_delivery.count(key.peer)) return;
    precedence = it->second.row.header.precedence();
  } else {
    auto row = store_->FindOutbox(key.message_id);
    if (!row.ok() || !*row) return;
    precedence = (*row)->header.precedence();
  }
  std::string what = deliver_tier ? "delivered" : "acknowledged";
  Alert("OVERDUE: " + v1::Precedence_Name(precedence).substr(11) + " message " +
            ToHex(key.message_id).substr(0, 8) + " to " + NationCode(key.peer) + " not " + what +
            " by its deadline",
        key.message_id, key.peer);
  v1::AuditRecord overdue;
  overdue.set_event(v1::AUDIT_EVENT_OVERDUE);
  overdue.set_message_id(ToString(key.message_id));
  overdue.set_peer(key.peer);
  overdue.set_precedence(precedence);
  overdue.set_reason("not " + what + " by its deadline");
  Bytes id = key.message_id;
  v1::Nation peer = key.peer;
  committer_->Submit([this, id, peer, overdue]() -> Status {
    HOTLINE_RETURN_IF_ERROR(store_->MarkOverdue(id, peer));
    return audit_->Append(overdue);
  });
  if (!deliver_tier) return;
  // Escalate: re-send through another live relay than the one used, if any.
  Outstanding& entry = it->second;
  // Prefer another relay; with none, the same one again (a duplicate makes
  // the recipient send its receipt again).
  int other = -1;
  for (size_t i = 0; i < relays_.size(); ++i) {
    if (RelayUp(i) && (other < 0 || static_cast<int>(i) != entry.via)) {
      other = static_cast<int>(i);
      if (other != entry.via) break;
    }
  }
  v1::AuditRecord escalated;
  escalated.set_event(v1::AUDIT_EVENT_ESCALATED);
  escalated.set_message_id(ToString(id));
  escalated.set_peer(peer);
  escalated.set_precedence(precedence);
  if (other >= 0) {
    v1::LinkFrame f;
    f.mutable_submit()->set_envelope(ToString(entry.row.envelope));
    (void)relays_[static_cast<size_t>(other)].link->Send(f, precedence);
    entry.via = other;
    submitted_via_[id].insert(static_cast<size_t>(other));
    escalated.set_reason("re-sent through " + relays_[static_cast<size_t>(other)].subject);
  } else {
    escalated.set_reason("no other relay available; operator alerted");
  }
  AuditAsync(escalated);
  auto period = config_.deadlines.deliver.find(precedence);
  if (period != config_.deadlines.deliver.end()) {
    outbox_deadlines_.Track(key, config_.now_ms() + period->second.count());
  }
}

void NodeDaemon::OnInboxDeadline(const DeadlineKey& key) {
  auto row = store_->GetInbox(key.message_id);
  if (!row.ok() || !*row || (*row)->acknowledged) return;
  const auto& e = (*row)->entry;
  Alert("ACK OVERDUE: " + v1::Precedence_Name(e.precedence()).substr(11) + " message " +
            ToHex(key.message_id).substr(0, 8) + " from " + NationCode(e.sender()) +
            " not acknowledged by this operator by its deadline",
        key.message_id, e.sender());
  v1::AuditRecord rec;
  rec.set_event(v1::AUDIT_EVENT_OVERDUE);
  rec.set_message_id(ToString(key.message_id));
  rec.set_peer(e.sender());
  rec.set_precedence(e.precedence());
  rec.set_reason("operator acknowledgment overdue here");
  AuditAsync(rec);
}

void NodeDaemon::Checkpoint(bool share) {
  auto signed_cp = std::make_shared<std::optional<v1::SignedCheckpoint>>();
  auto leaves = std::make_shared<std::vector<merkle::Hash>>();
  committer_->Submit(
      [this, share, signed_cp, leaves]() -> Status {
        HOTLINE_ASSIGN_OR_RETURN(*signed_cp, audit_->CheckpointIfGrown(identity_->keys.signing.secret,
                                                                       identity_->keys.signing.public_key,
                                                                       last_checkpoint_size_));
        if (share && signed_cp->has_value()) {
          HOTLINE_ASSIGN_OR_RETURN(*leaves, audit_->LeafHashes());
        }
        return Status::Ok();
      },
      [this, share, signed_cp, leaves](const Status& st) {
        if (st.ok() && share && signed_cp->has_value()) ShareCheckpoint(**signed_cp, *leaves);
      });
}

void NodeDaemon::ShareCheckpoint(const v1::SignedCheckpoint& checkpoint,
                                 const std::vector<merkle::Hash>& leaves) {
  v1::Checkpoint cp;
  cp.ParseFromString(checkpoint.checkpoint());
  for (v1::Nation n : {v1::NATION_US, v1::NATION_JP, v1::NATION_KR}) {
    if (n == config_.nation) continue;
    uint64_t from = witness_sent_.count(n) ? witness_sent_[n] : 0;
    if (from >= cp.size()) continue;
    v1::SendRequest request;
    request.add_to(n);
    request.set_channel(v1::CHANNEL_GENERAL);
    request.set_precedence(v1::PRECEDENCE_ROUTINE);
    auto* note = request.mutable_body()->mutable_checkpoint_note();
    note->set_signed_checkpoint(checkpoint.SerializeAsString());
    note->set_from_size(from);
    if (from > 0) {
      for (const auto& h : merkle::ConsistencyProof(std::span<const merkle::Hash>(leaves).first(cp.size()), from)) {
        note->add_consistency_proof(ToString(h));
      }
    }
    uint64_t size = cp.size();
    SendInternal(request, /*system=*/true, [this, n, size](v1::ControlResponse r) {
      if (!r.ok()) return;  // the next checkpoint carries a proof from the old size
      witness_sent_[n] = size;
      committer_->SubmitLazy([this, n, size]() -> Status {
        HOTLINE_ASSIGN_OR_RETURN(Statement s, store_->db().Prepare(
            "INSERT INTO witness_sent(witness, size) VALUES(?,?)"
            " ON CONFLICT(witness) DO UPDATE SET size=excluded.size"));
        s.Bind(1, n).Bind(2, static_cast<int64_t>(size));
        return s.Run();
      });
    });
  }
}

void NodeDaemon::OnCheckpointNote(v1::Nation from, const v1::CheckpointNote& note) {
  v1::SignedCheckpoint signed_cp;
  std::vector<Bytes> proof;
  for (const auto& p : note.consistency_proof()) proof.push_back(ToBytes(p));
  WitnessResult result;
  if (!signed_cp.ParseFromString(note.signed_checkpoint())) {
    result.verdict = WitnessVerdict::kMalformed;
    result.detail = "checkpoint note does not parse";
  } else {
    result = witness_->Observe(signed_cp, note.from_size(), proof);
  }
  v1::Checkpoint cp;
  cp.ParseFromString(signed_cp.checkpoint());
  if (result.verdict == WitnessVerdict::kAlreadySeen) return;
  v1::AuditRecord rec;
  rec.set_peer(from);
  if (result.verdict == WitnessVerdict::kAccepted) {
    rec.set_event(v1::AUDIT_EVENT_CHECKPOINT_WITNESSED);
    rec.set_detail(cp.origin() + " at size " + std::to_string(cp.size()));
    std::string evidence = result.countersigned.SerializeAsString();
    std::string origin = cp.origin();
    uint64_t size = cp.size();
    committer_->Submit([this, origin, size, evidence, rec]() -> Status {
      HOTLINE_ASSIGN_OR_RETURN(Statement s, store_->db().Prepare(
          "INSERT OR REPLACE INTO witnessed(origin, size, signed) VALUES(?,?,?)"));
      s.BindText(1, origin).Bind(2, static_cast<int64_t>(size)).Bind(3, AsBytes(evidence));
      HOTLINE_RETURN_IF_ERROR(s.Run());
      return audit_->Append(rec);
    });
    return;
  }
  std::string what = std::string(WitnessVerdictName(result.verdict)) + ": " + result.detail;
  Alert("AUDIT LOG CONFLICT from " + NationCode(from) + " — " + what, {}, from);
  rec.set_event(v1::AUDIT_EVENT_CHECKPOINT_CONFLICT);
  rec.set_reason(what);
  rec.set_detail(signed_cp.SerializeAsString().empty() ? "" : cp.origin() + " at size " + std::to_string(cp.size()));
  AuditAsync(rec);
}

// ---------------------------------------------------------------- consultations

void NodeDaemon::ObserveConsultation(const v1::EnvelopeHeader& h, const v1::Body& body, bool sent) {
  v1::AuditRecord rec;
  rec.set_event(v1::AUDIT_EVENT_CONSULT_CHANGED);
  rec.set_channel(h.channel());
  if (body.has_consult_request()) {
    std::vector<v1::Nation> participants;
    for (int r : h.recipients()) participants.push_back(static_cast<v1::Nation>(r));
    consultations_.Open(AsBytes(h.message_id()), h.sender(), body.consult_request(), participants,
                        h.created_at_ms());
    rec.set_message_id(h.message_id());
    rec.set_peer(sent ? v1::NATION_UNSPECIFIED : h.sender());
    rec.set_detail(sent ? "consultation requested" : "consultation request received");
  } else if (body.has_consult_response()) {
    const auto& r = body.consult_response();
    Status st = consultations_.Answer(AsBytes(r.consultation_id()), h.sender(), r, h.created_at_ms());
    if (!st.ok()) {
      spdlog::warn("consultation response ignored: {}", st.message());
      return;
    }
    rec.set_message_id(r.consultation_id());
    rec.set_peer(h.sender());
    rec.set_detail(NationCode(h.sender()) + " answered " +
                   v1::ConsultResponse::Position_Name(r.position()).substr(9));
  } else {
    return;
  }
  SaveConsultation(AsBytes(rec.message_id()));
  AuditAsync(rec);
}

void NodeDaemon::SaveConsultation(ByteView id) {
  const v1::ConsultationStatus* s = consultations_.Get(id);
  if (!s) return;
  v1::ConsultationStatus copy = *s;
  committer_->Submit([this, copy]() { return store_->SaveConsultation(copy); });
}

v1::ControlResponse NodeDaemon::ConsultStatus(const v1::ConsultStatusRequest& request) {
  Bytes id;
  if (!request.id_prefix().empty()) {
    auto resolved = store_->ResolveId(request.id_prefix(), /*inbox=*/false);
    if (!resolved.ok()) resolved = store_->ResolveId(request.id_prefix(), /*inbox=*/true);
    if (!resolved.ok()) return Error(resolved.status());
    id = *resolved;
  }
  v1::ControlResponse r = Ok();
  for (auto& s : consultations_.List(id, config_.now_ms())) {
    *r.mutable_consult_status()->add_consultations() = std::move(s);
  }
  return r;
}

}  // namespace hotline::node

