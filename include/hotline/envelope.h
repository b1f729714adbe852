// The end-to-end envelope (docs/PROTOCOL.md §Envelope): the body is
// encrypted once with a random content key (XChaCha20-Poly1305, header as
// associated data), the content key is wrapped for each recipient with a
// precomputed sender-recipient crypto_box key, and the sender signs header,
// wraps and ciphertext with Ed25519 under a domain tag.
//
// Thread safety: Seal and Open may run on several threads at once (Open's
// cache of sender epoch keys has its own lock); AddPeer, AddPreviousKey,
// SetOwnEpochs and SetPeerEpoch must not run alongside anything else. Error contract: Seal/Open
// return Status; Open names the first check that failed (for the local log and audit only).
#ifndef HOTLINE_ENVELOPE_H_
#define HOTLINE_ENVELOPE_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hotline/crypto.h"
#include "hotline/epoch_key.h"
#include "hotline/v1/body.pb.h"
#include "hotline/v1/cert.pb.h"
#include "hotline/v1/envelope.pb.h"

namespace hotline {

inline constexpr std::string_view kEnvelopeTag = "hotline.v1.envelope";
inline constexpr std::string_view kBodyAdTag = "hotline.v1.body";
inline constexpr uint32_t kEnvelopeVersion = 1;
inline constexpr size_t kMessageIdLen = 16;
inline constexpr size_t kContentKeyLen = 32;
inline constexpr size_t kBoxNonceLen = 24;
inline constexpr size_t kWrappedKeyLen = kContentKeyLen + 16;
// How far an envelope's creation time may lie outside its sender's epoch
// key validity (clocks differ).
inline constexpr int64_t kEpochSkewMs = 300'000;

// Checks the header's structure: version, id length, sender, 1..3 distinct
// recipients that exclude the sender, channel and precedence set.
Status ValidateHeader(const v1::EnvelopeHeader& header);

// What a relay may learn: the parsed, validated header. No signature check
// (the relay compares the sender with its authenticated peer instead).
struct RoutedEnvelope {
  v1::Envelope envelope;
  v1::EnvelopeHeader header;
};
StatusOr<RoutedEnvelope> ParseEnvelopeForRouting(ByteView encoded);

// The digest receipts and audit records bind: SHA-256 of the exact bytes the
// sender signed (EnvelopeSigningInput), not of the envelope's encoding, so
// that bytes a relay adds or re-encodes outside the signature (an unknown
// field, a non-minimal varint) cannot change what the evidence names.
Sha256Digest EnvelopeDigest(const v1::Envelope& envelope);

// The sequence of this envelope in the (sender, channel, recipient) stream.
uint64_t SequenceFor(const v1::EnvelopeHeader& header, v1::Nation recipient);

struct OpenedEnvelope {
  v1::EnvelopeHeader header;
  v1::Body body;
  Sha256Digest digest{};
  // Our wrap named one of our epoch keys (PROTOCOL.md §4 "Forward secrecy").
  bool forward_secret = false;
  // The sender's epoch key the envelope carried (verified), if any.
  std::optional<v1::EpochKeyDetails> sender_epoch;
  std::string sender_epoch_key;  // as signed, to be kept
};

struct PeerKeys {
  Ed25519Public signing_public_key{};
  X25519Public e2e_public_key{};
};

// The signing and end-to-end public keys a node certificate names.
StatusOr<PeerKeys> PeerKeysOf(const v1::CertificateDetails& details);

// One nation's end-to-end keys and the public keys of the other nations'
// certificates, each known by its serial: an envelope is verified with the
// certificate its header's sender_cert_serial names (PROTOCOL.md §4).
class EnvelopeKeys {
 public:
  // `peers` are registered as each nation's current certificate, serial 0.
  EnvelopeKeys(v1::Nation self, const Ed25519KeyPair& signing, const X25519KeyPair& e2e,
               const std::map<v1::Nation, PeerKeys>& peers = {});
  ~EnvelopeKeys();

  // A certificate of another nation. Seal uses each nation's current one;
  // Open accepts any registered one (the caller judges its validity).
  void AddPeer(v1::Nation nation, uint64_t serial, const PeerKeys& keys, bool current);
  // An end-to-end key pair this node held under an earlier certificate:
  // envelopes sealed for it (while they waited) still open.
  void AddPreviousKey(const X25519KeyPair& e2e);
  EnvelopeKeys(const EnvelopeKeys&) = delete;
  EnvelopeKeys& operator=(const EnvelopeKeys&) = delete;

  v1::Nation self() const { return self_; }

  // Forward secrecy (PROTOCOL.md §4): our epoch keys not yet destroyed
  // (each opens what was wrapped for it) and the one that seals; and each
  // other nation's newest epoch key, wrapped for until its not_after.
  struct OwnEpoch {
    uint64_t epoch = 0;
    X25519KeyPair keys;
    std::string signed_key;  // serialized SignedEpochKey
    int64_t not_before_ms = 0;  // it seals envelopes created in [not_before, not_after]
    int64_t not_after_ms = 0;
  };
  void SetOwnEpochs(std::vector<OwnEpoch> epochs, uint64_t sealing_epoch);
  struct PeerEpoch {
    uint64_t epoch = 0;
    X25519Public public_key{};
    int64_t usable_until_ms = 0;  // EpochUsableUntil
  };
  void SetPeerEpoch(v1::Nation nation, const PeerEpoch& epoch);

  // Seals `body` under `header` (whose sender must be self()). Returns the
  // serialized Envelope; its EnvelopeDigest goes to `digest` if given.
  // Epoch keys are used only if every recipient has one usable at
  // header.created_at_ms and ours is valid then; otherwise the envelope
  // takes the form without epoch fields (which nodes that predate epoch
  // keys open) and every recipient goes to `without_forward_secrecy`.
  StatusOr<Bytes> Seal(const v1::EnvelopeHeader& header, const v1::Body& body,
                       Sha256Digest* digest = nullptr,
                       std::vector<v1::Nation>* without_forward_secrecy = nullptr) const;
  // Verifies, unwraps and decrypts an envelope addressed to self().
  StatusOr<OpenedEnvelope> Open(ByteView encoded) const;

 private:
  struct Peer;
  v1::Nation self_;
  Ed25519KeyPair signing_;
  X25519KeyPair e2e_;
  std::vector<X25519KeyPair> previous_e2e_;
  std::map<std::pair<v1::Nation, uint64_t>, std::unique_ptr<Peer>> peers_;  // (nation, serial)
  std::map<v1::Nation, uint64_t> current_;
  void PrecomputeEpochWraps();
  std::map<uint64_t, OwnEpoch> own_epochs_;
  uint64_t sealing_epoch_ = 0;
  std::map<v1::Nation, PeerEpoch> peer_epochs_;
  struct EpochWrap;
  std::map<v1::Nation, std::unique_ptr<EpochWrap>> epoch_wraps_;  // sealing epoch x peer epoch
  struct SenderEpochCache;
  std::unique_ptr<SenderEpochCache> sender_epochs_;
};

// The exact bytes the sender signs (exposed for tests and docs).
Bytes EnvelopeSigningInput(const v1::Envelope& envelope);

}  // namespace hotline

#endif  // HOTLINE_ENVELOPE_H_
