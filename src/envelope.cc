#include "hotline/envelope.h"

#include <sodium.h>

#include <set>

#include "hotline/certs.h"
#include "hotline/limits.h"

namespace hotline {

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
  return DomainSeparated(kEnvelopeTag, {AsBytes(e.header()), wraps, AsBytes(e.body_nonce()),
                                        AsBytes(e.body_ciphertext())});
}

EnvelopeKeys::EnvelopeKeys(v1::Nation self, const Ed25519KeyPair& signing, const X25519KeyPair& e2e,
                           const std::map<v1::Nation, PeerKeys>& peers)
    : self_(self), signing_(signing), e2e_(e2e) {
  for (const auto& [nation, keys] : peers) AddPeer(nation, 0, keys, /*current=*/true);
}

void EnvelopeKeys::AddPeer(v1::Nation nation, uint64_t serial, const PeerKeys& keys, bool current) {
  auto peer = std::make_unique<Peer>();
  peer->keys = keys;
  peer->box_key_ok = crypto_box_beforenm(peer->box_key.data(), keys.e2e_public_key.data(),
                                         e2e_.secret.data()) == 0;
  peers_[{nation, serial}] = std::move(peer);
  if (current) current_[nation] = serial;
}

void EnvelopeKeys::AddPreviousKey(const X25519KeyPair& e2e) { previous_e2e_.push_back(e2e); }

EnvelopeKeys::~EnvelopeKeys() = default;

StatusOr<Bytes> EnvelopeKeys::Seal(const v1::EnvelopeHeader& header, const v1::Body& body,
                                   Sha256Digest* digest) const {
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
    Bytes nonce = RandomBytes(kBoxNonceLen);
    std::string wrapped(kWrappedKeyLen, '\0');
    crypto_box_easy_afternm(reinterpret_cast<uint8_t*>(wrapped.data()), content_key.data(),
                            kContentKeyLen, nonce.data(), it->second->box_key.data());
    w->set_nonce(ToString(nonce));
    w->set_wrapped_key(std::move(wrapped));
  }

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
  Secret<kContentKeyLen> content_key;
  auto unwrap = [&](const uint8_t* box_key) {
    return crypto_box_open_easy_afternm(
               content_key.data(), reinterpret_cast<const uint8_t*>(w.wrapped_key().data()),
               w.wrapped_key().size(), reinterpret_cast<const uint8_t*>(w.nonce().data()),
               box_key) == 0;
  };
  bool unwrapped = unwrap(sender.box_key.data());
  // Sealed for one of our earlier keys while it waited (certificate renewed).
  for (size_t i = 0; !unwrapped && i < previous_e2e_.size(); ++i) {
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
  OpenedEnvelope out;
  bool parsed = out.body.ParseFromArray(plaintext.data(), static_cast<int>(plaintext.size()));
  Wipe(plaintext);
  if (!parsed) return InvalidArgumentError("envelope body is not a valid hotline.v1.Body");
  out.header = h;
  out.digest = Sha256({signed_input});
  return out;
}

}  // namespace hotline
