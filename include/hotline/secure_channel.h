// The authenticated channel between a node and a relay: Noise XX
// (Noise_XX_25519_ChaChaPoly_BLAKE2b, prologue "hotline.v1") whose
// handshake messages 2 and 3 carry a HandshakePayload with the sender's
// certificate. Message 1 is zero-padded to limits::kHandshakeInitiationBytes
// and the responder stays silent unless its reply is no longer than it.
// Each side checks the peer's certificate (chain to the root, Noise static
// key equals the certificate's, role, nation, validity, revocation) before
// it says anything authenticated. Sans-I/O.
//
// Thread safety: none; one owner per connection. Error contract: the first
// failure kills the channel; failure_reason() gives the distinct cause for
// the local log and audit record; the peer learns only that the connection
// closed.
#ifndef HOTLINE_SECURE_CHANNEL_H_
#define HOTLINE_SECURE_CHANNEL_H_

#include <functional>
#include <optional>

#include "hotline/certs.h"
#include "hotline/limits.h"
#include "hotline/noise_handshake.h"
#include "hotline/trust_dir.h"

namespace hotline {

inline constexpr std::string_view kLinkPrologue = "hotline.v1";

struct SecureChannelConfig {
  bool initiator = true;
  X25519KeyPair noise_static;
  Bytes certificate;              // our serialized Certificate
  const TrustStore* trust = nullptr;  // must outlive the channel
  std::function<int64_t()> now_unix;  // clock for validity checks
  int64_t allowed_skew_seconds = 300;
  v1::Role expected_peer_role = v1::ROLE_RELAY;
  std::optional<v1::Nation> expected_peer_nation;
  uint64_t rekey_after_messages = limits::kRekeyAfterMessages;
};

// The usual config for a process speaking as `self`: its Noise key and
// certificate, the trust store, the wall clock; the peer must hold
// `expected_peer_role`.
SecureChannelConfig ChannelConfigFor(const Identity& self, const TrustStore& trust, bool initiator,
                                     v1::Role expected_peer_role);

// A responder answers only with a message 2 no longer than message 1:
// fails if `certificate` would make it longer (checked at relay start).
Status CheckResponderCertificateFits(const Bytes& certificate);

class SecureChannel {
 public:
  explicit SecureChannel(SecureChannelConfig config);

  // Initiator only: the first handshake message (to be framed and sent).
  Status Start(Bytes& out);
  // Consumes one handshake message from the peer; may append our reply to `out`.
  Status OnHandshakeMessage(ByteView message, Bytes& out);

  bool initiator() const { return config_.initiator; }
  bool established() const { return transport_.has_value(); }
  bool dead() const { return dead_; }
  const std::string& failure_reason() const { return failure_reason_; }
  // Valid once the peer's certificate has been accepted.
  const v1::CertificateDetails& peer() const { return peer_; }
  bool peer_known() const { return peer_known_; }
  // The peer's certificate checked again against the trust store as it is
  // now (after a revocation or a new root document reached this host).
  CertCheck RecheckPeer() const;

  // Responder only, after a failed message 3 whose certificate names the
  // very Noise key that completed the handshake (the peer holds it): one
  // transport message carrying LinkFrame{error{CODE_CERTIFICATE_REFUSED}}
  // that says why, to send before closing. Empty otherwise. It is encrypted
  // to that key alone, and shorter than message 1: no amplification.
  const Bytes& refusal() const { return refusal_; }

  // Transport phase: one Noise message per call.
  Status Encrypt(ByteView plaintext, Bytes& out);
  Status Decrypt(ByteView message, Bytes& plaintext);
  // True once the send or receive counter reaches rekey_after_messages
  // (B16): the owner must close and re-handshake.
  bool NeedsRekey() const;

  // For tests of nonce exhaustion.
  void SetSendNonceForTesting(uint64_t n) { transport_->send.SetNonce(n); }

 private:
  Status Fail(std::string reason);
  Status CheckPeer(ByteView payload);
  Status WritePayloadMessage(Bytes& out);
  Status FinishIfComplete();
  void PrepareRefusal(ByteView payload, const std::string& why);

  SecureChannelConfig config_;
  std::optional<noise::HandshakeState> handshake_;
  std::optional<noise::TransportCiphers> transport_;
  CertExpectations PeerExpectations() const;

  v1::CertificateDetails peer_;
  std::string peer_certificate_;
  bool peer_known_ = false;
  bool dead_ = false;
  std::string failure_reason_;
  Bytes refusal_;
};

}  // namespace hotline

#endif  // HOTLINE_SECURE_CHANNEL_H_
