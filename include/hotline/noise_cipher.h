// Noise CipherState (Noise rev 34 §5.1) with ChaChaPoly: ChaCha20-Poly1305
// IETF, 96-bit nonce = 4 zero bytes || little-endian 64-bit counter (§12.3).
//
// Thread safety: none; one owner. Error contract: a failed decryption, or an
// attempt to use the reserved nonce 2^64-1, makes the state dead (sticky):
// every later call fails. The nonce never wraps.
#ifndef HOTLINE_NOISE_CIPHER_H_
#define HOTLINE_NOISE_CIPHER_H_

#include <cstdint>

#include "hotline/bytes.h"

namespace hotline::noise {

inline constexpr size_t kKeyLen = 32;
inline constexpr size_t kTagLen = 16;
inline constexpr size_t kMaxMessageLen = 65535;  // Noise §3

class CipherState {
 public:
  CipherState() = default;
  CipherState(const CipherState&) = default;
  CipherState& operator=(const CipherState&) = default;

  void InitializeKey(ByteView key);  // key.size() == kKeyLen
  bool HasKey() const { return has_key_; }
  void SetNonce(uint64_t nonce) { nonce_ = nonce; }
  uint64_t nonce() const { return nonce_; }
  bool dead() const { return dead_; }

  // Appends the ciphertext (or the plaintext, with no key) to `out`.
  Status EncryptWithAd(ByteView ad, ByteView plaintext, Bytes& out);
  // Appends the plaintext to `out`; fails on a bad tag.
  Status DecryptWithAd(ByteView ad, ByteView ciphertext, Bytes& out);

 private:
  Status CheckUsable();

  Secret<kKeyLen> key_;
  bool has_key_ = false;
  bool dead_ = false;
  uint64_t nonce_ = 0;
};

}  // namespace hotline::noise

#endif  // HOTLINE_NOISE_CIPHER_H_
