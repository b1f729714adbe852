#include "hotline/noise_handshake.h"

#include <algorithm>

namespace hotline::noise {
namespace {

struct PatternSpec {
  Pattern pattern;
  const char* name;
  bool initiator_pre_s;  // "-> s" pre-message
  bool responder_pre_s;  // "<- s" pre-message
};

// Noise §7.4 and §7.5.
constexpr PatternSpec kSpecs[] = {
    {Pattern::kXX, "XX", false, false},
    {Pattern::kIK, "IK", false, true},
    {Pattern::kKK, "KK", true, true},
    {Pattern::kNK, "NK", false, true},
};

const PatternSpec& SpecFor(Pattern p) {
  for (const auto& s : kSpecs)
    if (s.pattern == p) return s;
  return kSpecs[0];
}

}  // namespace

std::string ProtocolName(Pattern pattern) {
  return std::string("Noise_") + SpecFor(pattern).name + "_25519_ChaChaPoly_BLAKE2b";
}

StatusOr<Pattern> PatternFromProtocolName(std::string_view name) {
  for (const auto& s : kSpecs)
    if (name == ProtocolName(s.pattern)) return s.pattern;
  return InvalidArgumentError("unsupported Noise protocol: " + std::string(name));
}

StatusOr<HandshakeState> HandshakeState::Create(HandshakeConfig config) {
  using T = Token;
  HandshakeState hs;
  // Message patterns written in the spec's notation.
  switch (config.pattern) {
    case Pattern::kXX:  // -> e   <- e, ee, s, es   -> s, se
      hs.messages_ = {{{T::kE}}, {{T::kE, T::kEE, T::kS, T::kES}}, {{T::kS, T::kSE}}};
      break;
    case Pattern::kIK:  // <- s ...  -> e, es, s, ss   <- e, ee, se
      hs.messages_ = {{{T::kE, T::kES, T::kS, T::kSS}}, {{T::kE, T::kEE, T::kSE}}};
      break;
    case Pattern::kKK:  // -> s <- s ...  -> e, es, ss   <- e, ee, se
      hs.messages_ = {{{T::kE, T::kES, T::kSS}}, {{T::kE, T::kEE, T::kSE}}};
      break;
    case Pattern::kNK:  // <- s ...  -> e, es   <- e, ee
      hs.messages_ = {{{T::kE, T::kES}}, {{T::kE, T::kEE}}};
      break;
  }
  const PatternSpec& spec = SpecFor(config.pattern);
  hs.initiator_ = config.initiator;
  hs.s_ = std::move(config.local_static);
  hs.e_ = std::move(config.local_ephemeral);
  hs.remote_static_ = config.remote_static;

  bool needs_local_s = config.pattern != Pattern::kNK || !config.initiator;
  if (needs_local_s && !hs.s_) return InvalidArgumentError("pattern needs a local static key");
  bool needs_remote_s = config.initiator ? spec.responder_pre_s : spec.initiator_pre_s;
  if (needs_remote_s && !hs.remote_static_) {
    return InvalidArgumentError("pattern needs the remote static key in advance");
  }

  // §5.2 InitializeSymmetric.
  std::string name = ProtocolName(config.pattern);
  hs.hash_.fill(0);
  if (name.size() <= kBlake2bLen) {
    std::copy(name.begin(), name.end(), hs.hash_.begin());
  } else {
    hs.hash_ = Blake2b({AsBytes(name)});
  }
  hs.chaining_key_.Assign(hs.hash_);
  hs.MixHash(config.prologue);
  // §7.1: pre-message keys, the initiator's first.
  if (spec.initiator_pre_s) {
    hs.MixHash(config.initiator ? ByteView(hs.s_->public_key) : ByteView(*hs.remote_static_));
  }
  if (spec.responder_pre_s) {
    hs.MixHash(config.initiator ? ByteView(*hs.remote_static_) : ByteView(hs.s_->public_key));
  }
  return hs;
}

bool HandshakeState::IsMyTurn() const {
  bool initiator_turn = next_message_ % 2 == 0;
  return !IsComplete() && initiator_turn == initiator_;
}

bool HandshakeState::IsComplete() const { return next_message_ >= messages_.size(); }

void HandshakeState::MixHash(ByteView data) { hash_ = Blake2b({hash_, data}); }

void HandshakeState::MixKey(ByteView input_key_material) {
  HkdfOutputs out = NoiseHkdf(chaining_key_.view(), input_key_material, 2);
  chaining_key_ = out.out1;
  cipher_.InitializeKey(out.out2.view().first(kKeyLen));  // §5.2: truncate to 32
}

Status HandshakeState::EncryptAndHash(ByteView plaintext, Bytes& out) {
  size_t start = out.size();
  HOTLINE_RETURN_IF_ERROR(cipher_.EncryptWithAd(hash_, plaintext, out));
  MixHash(ByteView(out).subspan(start));
  return Status::Ok();
}

Status HandshakeState::DecryptAndHash(ByteView ciphertext, Bytes& out) {
  HOTLINE_RETURN_IF_ERROR(cipher_.DecryptWithAd(hash_, ciphertext, out));
  MixHash(ciphertext);
  return Status::Ok();
}

Status HandshakeState::MixDh(const X25519Secret& secret,
                             const std::optional<X25519Public>& remote) {
  if (!remote) return InternalError("noise DH before the remote key is known");
  Secret<kX25519Len> shared;
  HOTLINE_RETURN_IF_ERROR(X25519Dh(secret, *remote, shared));
  MixKey(shared.view());
  return Status::Ok();
}

Status HandshakeState::ProcessDhToken(Token token) {
  switch (token) {
    case Token::kEE:
      return MixDh(e_->secret, remote_ephemeral_);
    case Token::kES:  // initiator's e with responder's s
      return initiator_ ? MixDh(e_->secret, remote_static_) : MixDh(s_->secret, remote_ephemeral_);
    case Token::kSE:  // initiator's s with responder's e
      return initiator_ ? MixDh(s_->secret, remote_ephemeral_) : MixDh(e_->secret, remote_static_);
    case Token::kSS:
      return MixDh(s_->secret, remote_static_);
    default:
      return InternalError("not a DH token");
  }
}

Status HandshakeState::Fail(Status status) {
  dead_ = true;
  return status;
}

Status HandshakeState::WriteMessage(ByteView payload, Bytes& out) {
  if (dead_) return FailedPreconditionError("handshake is dead after an earlier failure");
  if (!IsMyTurn()) return Fail(FailedPreconditionError("handshake write out of turn"));
  size_t start = out.size();
  for (Token token : messages_[next_message_].tokens) {
    if (token == Token::kE) {
      if (!e_) e_ = GenerateX25519();
      Append(out, e_->public_key);
      MixHash(e_->public_key);
    } else if (token == Token::kS) {
      Status st = EncryptAndHash(s_->public_key, out);
      if (!st.ok()) return Fail(st);
    } else {
      Status st = ProcessDhToken(token);
      if (!st.ok()) return Fail(st);
    }
  }
  Status st = EncryptAndHash(payload, out);
  if (!st.ok()) return Fail(st);
  if (out.size() - start > kMaxMessageLen) {
    return Fail(InvalidArgumentError("noise handshake message exceeds 65535 bytes"));
  }
  ++next_message_;
  return Status::Ok();
}

Status HandshakeState::ReadMessage(ByteView message, Bytes& payload) {
  if (dead_) return FailedPreconditionError("handshake is dead after an earlier failure");
  if (IsComplete() || IsMyTurn()) return Fail(FailedPreconditionError("handshake read out of turn"));
  if (message.size() > kMaxMessageLen) {
    return Fail(InvalidArgumentError("noise handshake message exceeds 65535 bytes"));
  }
  ByteView rest = message;
  for (Token token : messages_[next_message_].tokens) {
    if (token == Token::kE) {
      if (rest.size() < kX25519Len) return Fail(DataLossError("handshake message too short (e)"));
      X25519Public re;
      std::copy_n(rest.begin(), kX25519Len, re.begin());
      remote_ephemeral_ = re;
      MixHash(re);
      rest = rest.subspan(kX25519Len);
    } else if (token == Token::kS) {
      size_t len = kX25519Len + (cipher_.HasKey() ? kTagLen : 0);
      if (rest.size() < len) return Fail(DataLossError("handshake message too short (s)"));
      Bytes rs;
      Status st = DecryptAndHash(rest.first(len), rs);
      if (!st.ok()) return Fail(st);
      X25519Public key;
      std::copy_n(rs.begin(), kX25519Len, key.begin());
      remote_static_ = key;
      rest = rest.subspan(len);
    } else {
      Status st = ProcessDhToken(token);
      if (!st.ok()) return Fail(st);
    }
  }
  Status st = DecryptAndHash(rest, payload);
  if (!st.ok()) return Fail(st);
  ++next_message_;
  return Status::Ok();
}

StatusOr<TransportCiphers> HandshakeState::Split() const {
  if (dead_ || !IsComplete()) return FailedPreconditionError("handshake is not complete");
  HkdfOutputs out = NoiseHkdf(chaining_key_.view(), ByteView(), 2);
  CipherState c1, c2;
  c1.InitializeKey(out.out1.view().first(kKeyLen));
  c2.InitializeKey(out.out2.view().first(kKeyLen));
  if (initiator_) return TransportCiphers{c1, c2};
  return TransportCiphers{c2, c1};
}

ByteView HandshakeState::handshake_hash() const { return hash_; }

}  // namespace hotline::noise
