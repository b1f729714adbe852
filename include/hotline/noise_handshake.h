// Noise HandshakeState (Noise rev 34 §5.3) for the 25519 / ChaChaPoly /
// BLAKE2b suite and the patterns XX, IK, KK and NK. A sans-I/O state
// machine: bytes in, bytes out, no sockets. The hotline link uses XX; the
// other patterns exist so that every shared test vector can be replayed.
//
// Thread safety: none; one owner. Error contract: the first failure (bad
// tag, low-order key, wrong length, out-of-turn call) kills the handshake;
// every later call fails with the same error class.
#ifndef HOTLINE_NOISE_HANDSHAKE_H_
#define HOTLINE_NOISE_HANDSHAKE_H_

#include <optional>
#include <string>
#include <vector>

#include "hotline/crypto.h"
#include "hotline/noise_cipher.h"

namespace hotline::noise {

enum class Pattern { kXX, kIK, kKK, kNK };

// "Noise_XX_25519_ChaChaPoly_BLAKE2b" and so on.
std::string ProtocolName(Pattern pattern);
StatusOr<Pattern> PatternFromProtocolName(std::string_view name);

struct HandshakeConfig {
  Pattern pattern = Pattern::kXX;
  bool initiator = true;
  Bytes prologue;
  std::optional<X25519KeyPair> local_static;
  // Only for known-answer tests; normally generated.
  std::optional<X25519KeyPair> local_ephemeral;
  // The responder's static key for IK/KK/NK; the initiator's for KK.
  std::optional<X25519Public> remote_static;
};

// The two transport CipherStates after Split() (§5.2), oriented for this side.
struct TransportCiphers {
  CipherState send;
  CipherState receive;
};

class HandshakeState {
 public:
  // Fails if the config lacks a key the pattern needs.
  static StatusOr<HandshakeState> Create(HandshakeConfig config);

  // True when the next call should be WriteMessage (false: ReadMessage).
  bool IsMyTurn() const;
  bool IsComplete() const;
  bool dead() const { return dead_; }

  // Appends the next handshake message to `out`.
  Status WriteMessage(ByteView payload, Bytes& out);
  // Processes a peer's handshake message; appends its payload to `payload`.
  Status ReadMessage(ByteView message, Bytes& payload);

  // Valid once IsComplete().
  StatusOr<TransportCiphers> Split() const;
  ByteView handshake_hash() const;
  // The peer's static key, once received (or pre-known).
  const std::optional<X25519Public>& remote_static() const { return remote_static_; }

 private:
  enum class Token : uint8_t { kE, kS, kEE, kES, kSE, kSS };
  struct MessagePattern {
    std::vector<Token> tokens;
  };

  HandshakeState() = default;
  void MixHash(ByteView data);
  void MixKey(ByteView input_key_material);
  Status EncryptAndHash(ByteView plaintext, Bytes& out);
  Status DecryptAndHash(ByteView ciphertext, Bytes& out);
  Status MixDh(const X25519Secret& secret, const std::optional<X25519Public>& remote);
  Status ProcessDhToken(Token token);
  Status Fail(Status status);

  std::vector<MessagePattern> messages_;
  size_t next_message_ = 0;
  bool initiator_ = true;
  bool dead_ = false;
  Secret<kBlake2bLen> chaining_key_;
  Blake2bDigest hash_{};
  CipherState cipher_;
  std::optional<X25519KeyPair> s_, e_;
  std::optional<X25519Public> remote_static_, remote_ephemeral_;
};

}  // namespace hotline::noise

#endif  // HOTLINE_NOISE_HANDSHAKE_H_
