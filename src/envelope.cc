#include "hotline/envelope.h"

#include <sodium.h>

#include <mutex>
#include <set>

#include "hotline/certs.h"
#include "hotline/epoch_key.h"
#include "hotline/limits.h"

namespace hotline {

struct EnvelopeKeys::EpochWrap {
  uint64_t recipient_epoch = 0;
  int64_t not_after_ms = 0;
  // crypto_box_beforenm(our sealing epoch secret, their epoch public).
  Secret<crypto_box_BEFORENMBYTES> box_key;
};

// Senders' epoch keys already verified, each with the box keys computed
// for our epoch keys: a sender uses one epoch key for an hour, so opening
// its envelopes costs one signature check, as before epoch keys, instead of
// three public-key operations. Emptied whenever our epoch keys or the
// certificates change, so a box key never outlives the secret it came from.
struct EnvelopeKeys::SenderEpochCache {
  static constexpr size_t kMaxEntries = 32;  // a few keys per nation; cleared when full
  struct Entry {
    v1::EpochKeyDetails details;
    std::map<uint64_t, std::unique_ptr<Secret<crypto_box_BEFORENMBYTES>>> box_keys;  // our epoch
  };
  std::mutex mu;
  std::map<std::string, Entry> entries;  // signer key ‖ serial ‖ nation ‖ signed epoch key
  void Clear() {
    std::lock_guard lock(mu);
    entries.clear();
  }
};

struct EnvelopeKeys::Peer {
  PeerKeys keys;
  // crypto_box_beforenm(self e2e secret, peer e2e public): computed once so
  // that each wrap costs ~1 µs instead of a scalar multiplication.
  Secret<crypto_box_BEFORENMBYTES> box_key;
  bool box_key_ok = false;
};

Status ValidateHeader(const v1::EnvelopeHeader& h) {
  if (h.version() != kEnvelopeVersion) {
    return InvalidArgumentError("unsupported envelope version " + std::to_string(h.version()));
  }
  if (h.message_id().size() != kMessageIdLen) return InvalidArgumentError("message id is not 16 bytes");
  if (!v1::Nation_IsValid(h.sender()) || h.sender() == v1::NATION_UNSPECIFIED) {
    return InvalidArgumentError("envelope has no valid sender");
  }
  if (h.recipients_size() < 1 || static_cast<size_t>(h.recipients_size()) > limits::kMaxRecipients) {
    return InvalidArgumentError("envelope must have 1 to 3 recipients");
  }
  std::set<int> seen;
  for (int r : h.recipients()) {
    if (!v1::Nation_IsValid(r) || r == v1::NATION_UNSPECIFIED) {
      return InvalidArgumentError("envelope names an invalid recipient");
    }
    if (r == h.sender()) return InvalidArgumentError("envelope is addressed to its sender");
    if (!seen.insert(r).second) return InvalidArgumentError("envelope names a recipient twice");
  }
  if (h.recipient_sequences_size() != 0 && h.recipient_sequences_size() != h.recipients_size()) {
    return InvalidArgumentError("envelope has recipient sequences unlike its recipients");
  }
  if (!v1::Channel_IsValid(h.channel()) || h.channel() == v1::CHANNEL_UNSPECIFIED) {
    return InvalidArgumentError("envelope has no valid channel");
  }
  if (!v1::Precedence_IsValid(h.precedence()) || h.precedence() == v1::PRECEDENCE_UNSPECIFIED) {
    return InvalidArgumentError("envelope has no valid precedence");
  }
  return Status::Ok();
}

StatusOr<RoutedEnvelope> ParseEnvelopeForRouting(ByteView encoded) {
  if (encoded.size() > limits::kMaxEnvelopeBytes) {
    return ResourceExhaustedError("envelope larger than " + std::to_string(limits::kMaxEnvelopeBytes) +
                                  " bytes");
  }
  RoutedEnvelope out;
  if (!out.envelope.ParseFromArray(encoded.data(), static_cast<int>(encoded.size()))) {
    return InvalidArgumentError("envelope is not a valid hotline.v1.Envelope");
  }
  if (out.envelope.header().size() > limits::kMaxHeaderBytes ||
      !out.header.ParseFromString(out.envelope.header())) {
    return InvalidArgumentError("envelope header is not a valid hotline.v1.EnvelopeHeader");
  }
  HOTLINE_RETURN_IF_ERROR(ValidateHeader(out.header));
  const auto& e = out.envelope;
  if (e.wraps_size() != out.header.recipients_size()) {
    return InvalidArgumentError("envelope has a key wrap count unlike its recipient count");
  }
  for (int i = 0; i < e.wraps_size(); ++i) {
    const auto& w = e.wraps(i);
    if (w.recipient() != out.header.recipients(i) || w.nonce().size() != kBoxNonceLen ||
        w.wrapped_key().size() != kWrappedKeyLen) {
      return InvalidArgumentError("envelope key wrap " + std::to_string(i) + " is malformed");
    }
  }
  bool epoch_wraps = false;
  for (const auto& w : e.wraps()) epoch_wraps = epoch_wraps || w.recipient_epoch() != 0;
  if ((epoch_wraps && e.sender_epoch_key().empty()) ||
      e.sender_epoch_key().size() > kMaxSignedEpochKeyBytes) {
    return InvalidArgumentError(
        "envelope names a recipient epoch key without a valid sender epoch key");
  }
  if (e.body_nonce().size() != crypto_aead_xchacha20poly1305_ietf_NPUBBYTES ||
      e.body_ciphertext().size() < crypto_aead_xchacha20poly1305_ietf_ABYTES ||
      e.signature().size() != kEd25519SignatureLen) {
    return InvalidArgumentError("envelope body or signature is malformed");
  }
  return out;
}

Sha256Digest EnvelopeDigest(const v1::Envelope& envelope) {
  return Sha256({EnvelopeSigningInput(envelope)});
}

uint64_t SequenceFor(const v1::EnvelopeHeader& header, v1::Nation recipient) {
  for (int i = 0; i < header.recipients_size() && i < header.recipient_sequences_size(); ++i) {
    if (header.recipients(i) == recipient) return header.recipient_sequences(i);
  }
  return header.sequence();
}

StatusOr<PeerKeys> PeerKeysOf(const v1::CertificateDetails& details) {
  if (details.signing_public_key().size() != kEd25519PublicLen ||
      details.e2e_public_key().size() != kX25519Len) {
    return InvalidArgumentError("certificate " + details.subject() + " lacks end-to-end keys");
  }
  PeerKeys keys;
  std::copy_n(details.signing_public_key().begin(), kEd25519PublicLen,
              keys.signing_public_key.begin());
  std::copy_n(details.e2e_public_key().begin(), kX25519Len, keys.e2e_public_key.begin());
  return keys;
}

Bytes EnvelopeSigningInput(const v1::Envelope& e) {
  Bytes wraps;
  for (const auto& w : e.wraps()) {
    AppendU32BE(wraps, static_cast<uint32_t>(w.recipient()));
    Append(wraps, AsBytes(w.nonce()));
    Append(wraps, AsBytes(w.wrapped_key()));
  }
  Bytes epochs;
  bool forward_secrecy_fields = !e.sender_epoch_key().empty();
  for (const auto& w : e.wraps()) {
    AppendU64BE(epochs, w.recipient_epoch());
    forward_secrecy_fields = forward_secrecy_fields || w.recipient_epoch() != 0;
  }
  if (!forward_secrecy_fields) {  // as before epoch keys: the same bytes
    return DomainSeparated(kEnvelopeTag, {AsBytes(e.header()), wraps, AsBytes(e.body_nonce()),
                                          AsBytes(e.body_ciphertext())});
  }
  return DomainSeparated(kEnvelopeTag,
                         {AsBytes(e.header()), wraps, AsBytes(e.body_nonce()),
                          AsBytes(e.body_ciphertext()), epochs, AsBytes(e.sender_epoch_key())});
}

EnvelopeKeys::EnvelopeKeys(v1::Nation self, const Ed25519KeyPair& signing, const X25519KeyPair& e2e,
                           const std::map<v1::Nation, PeerKeys>& peers)
    : self_(self),
      signing_(signing),
      e2e_(e2e),
      sender_epochs_(std::make_unique<SenderEpochCache>()) {
  for (const auto& [nation, keys] : peers) AddPeer(nation, 0, keys, /*current=*/true);
}

void EnvelopeKeys::AddPeer(v1::Nation nation, uint64_t serial, const PeerKeys& keys, bool current) {
  sender_epochs_->Clear();
  auto peer = std::make_unique<Peer>();
  peer->keys = keys;
  peer->box_key_ok = crypto_box_beforenm(peer->box_key.data(), keys.e2e_public_key.data(),
                                         e2e_.secret.data()) == 0;
  peers_[{nation, serial}] = std::move(peer);
  if (current) current_[nation] = serial;
}

void EnvelopeKeys::AddPreviousKey(const X25519KeyPair& e2e) { previous_e2e_.push_back(e2e); }

void EnvelopeKeys::SetOwnEpochs(std::vector<OwnEpoch> epochs, uint64_t sealing_epoch) {
  own_epochs_.clear();  // each secret is wiped as its Secret goes
  sender_epochs_->Clear();  // and every box key computed from one
  for (auto& e : epochs) own_epochs_[e.epoch] = std::move(e);
  sealing_epoch_ = own_epochs_.count(sealing_epoch) ? sealing_epoch : 0;
  PrecomputeEpochWraps();
}

void EnvelopeKeys::SetPeerEpoch(v1::Nation nation, const PeerEpoch& epoch) {
  peer_epochs_[nation] = epoch;
  PrecomputeEpochWraps();
}

void EnvelopeKeys::PrecomputeEpochWraps() {
  epoch_wraps_.clear();
  auto sealing = own_epochs_.find(sealing_epoch_);
  if (sealing == own_epochs_.end()) return;
  for (const auto& [nation, peer] : peer_epochs_) {
    auto wrap = std::make_unique<EpochWrap>();
    wrap->recipient_epoch = peer.epoch;
    wrap->not_after_ms = peer.usable_until_ms;
    if (crypto_box_beforenm(wrap->box_key.data(), peer.public_key.data(),
                            sealing->second.keys.secret.data()) == 0) {
      epoch_wraps_[nation] = std::move(wrap);
    }
  }
}

EnvelopeKeys::~EnvelopeKeys() = default;

StatusOr<Bytes> EnvelopeKeys::Seal(const v1::EnvelopeHeader& header, const v1::Body& body,
                                   Sha256Digest* digest,
                                   std::vector<v1::Nation>* without_forward_secrecy) const {
  HOTLINE_RETURN_IF_ERROR(ValidateHeader(header));
  if (header.sender() != self_) return InvalidArgumentError("can only seal as this node's nation");
  std::string plaintext = body.SerializeAsString();
  if (plaintext.size() > limits::kMaxBodyBytes) {
    Wipe(plaintext);
    return ResourceExhaustedError("message body larger than " +
                                  std::to_string(limits::kMaxBodyBytes) + " bytes");
  }
  v1::Envelope e;
  e.set_header(header.SerializeAsString());
  Secret<kContentKeyLen> content_key;
  RandomFill(content_key.mutable_view());
  // Forward secrecy for every recipient or for none (then the form that
  // nodes from before epoch keys open).
  auto sealing = own_epochs_.find(sealing_epoch_);
  bool epochs = sealing != own_epochs_.end() &&
                header.created_at_ms() >= sealing->second.not_before_ms - kEpochSkewMs &&
                header.created_at_ms() <= sealing->second.not_after_ms;
  for (int r : header.recipients()) {
    auto wrap = epoch_wraps_.find(static_cast<v1::Nation>(r));
    epochs = epochs && wrap != epoch_wraps_.end() &&
             header.created_at_ms() <= wrap->second->not_after_ms;
  }
  for (int r : header.recipients()) {
    auto current = current_.find(static_cast<v1::Nation>(r));
    auto it =
        current == current_.end() ? peers_.end() : peers_.find({current->first, current->second});
    if (it == peers_.end() || !it->second->box_key_ok) {
      Wipe(plaintext);
      return NotFoundError("no end-to-end key for recipient nation " + std::to_string(r));
    }
    auto* w = e.add_wraps();
    w->set_recipient(static_cast<v1::Nation>(r));
    const uint8_t* box_key = it->second->box_key.data();
    if (epochs) {
      const EpochWrap& epoch = *epoch_wraps_.at(static_cast<v1::Nation>(r));
      box_key = epoch.box_key.data();
      w->set_recipient_epoch(epoch.recipient_epoch);
    } else if (without_forward_secrecy) {
      without_forward_secrecy->push_back(static_cast<v1::Nation>(r));
    }
    Bytes nonce = RandomBytes(kBoxNonceLen);
    std::string wrapped(kWrappedKeyLen, '\0');
    crypto_box_easy_afternm(reinterpret_cast<uint8_t*>(wrapped.data()), content_key.data(),
                            kContentKeyLen, nonce.data(), box_key);
    w->set_nonce(ToString(nonce));
    w->set_wrapped_key(std::move(wrapped));
  }

  // Our epoch key travels with the envelope: its recipients can wrap
  // their next messages to us for it.
  if (epochs) e.set_sender_epoch_key(sealing->second.signed_key);
  Bytes body_nonce = RandomBytes(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  Bytes ad = DomainSeparated(kBodyAdTag, {AsBytes(e.header())});
  std::string ciphertext(plaintext.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      reinterpret_cast<uint8_t*>(ciphertext.data()), &written,
      reinterpret_cast<const uint8_t*>(plaintext.data()), plaintext.size(), ad.data(), ad.size(),
      nullptr, body_nonce.data(), content_key.data());
  Wipe(plaintext);
  e.set_body_nonce(ToString(body_nonce));
  e.set_body_ciphertext(std::move(ciphertext));
  Bytes signed_input = EnvelopeSigningInput(e);
  Ed25519Signature sig = Ed25519Sign(signing_.secret, signed_input);
  e.set_signature(ToString(sig));
  if (digest) *digest = Sha256({signed_input});

  Bytes out(e.ByteSizeLong());
  e.SerializeToArray(out.data(), static_cast<int>(out.size()));
  return out;
}

StatusOr<OpenedEnvelope> EnvelopeKeys::Open(ByteView encoded) const {
  HOTLINE_ASSIGN_OR_RETURN(RoutedEnvelope routed, ParseEnvelopeForRouting(encoded));
  const v1::Envelope& e = routed.envelope;
  const v1::EnvelopeHeader& h = routed.header;
  int wrap_index = -1;
  for (int i = 0; i < h.recipients_size(); ++i) {
    if (h.recipients(i) == self_) wrap_index = i;
  }
  if (wrap_index < 0) return PermissionDeniedError("this node is not a recipient of the envelope");
  auto it = peers_.find({h.sender(), h.sender_cert_serial()});
  if (it == peers_.end() || !it->second->box_key_ok) {
    return NotFoundError("envelope names certificate serial " +
                         std::to_string(h.sender_cert_serial()) + " of " + NationCode(h.sender()) +
                         ", which is not known here");
  }
  const Peer& sender = *it->second;
  Bytes signed_input = EnvelopeSigningInput(e);
  if (!Ed25519Verify(sender.keys.signing_public_key, signed_input, AsBytes(e.signature()))) {
    return PermissionDeniedError("envelope signature does not verify for its sender");
  }
  const auto& w = e.wraps(wrap_index);
  OpenedEnvelope out;
  std::string cache_key;
  if (!e.sender_epoch_key().empty()) {
    cache_key.reserve(kEd25519PublicLen + 9 + e.sender_epoch_key().size());
    cache_key.append(reinterpret_cast<const char*>(sender.keys.signing_public_key.data()),
                     sender.keys.signing_public_key.size());
    Bytes serial_and_nation;
    AppendU64BE(serial_and_nation, h.sender_cert_serial());
    serial_and_nation.push_back(static_cast<uint8_t>(h.sender()));
    cache_key.append(ToString(serial_and_nation)).append(e.sender_epoch_key());
    {
      std::lock_guard lock(sender_epochs_->mu);
      auto cached = sender_epochs_->entries.find(cache_key);
      if (cached != sender_epochs_->entries.end()) out.sender_epoch = cached->second.details;
    }
    if (!out.sender_epoch) {
      auto epoch = VerifyEpochKey(AsBytes(e.sender_epoch_key()), sender.keys.signing_public_key,
                                  h.sender(), h.sender_cert_serial());
      if (!epoch.ok())
        return PermissionDeniedError("envelope carries a bad sender epoch key: " +
                                     epoch.status().message());
      out.sender_epoch = *epoch;
      std::lock_guard lock(sender_epochs_->mu);
      if (sender_epochs_->entries.size() >= SenderEpochCache::kMaxEntries)
        sender_epochs_->entries.clear();
      sender_epochs_->entries[cache_key].details = *epoch;
    }
    out.sender_epoch_key = e.sender_epoch_key();
  }
  Secret<kContentKeyLen> content_key;
  auto unwrap = [&](const uint8_t* box_key) {
    return crypto_box_open_easy_afternm(
               content_key.data(), reinterpret_cast<const uint8_t*>(w.wrapped_key().data()),
               w.wrapped_key().size(), reinterpret_cast<const uint8_t*>(w.nonce().data()),
               box_key) == 0;
  };
  bool unwrapped = false;
  if (w.recipient_epoch() != 0) {
    // Forward secrecy: our epoch secret and the sender's epoch public key,
    // which must have been in force when the envelope was made.
    auto own = own_epochs_.find(w.recipient_epoch());
    if (own == own_epochs_.end()) {
      return DataLossError("envelope is wrapped for our epoch key " +
                           std::to_string(w.recipient_epoch()) +
                           ", which is destroyed or was never ours");
    }
    const v1::EpochKeyDetails& se = *out.sender_epoch;
    if (h.created_at_ms() < se.not_before_ms() - kEpochSkewMs ||
        h.created_at_ms() > se.not_after_ms() + kEpochSkewMs) {
      return PermissionDeniedError("envelope made outside the sender's epoch key " +
                                   std::to_string(se.epoch()) + " validity");
    }
    std::lock_guard lock(sender_epochs_->mu);
    std::unique_ptr<Secret<crypto_box_BEFORENMBYTES>> uncached;
    auto entry = sender_epochs_->entries.find(cache_key);  // gone if the cache was emptied
    auto& box_key =
        entry != sender_epochs_->entries.end() ? entry->second.box_keys[own->first] : uncached;
    if (!box_key) {
      auto fresh = std::make_unique<Secret<crypto_box_BEFORENMBYTES>>();
      if (crypto_box_beforenm(fresh->data(),
                              reinterpret_cast<const uint8_t*>(se.public_key().data()),
                              own->second.keys.secret.data()) == 0) {
        box_key = std::move(fresh);
      }
    }
    if (box_key) unwrapped = unwrap(box_key->data());
    out.forward_secret = unwrapped;
  } else {
    unwrapped = unwrap(sender.box_key.data());
  }
  // Sealed for one of our earlier keys while it waited (certificate renewed).
  for (size_t i = 0; !unwrapped && w.recipient_epoch() == 0 && i < previous_e2e_.size(); ++i) {
    Secret<crypto_box_BEFORENMBYTES> box_key;
    if (crypto_box_beforenm(box_key.data(), sender.keys.e2e_public_key.data(),
                            previous_e2e_[i].secret.data()) == 0) {
      unwrapped = unwrap(box_key.data());
    }
  }
  if (!unwrapped) return DataLossError("envelope content key does not unwrap");
  Bytes ad = DomainSeparated(kBodyAdTag, {AsBytes(e.header())});
  const std::string& ct = e.body_ciphertext();
  Bytes plaintext(ct.size() - crypto_aead_xchacha20poly1305_ietf_ABYTES);
  unsigned long long written = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          plaintext.data(), &written, nullptr, reinterpret_cast<const uint8_t*>(ct.data()),
          ct.size(), ad.data(), ad.size(), reinterpret_cast<const uint8_t*>(e.body_nonce().data()),
          content_key.data()) != 0) {
    return DataLossError("envelope body does not decrypt");
  }
  bool parsed = out.body.ParseFromArray(plaintext.data(), static_cast<int>(plaintext.size()));
  Wipe(plaintext);
  if (!parsed) return InvalidArgumentError("envelope body is not a valid hotline.v1.Body");
  out.header = h;
  out.digest = Sha256({signed_input});
  return out;
}

}  // namespace hotline
