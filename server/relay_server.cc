#include "relay_server.h"

#include <spdlog/spdlog.h>

#include "hotline/envelope.h"
#include "hotline/file_util.h"
#include "hotline/net_util.h"
#include "hotline/receipt.h"

namespace hotline::relay {

using asio::ip::tcp;

RelayServer::RelayServer(asio::io_context& io, RelayConfig config)
    : io_(io),
      config_(std::move(config)),
      acceptor_(io),
      queues_({config_.delivery_window, config_.delivery_window_bytes, config_.fifo}),
      links_(config_.max_connections, config_.max_handshaking_per_address) {}

RelayServer::~RelayServer() = default;

Status RelayServer::Start() {
  started_at_ms_ = config_.now_ms();
  std::error_code ec;
  std::filesystem::create_directories(config_.data_dir, ec);
  if (ec)
    return UnavailableError("cannot create " + config_.data_dir.string() + ": " + ec.message());
  std::vector<TrustResult> from_folder;
  HOTLINE_ASSIGN_OR_RETURN(trust_keeper_,
                           TrustKeeper::Open(config_.certs_dir, config_.data_dir / "trust.db",
                                             config_.now_ms() / 1000, &from_folder));
  HOTLINE_ASSIGN_OR_RETURN(Identity id, LoadIdentity(config_.certs_dir, config_.subject));
  if (id.details.role() != v1::ROLE_RELAY) {
    return InvalidArgumentError(config_.subject + " is not a relay certificate");
  }
  CertExpectations self_check;
  self_check.now_unix = config_.now_ms() / 1000;
  self_check.allowed_skew_seconds = config_.allowed_skew_seconds;
  self_check.role = v1::ROLE_RELAY;
  CertCheck check = trust().Verify(id.certificate, self_check);
  if (!check.ok()) return FailedPreconditionError("own certificate: " + check.message);
  HOTLINE_RETURN_IF_ERROR(CheckResponderCertificateFits(id.certificate));
  identity_.emplace(std::move(id));

  HOTLINE_ASSIGN_OR_RETURN(store_, RelayStore::Open(config_.data_dir / "relay.db"));
  committer_ = std::make_unique<GroupCommitter>(io_.get_executor(), store_->db());
  audit_ = std::make_unique<AuditLog>(store_->db(), config_.subject, config_.now_ms);
  committer_->OnRollback([this] { audit_->InvalidateCache(); });
  size_t restored = 0;
  HOTLINE_RETURN_IF_ERROR(store_->ForEach([&](const QueuedItem& item) {
    queues_.Add(item);
    ++restored;
  }));
  HOTLINE_ASSIGN_OR_RETURN(int64_t highest_id, store_->HighestIdAssigned());
  queues_.NoteAssigned(highest_id);

  HOTLINE_ASSIGN_OR_RETURN(tcp::endpoint endpoint, ParseEndpoint(config_.listen));
  boost::system::error_code aec;
  acceptor_.open(endpoint.protocol(), aec);
  if (!aec) acceptor_.set_option(tcp::acceptor::reuse_address(true), aec);
  // Inherited by accepted sockets; must be set before listen() to size the window.
  if (!aec) acceptor_.set_option(asio::socket_base::receive_buffer_size(limits::kLinkReceiveBuffer), aec);
  if (!aec) acceptor_.bind(endpoint, aec);
  if (!aec) acceptor_.listen(asio::socket_base::max_listen_connections, aec);
  if (aec) return UnavailableError("cannot listen on " + config_.listen + ": " + aec.message());

  Audit({.event = v1::AUDIT_EVENT_START,
         .detail = "listening on " + FormatEndpoint(local_endpoint()) + ", " +
                   std::to_string(restored) + " queued items restored, retention " +
                   RetentionText(config_.retention)});
  for (const auto& r : from_folder) OnTrustResult(r, kFromFolder, nullptr);
  committer_->FlushNow();
  spdlog::info("{} listening on {} ({} queued items restored)", config_.subject,
               FormatEndpoint(local_endpoint()), restored);
  if (!config_.ready_file.empty()) {
    std::string text = FormatEndpoint(local_endpoint()) + "\n";
    HOTLINE_RETURN_IF_ERROR(WriteFileAtomic(config_.ready_file, AsBytes(text), 0644));
  }
  asio::co_spawn(io_, AcceptLoop(), LogExceptions{"relay accept loop"});
  asio::co_spawn(io_, CheckpointLoop(), LogExceptions{"relay checkpoints"});
  asio::co_spawn(io_, TrustFolderLoop(), LogExceptions{"relay trust folder"});
  asio::co_spawn(io_, ExpiryLoop(), LogExceptions{"relay expiry"});
  return Status::Ok();
}

void RelayServer::Stop(const std::string& why) {
  if (stopping_) return;
  stopping_ = true;
  boost::system::error_code ec;
  acceptor_.close(ec);
  for (const auto& link : links_.All()) link->Close("relay shutting down");
  if (committer_) {
    Audit({.event = v1::AUDIT_EVENT_STOP, .detail = why});
    Checkpoint();  // the final checkpoint covers the STOP record
    committer_->FlushNow();
  }
  spdlog::info("{} stopped: {}", config_.subject, why);
}

void RelayServer::Checkpoint() {
  committer_->Submit([this]() -> Status {
    return audit_
        ->CheckpointIfGrown(identity_->keys.signing.secret, identity_->keys.signing.public_key,
                            last_checkpoint_size_)
        .status();
  });
}

awaitable<void> RelayServer::CheckpointLoop() {
  asio::steady_timer timer(io_);
  while (!stopping_) {
    timer.expires_after(config_.checkpoint_interval);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
    if (stopping_) break;
    Checkpoint();
  }
}

void RelayServer::Audit(AuditEntry entry) {
  NoteRefusal(entry);
  committer_->Submit([this, entry = std::move(entry)]() { return audit_->Append(entry); },
                     [](const Status& st) {
                       if (!st.ok()) spdlog::error("audit append failed: {}", st.ToString());
                     });
}

awaitable<void> RelayServer::AcceptLoop() {
  while (!stopping_) {
    boost::system::error_code ec;
    tcp::socket socket = co_await acceptor_.async_accept(asio::redirect_error(use_awaitable, ec));
    if (ec) {
      if (stopping_ || ec == asio::error::operation_aborted) co_return;
      spdlog::warn("accept failed: {}", ec.message());
      continue;
    }
    OnConnection(std::move(socket));
  }
}

void RelayServer::OnConnection(tcp::socket socket) {
  boost::system::error_code ec;
  std::string address = socket.remote_endpoint(ec).address().to_string();
  std::string refusal = links_.Admit(address);
  if (!refusal.empty()) {
    spdlog::warn("refused connection from {}: {}", address, refusal);
    socket.close(ec);
    Audit({.event = v1::AUDIT_EVENT_INPUT_REJECTED, .reason = refusal});
    return;
  }
  SecureChannelConfig channel =
      ChannelConfigFor(*identity_, trust(), /*initiator=*/false, v1::ROLE_NODE);
  channel.allowed_skew_seconds = config_.allowed_skew_seconds;
  channel.now_unix = [this] { return config_.now_ms() / 1000; };
  channel.rekey_after_messages = config_.rekey_after_messages;
  LinkOptions options;
  options.fifo = config_.fifo;
  options.handshake_timeout = config_.handshake_timeout;
  LinkConnection::Callbacks callbacks;
  callbacks.established = [this, address](const LinkConnection::Ptr& link) {
    links_.HandshakeEnded(address);
    OnEstablished(link);
  };
  callbacks.frame = [this](const LinkConnection::Ptr& link, v1::LinkFrame& f) { OnFrame(link, f); };
  callbacks.closed = [this, address](const LinkConnection::Ptr& link, const std::string& reason,
                                     bool authenticated) {
    if (!authenticated) links_.HandshakeEnded(address);
    OnClosed(link, reason, authenticated);
  };
  auto link = LinkConnection::Create(std::move(socket), std::move(channel), std::move(callbacks), options);
  links_.Add(link);
  link->Start();
}

v1::Nation RelayServer::PeerNation(const LinkConnection::Ptr& link) const {
  return link->peer().nation();
}

void RelayServer::OnEstablished(const LinkConnection::Ptr& link) {
  v1::Nation nation = PeerNation(link);
  spdlog::info("node {} ({}) connected from {}", NationCode(nation), link->peer().subject(),
               link->remote_address());
  Audit({.event = v1::AUDIT_EVENT_HANDSHAKE_ACCEPTED,
         .peer = nation,
         .peer_subject = link->peer().subject(),
         .detail = link->remote_address()});
  // The node takes its link as up only on this greeting, which also shows
  // it our clock; a refused certificate gets CODE_CERTIFICATE_REFUSED instead.
  v1::LinkFrame hello;
  hello.mutable_hello()->set_version(1);
  hello.mutable_hello()->set_at_ms(config_.now_ms());
  (void)link->Send(hello, LinkConnection::kControlPrecedence, /*force=*/true);
  if (auto replaced = links_.Bind(nation, link))
    replaced->Close("replaced by a newer connection from the same node");
  linked_since_ms_[nation] = config_.now_ms();
  SendTrustInForce(link);
  queues_.ReturnInFlight(nation);
  Pump(nation);
  for (const auto& [key, envelope] : held_tracks_.Take(nation, config_.now_ms()))
    SendTrack(link, key, envelope);
}

void RelayServer::OnClosed(const LinkConnection::Ptr& link, const std::string& reason,
                           bool authenticated) {
  if (!authenticated) {
    links_.Remove(link, v1::NATION_UNSPECIFIED);
    spdlog::warn("handshake with {} failed: {}", link->remote_address(), reason);
    Audit({.event = v1::AUDIT_EVENT_HANDSHAKE_REJECTED,
           .reason = reason,
           .detail = link->remote_address()});
    return;
  }
  v1::Nation nation = PeerNation(link);
  spdlog::info("node {} disconnected: {}", NationCode(nation), reason);
  if (!stopping_) {  // the STOP record covers links closed by shutdown
    Audit({.event = link->peer_violation() ? v1::AUDIT_EVENT_INPUT_REJECTED
                                           : v1::AUDIT_EVENT_LINK_CLOSED,
           .peer = nation,
           .peer_subject = link->peer().subject(),
           .reason = reason,
           .detail = link->remote_address()});
  }
  if (links_.Remove(link, nation)) queues_.ReturnInFlight(nation);
}

void RelayServer::Reject(const LinkConnection::Ptr& link, v1::LinkError::Code code,
                         const std::string& why, const std::string& message_id) {
  spdlog::warn("rejected input from {} ({}): {}", link->peer().subject(), link->remote_address(), why);
  Audit({.event = v1::AUDIT_EVENT_INPUT_REJECTED,
         .message_id = message_id,
         .peer = PeerNation(link),
         .peer_subject = link->peer().subject(),
         .reason = why});
  v1::LinkFrame f;
  f.mutable_error()->set_code(code);
  f.mutable_error()->set_message(why);
  f.mutable_error()->set_message_id(message_id);
  (void)link->Send(f, LinkConnection::kControlPrecedence, /*force=*/true);
}

void RelayServer::OnFrame(const LinkConnection::Ptr& link, v1::LinkFrame& frame) {
  switch (frame.kind_case()) {
    case v1::LinkFrame::kHello:
      return;
    case v1::LinkFrame::kSubmit:
      return OnSubmit(link, frame.submit().envelope());
    case v1::LinkFrame::kSubmitReceipt:
      return OnSubmitReceipt(link, frame.submit_receipt());
    case v1::LinkFrame::kTaken:
      return OnTaken(link, frame.taken().delivery_id());
    case v1::LinkFrame::kWithdraw:
      return OnWithdraw(link, frame.withdraw().message_id());
    case v1::LinkFrame::kTrack:
      return OnTrack(link, frame.track().envelope());
    case v1::LinkFrame::kPathProbe:
      return OnPathProbe(link, *frame.mutable_path_probe());
    case v1::LinkFrame::kTrust:
      return OnTrustResult(trust_keeper_->Offer(frame.trust(), config_.now_ms() / 1000),
                           link->peer().subject(), link);
    default:
      Reject(link, v1::LinkError::CODE_MALFORMED,
             "unexpected link frame kind " + std::to_string(frame.kind_case()) + " from a node");
  }
}

bool RelayServer::SenderIsLink(const LinkConnection::Ptr& link, const v1::EnvelopeHeader& h,
                               const std::string& what) {
  if (h.sender() == PeerNation(link)) return true;
  Reject(link, v1::LinkError::CODE_FORBIDDEN,
         what + " claims sender " + NationCode(h.sender()) + " but the link is " +
             NationCode(PeerNation(link)),
         h.message_id());
  return false;
}

void RelayServer::OnSubmit(const LinkConnection::Ptr& link, const std::string& encoded) {
  auto routed = ParseEnvelopeForRouting(AsBytes(encoded));
  if (!routed.ok()) {
    return Reject(link, v1::LinkError::CODE_MALFORMED, "envelope rejected: " + routed.status().message());
  }
  const v1::EnvelopeHeader& h = routed->header;
  // The Noise handshake authenticated the peer's nation; a compare suffices
  // here, and recipients verify the signature (PERFORMANCE.md §1).
  if (!SenderIsLink(link, h, "envelope")) return;
  Sha256Digest digest = EnvelopeDigest(routed->envelope);
  auto items = std::make_shared<std::vector<QueuedItem>>();
  int64_t now = config_.now_ms();
  committer_->Submit(
      [this, h, items, encoded, digest, now]() -> Status {
        items->clear();  // re-runnable after a rollback
        for (int r : h.recipients()) {
          HOTLINE_ASSIGN_OR_RETURN(QueuedItem item,
                                   store_->Enqueue(static_cast<v1::Nation>(r), ItemKind::kEnvelope,
                                                   AsBytes(h.message_id()), h.sender(),
                                                   h.precedence(), AsBytes(encoded), now));
          items->push_back(std::move(item));
        }
        return audit_->Append({.event = v1::AUDIT_EVENT_ACCEPTED,
                               .message_id = h.message_id(),
                               .envelope_digest = ToString(digest),
                               .peer = h.sender(),
                               .precedence = h.precedence(),
                               .channel = h.channel()});
      },
      [this, link, h, items](const Status& st) {
        if (!st.ok()) {
          spdlog::error("cannot store envelope: {}", st.ToString());
          return Reject(link, v1::LinkError::CODE_STORAGE,
                        "relay could not store the envelope durably: " + st.message(), h.message_id());
        }
        v1::LinkFrame ack;
        ack.mutable_accepted()->set_message_id(h.message_id());
        ack.mutable_accepted()->set_at_ms(config_.now_ms());
        (void)link->Send(ack, LinkConnection::kControlPrecedence, /*force=*/true);
        for (const auto& item : *items) queues_.Add(item);
        for (const auto& item : *items) Pump(item.recipient);
      },
      h.precedence());
}

void RelayServer::OnSubmitReceipt(const LinkConnection::Ptr& link, const v1::SubmitReceipt& submit) {
  auto parsed = ParseReceipt(AsBytes(submit.receipt()));
  if (!parsed.ok()) {
    return Reject(link, v1::LinkError::CODE_MALFORMED, "receipt rejected: " + parsed.status().message());
  }
  const auto& d = parsed->details;
  if (d.recipient() != PeerNation(link) || d.sender() != submit.to()) {
    return Reject(link, v1::LinkError::CODE_FORBIDDEN,
                  "receipt signer or destination does not match the link", d.message_id());
  }
  Bytes receipt_id = ReceiptId(parsed->signed_receipt);
  // A receipt travels at the precedence of the message it answers.
  int precedence = v1::Precedence_IsValid(submit.precedence()) &&
                           submit.precedence() != v1::PRECEDENCE_UNSPECIFIED
                       ? submit.precedence()
                       : v1::PRECEDENCE_FLASH;
  auto item = std::make_shared<QueuedItem>();
  int64_t now = config_.now_ms();
  std::string data = submit.receipt();
  committer_->Submit(
      [this, d, receipt_id, item, data, now, precedence]() -> Status {
        HOTLINE_ASSIGN_OR_RETURN(*item, store_->Enqueue(d.sender(), ItemKind::kReceipt, receipt_id,
                                                        d.recipient(), precedence, AsBytes(data), now));
        return Status::Ok();
      },
      [this, link, item, receipt_id, d](const Status& st) {
        if (!st.ok()) {
          return Reject(link, v1::LinkError::CODE_STORAGE,
                        "relay could not store the receipt durably: " + st.message(), d.message_id());
        }
        v1::LinkFrame ack;
        ack.mutable_receipt_accepted()->set_receipt_id(ToString(receipt_id));
        (void)link->Send(ack, LinkConnection::kControlPrecedence, /*force=*/true);
        queues_.Add(*item);
        Pump(item->recipient);
      },
      precedence);
}

void RelayServer::OnTaken(const LinkConnection::Ptr& link, uint64_t delivery_id) {
  v1::Nation nation = PeerNation(link);
  auto taken = queues_.Take(nation, static_cast<int64_t>(delivery_id));
  using Kind = DeliveryQueues::Taken::Kind;
  if (taken.kind == Kind::kNeverQueued) {
    return Reject(link, v1::LinkError::CODE_MALFORMED,
                  "delivery id " + std::to_string(delivery_id) + " was never queued here");
  }
  if (taken.kind == Kind::kAlreadyGone) return;
  // Nobody waits on this: if it is lost in a crash the item is delivered
  // again and the node deduplicates.
  committer_->SubmitLazy([this, item = taken.item]() -> Status {
    HOTLINE_RETURN_IF_ERROR(store_->Remove(item.id));
    if (item.kind != ItemKind::kEnvelope) return Status::Ok();
    return audit_->Append({.event = v1::AUDIT_EVENT_FORWARDED,
                           .message_id = ToString(item.item_id),
                           .peer = item.recipient,
                           .precedence = static_cast<v1::Precedence>(item.precedence)});
  });
  Pump(nation);
}

void RelayServer::OnTrack(const LinkConnection::Ptr& link, const std::string& encoded) {
  auto routed = ParseEnvelopeForRouting(AsBytes(encoded));
  if (!routed.ok()) {
    return Reject(link, v1::LinkError::CODE_MALFORMED,
                  "track update rejected: " + routed.status().message());
  }
  const v1::EnvelopeHeader& h = routed->header;
  if (!SenderIsLink(link, h, "track update")) return;
  if (h.track().track_key().size() != limits::kTrackKeyBytes || h.track().update_seq() == 0) {
    return Reject(
        link, v1::LinkError::CODE_MALFORMED,
        "track update rejected: its header has no track key of 16 bytes and update_seq >= 1",
        h.message_id());
  }
  // One queued update per (sender, track) on each link: the newest.
  std::string key = NationCode(h.sender()) + ":" + h.track().track_key();
  for (int r : h.recipients()) {
    auto recipient = static_cast<v1::Nation>(r);
    LinkConnection::Ptr to = links_.Current(recipient);
    if (to && to->established()) {
      SendTrack(to, key, encoded);
    } else if (!held_tracks_.Hold(recipient, key, h.track().update_seq(), encoded,
                                  config_.now_ms())) {
      spdlog::debug("track update for {} not held (stale or {} tracks held)", NationCode(recipient),
                    held_tracks_.held(recipient));
    }
  }
}

void RelayServer::SendTrack(const LinkConnection::Ptr& to, const std::string& key,
                            const std::string& encoded) {
  v1::LinkFrame f;
  f.mutable_track()->set_envelope(encoded);
  // A full write queue drops it: the next update of the track follows soon.
  (void)to->SendLatest(f, key, v1::PRECEDENCE_IMMEDIATE);
}

void RelayServer::OnWithdraw(const LinkConnection::Ptr& link, const std::string& message_id) {
  // Only the sender's own copies; one on its way is left to its recipient's Taken.
  for (auto [recipient, id] : queues_.Withdrawable(PeerNation(link), message_id)) {
    Drop(recipient, id, "withdrawn by its sender: receipted through another relay");
  }
}

void RelayServer::Drop(v1::Nation recipient, int64_t id, const std::string& why) {
  auto item = queues_.Remove(recipient, id);
  if (!item) return;
  committer_->SubmitLazy([this, item = *item, why]() -> Status {
    HOTLINE_RETURN_IF_ERROR(store_->Remove(item.id));
    return audit_->Append({.event = v1::AUDIT_EVENT_DROPPED,
                           .message_id = ToString(item.item_id),
                           .peer = item.recipient,
                           .precedence = static_cast<v1::Precedence>(item.precedence),
                           .reason = why});
  });
}

// Items whose data could not be read go back to their queues after a delay
// (1 s, doubling to a minute while they fail) until they load or turn out
// to be gone.
void RelayServer::RetryUnreadable() {
  if (retry_timer_) return;
  retry_timer_ = std::make_unique<asio::steady_timer>(io_, retry_delay_);
  retry_delay_ = std::min(retry_delay_ * 2, std::chrono::seconds(60));
  retry_timer_->async_wait([this](const boost::system::error_code& ec) {
    retry_timer_.reset();
    if (ec || stopping_) return;
    for (v1::Nation nation : queues_.RetryUnreadable()) Pump(nation);
  });
}

void RelayServer::Pump(v1::Nation recipient) {
  LinkConnection::Ptr link = links_.Current(recipient);
  if (!link || !link->established()) return;
  while (const QueuedItem* next = queues_.Next(recipient)) {
    QueuedItem item = *next;
    auto data = store_->LoadData(item.id);
    if (!data.ok()) {
      spdlog::error("cannot load queued item {}: {}", item.id, data.status().ToString());
      if (data.status().code() == StatusCode::kNotFound) {
        Drop(recipient, item.id, "no longer in the store: " + data.status().message());
        continue;
      }
      // Still stored: audited once, and tried again until it loads; never forgotten.
      if (queues_.Unreadable(recipient, item.id)) {
        Audit({.event = v1::AUDIT_EVENT_ALERT,
               .message_id = ToString(item.item_id),
               .peer = recipient,
               .reason = "cannot read queued item " + std::to_string(item.id) + ": " +
                         data.status().message() + "; retrying"});
      }
      RetryUnreadable();
      continue;
    }
    retry_delay_ = std::chrono::seconds(1);
    v1::LinkFrame f;
    if (item.kind == ItemKind::kEnvelope) {
      f.mutable_deliver()->set_envelope(ToString(*data));
      f.mutable_deliver()->set_delivery_id(static_cast<uint64_t>(item.id));
    } else if (item.kind == ItemKind::kExpiry) {
      // Written by this relay: it parses unless the disk changed under us.
      if (!f.mutable_expired()->ParseFromArray(data->data(), static_cast<int>(data->size()))) {
        Drop(recipient, item.id, "stored expiry notice does not parse");
        continue;
      }
      f.mutable_expired()->set_delivery_id(static_cast<uint64_t>(item.id));
    } else {
      f.mutable_deliver_receipt()->set_receipt(ToString(*data));
      f.mutable_deliver_receipt()->set_delivery_id(static_cast<uint64_t>(item.id));
      if (v1::Precedence_IsValid(item.precedence))
        f.mutable_deliver_receipt()->set_precedence(static_cast<v1::Precedence>(item.precedence));
    }
    if (!link->Send(f, item.precedence).ok()) break;  // write queue full: resume on next take
    queues_.Sent(recipient, item.id);
  }
}

}  // namespace hotline::relay
