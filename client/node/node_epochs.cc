// The node's epoch keys (docs/PROTOCOL.md §4 "Forward secrecy"): one made
// every epoch and on `hotline keys rotate`, stored, audited and announced
// to the other nations ahead of routine traffic; theirs learned from
// announcements and from every envelope; ours destroyed once their
// retention has passed — overwritten in the epoch secret file and wiped
// from memory.
#include <spdlog/spdlog.h>

#include <set>

#include "hotline/control_codec.h"
#include "node/node_daemon.h"

namespace hotline::node {

bool IsSystemBody(const v1::Body& body) {
  // Track summaries are evidence the node checks and audits itself (one a
  // second per track): not for the inbox.
  return body.has_checkpoint_note() || body.has_epoch_key() || body.has_track_summary() ||
         body.has_track_update();
}

Status NodeDaemon::RestoreEpochs() {
  std::vector<NodeStore::EpochKeyRow> rows;
  HOTLINE_RETURN_IF_ERROR(store_->ForEachEpochKey(
      [&](NodeStore::EpochKeyRow&& row) { rows.push_back(std::move(row)); }));
  std::set<uint64_t> in_store;
  for (NodeStore::EpochKeyRow& row : rows) {
    in_store.insert(row.epoch);
    if (!row.secret.empty()) {
      // A store from before the epoch secret file: move the secret there
      // and overwrite it here.
      Status moved = epoch_secrets_->Put(row.epoch, row.secret);
      Wipe(std::span<uint8_t>(row.secret));
      HOTLINE_RETURN_IF_ERROR(moved);
      HOTLINE_RETURN_IF_ERROR(store_->ClearEpochSecret(row.epoch));
      wal_to_truncate_ = true;
    }
    EpochBook::Own own;
    auto held = epoch_secrets_->Get(row.epoch, own.keys.secret);
    HOTLINE_RETURN_IF_ERROR(held.status());
    if (!*held) {
      // Lost (the file was removed or a slot torn): what was wrapped for
      // it can no longer be opened. Said once; the row goes.
      HOTLINE_RETURN_IF_ERROR(store_->DestroyEpochKey(row.epoch));
      epochs_.NoteLost(row.epoch);
      AlertAndAudit("EPOCH KEY LOST: the secret of our epoch key " + std::to_string(row.epoch) +
                        " is not in " + (config_.data_dir / "epoch-secrets").string() +
                        "; envelopes wrapped for it cannot be opened",
                    {}, v1::NATION_UNSPECIFIED);
      continue;
    }
    own.keys = X25519FromSecret(own.keys.secret.view());
    own.epoch = row.epoch;
    own.signed_key = std::move(row.signed_key);
    own.not_before_ms = row.not_before_ms;
    own.not_after_ms = row.not_after_ms;
    v1::SignedEpochKey sk;
    v1::EpochKeyDetails details;
    if (sk.ParseFromString(own.signed_key) && details.ParseFromString(sk.details())) {
      own.cert_serial = details.cert_serial();
    }
    epochs_.RestoreOwn(std::move(own));
  }
  // A secret whose key never reached the store (stopped in between) or
  // whose row was destroyed before its slot was: erased now.
  for (uint64_t epoch : epoch_secrets_->epochs()) {
    if (in_store.count(epoch)) continue;
    HOTLINE_RETURN_IF_ERROR(epoch_secrets_->Erase(epoch));
    epochs_.NoteLost(epoch);  // it may have been announced: never numbered again
  }
  return store_->ForEachPeerEpochKey([this](v1::Nation nation, const std::string& signed_key) {
    // Verified when it was taken.
    v1::SignedEpochKey sk;
    v1::EpochKeyDetails details;
    if (sk.ParseFromString(signed_key) && details.ParseFromString(sk.details())) {
      epochs_.OfferPeer(nation, details, signed_key);
    }
  });
}

void NodeDaemon::ApplyEpochs() {
  // A peer's epoch key counts only under its current, valid certificate
  // (renewed, revoked or restored from a store: checked again here).
  std::vector<v1::Nation> stale;
  for (const auto& [nation, peer] : epochs_.peers()) {
    const PeerCertificate* cert = peers_.Current(nation);
    if (!cert || !VerifyEpochKey(AsBytes(peer.signed_key), cert->keys.signing_public_key, nation,
                                 cert->details.serial())
                      .ok()) {
      stale.push_back(nation);
    }
  }
  for (v1::Nation n : stale) epochs_.DropPeer(n);
  if (!keys_) return;
  keys_->SetOwnEpochs(epochs_.OwnForKeys(), epochs_.SealingEpoch(identity_->details.serial()));
  for (const auto& [nation, peer] : epochs_.peers()) {
    keys_->SetPeerEpoch(nation, epochs_.PeerForKeys(peer));
  }
}

void NodeDaemon::ForgetOldBodies(int64_t now) {
  int64_t retain = config_.retain_bodies.count();
  if (retain <= 0 || now - last_retention_ms_ < std::min<int64_t>(retain / 2, 60'000)) return;
  last_retention_ms_ = now;
  int64_t cutoff = now - retain;
  auto touched = std::make_shared<int>(0);
  committer_->SubmitLazy(
      [this, cutoff, touched]() -> Status {
        HOTLINE_ASSIGN_OR_RETURN(*touched, store_->ForgetBodiesBefore(cutoff));
        if (*touched == 0) return Status::Ok();
        return audit_->Append(
            {.event = v1::AUDIT_EVENT_DROPPED,
             .reason = "at-rest retention: the bodies of " + std::to_string(*touched) +
                       " handled message(s) older than " + FormatUnixUtc(cutoff / 1000) +
                       " removed; their digests stay in this log"});
      },
      [this, touched](const Status& st) {
        if (!st.ok()) return spdlog::error("at-rest retention failed: {}", st.ToString());
        if (*touched > 0) wal_to_truncate_ = true;  // old pages may linger in the log
      });
}

void NodeDaemon::TickEpochs(int64_t now) {
  EraseDestroyedSecrets();
  TruncateWalIfDue();
  ForgetOldBodies(now);
  if (!epoch_in_progress_ && epochs_.Due(now, identity_->details.serial()))
    MakeEpoch("scheduled", nullptr);
  for (uint64_t epoch : epochs_.Expired(now)) {
    if (destroying_.insert(epoch).second) DestroyEpoch(epoch);
  }
}

void NodeDaemon::MakeEpoch(const std::string& why, Reply reply) {
  int64_t now = config_.now_ms();
  auto own = std::make_shared<EpochBook::Own>(
      epochs_.Make(now, config_.nation, identity_->details.serial(), identity_->keys.signing));
  epoch_in_progress_ = true;
  committer_->Submit(
      [this, own, why]() -> Status {
        // The secret is durable in its file before the key is in the store.
        HOTLINE_RETURN_IF_ERROR(epoch_secrets_->Put(own->epoch, own->keys.secret.view()));
        HOTLINE_RETURN_IF_ERROR(store_->SaveEpochKey({.epoch = own->epoch,
                                                      .secret = {},
                                                      .signed_key = own->signed_key,
                                                      .not_before_ms = own->not_before_ms,
                                                      .not_after_ms = own->not_after_ms}));
        return audit_->Append(
            {.event = v1::AUDIT_EVENT_EPOCH_KEY,
             .reason = "epoch key " + std::to_string(own->epoch) + " made (" + why + ")",
             .detail = "used by senders until " + FormatUnixUtc(own->not_after_ms / 1000)});
      },
      [this, own, reply](const Status& st) {
        epoch_in_progress_ = false;
        if (!st.ok()) {
          spdlog::error("cannot store a new epoch key: {}", st.ToString());
          (void)epoch_secrets_->Erase(own->epoch);  // else erased at the next start
          if (reply) reply(ErrorResponse(st));
          return;
        }
        uint64_t epoch = own->epoch;
        // The first one needs no announcement: it travels with our
        // envelopes and receipts. A successor replaces a key peers use.
        bool replaces = !epochs_.own().empty();
        epochs_.Adopt(std::move(*own));
        ApplyEpochs();
        std::vector<v1::Nation> announced;
        // After a rotation every nation is told; a scheduled successor
        // only those that may be using the old key.
        if (replaces) AnnounceEpoch(/*everyone=*/reply != nullptr, &announced);
        if (reply) {
          v1::ControlResponse r;
          r.set_ok(true);
          r.mutable_keys_rotate()->set_epoch(epoch);
          for (v1::Nation n : announced) r.mutable_keys_rotate()->add_announced_to(n);
          reply(std::move(r));
        }
      },
      v1::PRECEDENCE_IMMEDIATE);
}

void NodeDaemon::AnnounceEpoch(bool everyone, std::vector<v1::Nation>* announced_to) {
  auto newest = epochs_.own().find(epochs_.newest());
  if (newest == epochs_.own().end()) return;
  for (v1::Nation n : {v1::NATION_US, v1::NATION_JP, v1::NATION_KR}) {
    // A scheduled successor goes to nations that may use our old key
    // (we know theirs); after a rotation every nation is told.
    if (n == config_.nation || !peers_.Current(n) || (!everyone && !epochs_.peers().count(n)))
      continue;
    if (announced_to) announced_to->push_back(n);
    v1::SendRequest request;
    request.add_to(n);
    request.set_channel(v1::CHANNEL_GENERAL);
    request.set_precedence(v1::PRECEDENCE_IMMEDIATE);  // ahead of routine traffic
    request.mutable_body()->mutable_epoch_key()->set_signed_epoch_key(newest->second.signed_key);
    SendInternal(request, /*system=*/true, "node", [n](v1::ControlResponse r) {
      if (!r.ok())
        spdlog::warn("cannot announce our epoch key to {}: {}", NationCode(n), r.error());
    });
  }
}

void NodeDaemon::DestroyEpoch(uint64_t epoch) {
  committer_->Submit(
      [this, epoch]() -> Status {
        HOTLINE_RETURN_IF_ERROR(store_->DestroyEpochKey(epoch));
        return audit_->Append({.event = v1::AUDIT_EVENT_EPOCH_KEY,
                               .reason = "epoch key " + std::to_string(epoch) + " destroyed",
                               .detail = "its retention has passed"});
      },
      [this, epoch](const Status& st) {
        destroying_.erase(epoch);
        if (!st.ok()) return spdlog::error("cannot destroy epoch key {}: {}", epoch, st.ToString());
        epochs_.Destroy(epoch);  // its Secret is wiped as it goes
        ApplyEpochs();
        // Overwritten where it was stored; if that fails, tried again
        // every tick (and at the next start: its row is gone).
        erase_pending_.insert(epoch);
        EraseDestroyedSecrets();
      });
}

void NodeDaemon::EraseDestroyedSecrets() {
  for (auto it = erase_pending_.begin(); it != erase_pending_.end();) {
    Status erased = epoch_secrets_->Erase(*it);
    if (erased.ok()) {
      it = erase_pending_.erase(it);
      continue;
    }
    if (erase_alerted_.insert(*it).second) {
      AlertAndAudit("KEY DESTRUCTION DELAYED: the secret of epoch key " + std::to_string(*it) +
                        " could not be overwritten (" + erased.message() + "); retrying",
                    {}, v1::NATION_UNSPECIFIED);
    }
    ++it;
  }
}

void NodeDaemon::TruncateWalIfDue() {
  if (!wal_to_truncate_ || committer_->pending() > 0) return;  // tried again next tick
  auto done = store_->TruncateWal();
  if (!done.ok()) spdlog::warn("cannot truncate the write-ahead log: {}", done.status().ToString());
  wal_to_truncate_ = !(done.ok() && *done);
  int64_t now = config_.now_ms();
  if (!wal_to_truncate_) {
    wal_truncate_since_ms_ = 0;
  } else if (wal_truncate_since_ms_ == 0) {
    wal_truncate_since_ms_ = now;
  } else if (now - wal_truncate_since_ms_ > 60'000) {
    // Removed content may still be in the log: say so (once per episode).
    AlertAndAudit(
        "REMOVAL DELAYED: the write-ahead log could not be emptied for a minute; removed "
        "bodies (or epoch secrets moved out of an old store) may remain in it until it is",
        {}, v1::NATION_UNSPECIFIED);
    wal_truncate_since_ms_ = now + 3600'000;  // again in an hour at most
  }
}

bool NodeDaemon::LearnPeerEpoch(v1::Nation nation, const v1::EpochKeyDetails& details,
                                const std::string& signed_key) {
  if (!epochs_.OfferPeer(nation, details, signed_key)) return false;
  committer_->SubmitLazy(
      [this, nation, signed_key]() { return store_->SavePeerEpochKey(nation, signed_key); });
  if (keys_) keys_->SetPeerEpoch(nation, epochs_.PeerForKeys(epochs_.peers().at(nation)));
  spdlog::info("epoch key {} of {} taken", details.epoch(), NationCode(nation));
  return true;
}

void NodeDaemon::OnEpochAnnouncement(v1::Nation sender, const v1::EpochKeyAnnouncement& note) {
  const PeerCertificate* cert = peers_.Current(sender);
  if (!cert) return;
  auto details = VerifyEpochKey(AsBytes(note.signed_epoch_key()), cert->keys.signing_public_key,
                                sender, cert->details.serial());
  if (!details.ok()) {
    return RejectInput("epoch key announcement from " + NationCode(sender) +
                           " refused: " + details.status().message(),
                       {}, sender);
  }
  // One we hold already (it came with an envelope), or older than it (a
  // replay, or an announcement overtaken by an envelope carrying a newer
  // key): kept as it is.
  if (!LearnPeerEpoch(sender, *details, note.signed_epoch_key())) {
    spdlog::info("epoch key {} of {} announced: not taken (we hold the same or a newer one)",
                 details->epoch(), NationCode(sender));
  }
}

void NodeDaemon::OnOpenedEpochs(const OpenedEnvelope& opened) {
  v1::Nation sender = opened.header.sender();
  if (opened.sender_epoch) LearnPeerEpoch(sender, *opened.sender_epoch, opened.sender_epoch_key);
  if (opened.forward_secret || IsSystemBody(opened.body)) return;
  Bytes id = ToBytes(opened.header.message_id());
  committer_->SubmitLazy(
      [this, id, sender]() { return store_->MarkWithoutForwardSecrecy(id, sender); });
  // It did not know our epoch key (first contact): our delivery receipt
  // carries it, so its next message is forward secret.
}

std::string NodeDaemon::NewestEpochKey() const {
  uint64_t sealing = epochs_.SealingEpoch(identity_->details.serial());
  auto it = epochs_.own().find(sealing);
  return it == epochs_.own().end() ? std::string() : it->second.signed_key;
}

}  // namespace hotline::node
