#include "hotline/secure_channel.h"

#include <algorithm>

#include "hotline/limits.h"
#include "hotline/net_util.h"
#include "hotline/v1/link.pb.h"

namespace hotline {

SecureChannelConfig ChannelConfigFor(const Identity& self, const TrustStore& trust, bool initiator,
                                     v1::Role expected_peer_role) {
  SecureChannelConfig c;
  c.initiator = initiator;
  c.noise_static = self.keys.noise;
  c.certificate = self.certificate;
  c.trust = &trust;
  c.now_unix = NowUnix;
  c.expected_peer_role = expected_peer_role;
  return c;
}

SecureChannel::SecureChannel(SecureChannelConfig config) : config_(std::move(config)) {
  noise::HandshakeConfig hc;
  hc.pattern = noise::Pattern::kXX;
  hc.initiator = config_.initiator;
  hc.prologue = ToBytes(kLinkPrologue);
  hc.local_static = config_.noise_static;
  auto hs = noise::HandshakeState::Create(std::move(hc));
  if (hs.ok()) {
    handshake_.emplace(std::move(hs).value());
  } else {
    (void)Fail("cannot create handshake: " + hs.status().message());
  }
}

Status SecureChannel::Fail(std::string reason) {
  dead_ = true;
  if (failure_reason_.empty()) failure_reason_ = std::move(reason);
  return PermissionDeniedError(failure_reason_);
}

Status SecureChannel::Start(Bytes& out) {
  if (dead_) return Fail("channel is dead");
  if (!config_.initiator || !handshake_->IsMyTurn()) return Fail("Start() called out of turn");
  // XX message 1: "-> e" with zero padding (anti-amplification, see header).
  Bytes padding(limits::kHandshakeInitiationBytes - kX25519Len, 0);
  Status st = handshake_->WriteMessage(padding, out);
  if (!st.ok()) return Fail("noise: " + st.message());
  return Status::Ok();
}

namespace {
std::string HandshakePayloadFor(const Bytes& certificate) {
  v1::HandshakePayload payload;
  payload.set_version(1);
  payload.set_certificate(ToString(certificate));
  payload.set_software("hotline/0.1.0");
  return payload.SerializeAsString();
}
}  // namespace

Status CheckResponderCertificateFits(const Bytes& certificate) {
  // XX message 2: e (32) + encrypted s (32 + 16) + encrypted payload (+ 16).
  size_t message2 = 32 + 48 + HandshakePayloadFor(certificate).size() + 16;
  if (message2 > limits::kHandshakeInitiationBytes) {
    return InvalidArgumentError("certificate too large: handshake message 2 would be " +
                                std::to_string(message2) + " bytes, more than the " +
                                std::to_string(limits::kHandshakeInitiationBytes) +
                                "-byte message 1 it answers (no amplification)");
  }
  return Status::Ok();
}

Status SecureChannel::WritePayloadMessage(Bytes& out) {
  Status st = handshake_->WriteMessage(AsBytes(HandshakePayloadFor(config_.certificate)), out);
  if (!st.ok()) return Fail("noise: " + st.message());
  return Status::Ok();
}

Status SecureChannel::CheckPeer(ByteView payload) {
  if (payload.size() > limits::kMaxHandshakePayload) return Fail("handshake payload too large");
  v1::HandshakePayload p;
  if (!p.ParseFromArray(payload.data(), static_cast<int>(payload.size())) || p.version() != 1) {
    return Fail("handshake payload is not a valid hotline.v1.HandshakePayload");
  }
  const auto& rs = handshake_->remote_static();
  if (!rs) return Fail("peer static key missing");
  CertExpectations expect = PeerExpectations();
  expect.noise_public_key = *rs;
  CertCheck check = config_.trust->Verify(AsBytes(p.certificate()), expect);
  if (!check.ok()) return Fail(check.message);
  peer_ = check.cert->details;
  peer_certificate_ = p.certificate();
  peer_known_ = true;
  return Status::Ok();
}

CertExpectations SecureChannel::PeerExpectations() const {
  CertExpectations expect;
  expect.now_unix = config_.now_unix();
  expect.allowed_skew_seconds = config_.allowed_skew_seconds;
  expect.role = config_.expected_peer_role;
  expect.nation = config_.expected_peer_nation;
  return expect;
}

CertCheck SecureChannel::RecheckPeer() const {
  if (!peer_known_) {
    CertCheck none;
    none.failure = CertFailure::kMalformed;
    none.message = "no peer certificate yet";
    return none;
  }
  CertExpectations expect = PeerExpectations();
  expect.nation = peer_.nation();
  return config_.trust->Verify(AsBytes(peer_certificate_), expect);
}

Status SecureChannel::FinishIfComplete() {
  if (!handshake_->IsComplete()) return Status::Ok();
  auto split = handshake_->Split();
  if (!split.ok()) return Fail("noise: " + split.status().message());
  transport_ = std::move(split).value();
  return Status::Ok();
}

Status SecureChannel::OnHandshakeMessage(ByteView message, Bytes& out) {
  if (dead_) return Fail("channel is dead");
  if (established()) return Fail("handshake message after the handshake completed");
  Bytes payload;
  Status st = handshake_->ReadMessage(message, payload);
  if (!st.ok()) return Fail("noise: " + st.message());
  if (config_.initiator) {
    // Read XX message 2 (<- e, ee, s, es): the responder's certificate.
    HOTLINE_RETURN_IF_ERROR(CheckPeer(payload));
    HOTLINE_RETURN_IF_ERROR(WritePayloadMessage(out));  // message 3: -> s, se
  } else if (!handshake_->IsComplete()) {
    // Read XX message 1 (-> e): its payload is zero padding, nothing else.
    if (std::any_of(payload.begin(), payload.end(), [](uint8_t b) { return b != 0; })) {
      return Fail("handshake message 1 padding is not all zeros");
    }
    size_t before = out.size();
    HOTLINE_RETURN_IF_ERROR(WritePayloadMessage(out));  // message 2
    if (size_t reply = out.size() - before; reply > message.size()) {
      out.resize(before);
      return Fail("handshake message 1 (" + std::to_string(message.size()) +
                  " bytes) is shorter than the reply (" + std::to_string(reply) +
                  " bytes): refusing to amplify");
    }
  } else {
    // Message 3: the initiator's certificate.
    if (Status refused = CheckPeer(payload); !refused.ok()) {
      PrepareRefusal(payload, refused.message());
      return refused;
    }
  }
  return FinishIfComplete();
}

void SecureChannel::PrepareRefusal(ByteView payload, const std::string& why) {
  // Only to a peer that proved it holds the key its certificate names:
  // anyone else (a stolen certificate, garbage) learns nothing.
  v1::HandshakePayload p;
  const auto& rs = handshake_->remote_static();
  if (!handshake_->IsComplete() || !rs ||
      !p.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return;
  }
  auto cert = ParseCertificate(AsBytes(p.certificate()));
  if (!cert.ok() || !ConstantTimeEqual(AsBytes(cert->details.noise_public_key()), *rs)) return;
  auto split = handshake_->Split();
  if (!split.ok()) return;
  v1::LinkFrame frame;
  frame.mutable_error()->set_code(v1::LinkError::CODE_CERTIFICATE_REFUSED);
  // Bounded: with message 2 it stays shorter than message 1 (PROTOCOL §3).
  frame.mutable_error()->set_message(why.substr(0, limits::kMaxRefusalText));
  std::string plaintext = frame.SerializeAsString();
  if (!split->send.EncryptWithAd({}, AsBytes(plaintext), refusal_).ok()) refusal_.clear();
}

Status SecureChannel::Encrypt(ByteView plaintext, Bytes& out) {
  if (dead_ || !established()) return FailedPreconditionError("channel not established");
  if (plaintext.size() > limits::kMaxFramePlaintext) {
    return InvalidArgumentError("link frame larger than one Noise message");
  }
  Status st = transport_->send.EncryptWithAd({}, plaintext, out);
  if (!st.ok()) return Fail("noise transport: " + st.message());
  return Status::Ok();
}

Status SecureChannel::Decrypt(ByteView message, Bytes& plaintext) {
  if (dead_ || !established()) return FailedPreconditionError("channel not established");
  Status st = transport_->receive.DecryptWithAd({}, message, plaintext);
  if (!st.ok()) {
    Status failed = Fail("noise transport: " + st.message());
    // Exhaustion is our counter's doing, not a bad frame: keep the code.
    return st.code() == StatusCode::kResourceExhausted ? ResourceExhaustedError(failed.message())
                                                       : failed;
  }
  return Status::Ok();
}

bool SecureChannel::NeedsRekey() const {
  return transport_ && (transport_->send.nonce() >= config_.rekey_after_messages ||
                        transport_->receive.nonce() >= config_.rekey_after_messages);
}

}  // namespace hotline
