#include "hotline/noise_cipher.h"

#include <sodium.h>

#include <limits>

namespace hotline::noise {
namespace {

// Noise §12.3: 32 bits of zeros followed by the little-endian 64-bit nonce.
std::array<uint8_t, crypto_aead_chacha20poly1305_IETF_NPUBBYTES> NoiseNonce(uint64_t n) {
  std::array<uint8_t, crypto_aead_chacha20poly1305_IETF_NPUBBYTES> out{};
  for (int i = 0; i < 8; ++i) out[4 + static_cast<size_t>(i)] = static_cast<uint8_t>(n >> (8 * i));
  return out;
}

}  // namespace

void CipherState::InitializeKey(ByteView key) {
  key_.Assign(key);
  has_key_ = true;
  nonce_ = 0;
}

Status CipherState::CheckUsable() {
  if (dead_) return FailedPreconditionError("cipher state is dead after an earlier failure");
  // §5.1: 2^64-1 is reserved; never let the counter reach or wrap past it.
  if (nonce_ == std::numeric_limits<uint64_t>::max()) {
    dead_ = true;
    return ResourceExhaustedError("noise nonce exhausted; a new handshake is required");
  }
  return Status::Ok();
}

Status CipherState::EncryptWithAd(ByteView ad, ByteView plaintext, Bytes& out) {
  if (!has_key_) {
    Append(out, plaintext);
    return Status::Ok();
  }
  HOTLINE_RETURN_IF_ERROR(CheckUsable());
  size_t offset = out.size();
  out.resize(offset + plaintext.size() + kTagLen);
  auto nonce = NoiseNonce(nonce_);
  unsigned long long written = 0;
  crypto_aead_chacha20poly1305_ietf_encrypt(out.data() + offset, &written, plaintext.data(),
                                            plaintext.size(), ad.data(), ad.size(), nullptr,
                                            nonce.data(), key_.data());
  ++nonce_;
  return Status::Ok();
}

Status CipherState::DecryptWithAd(ByteView ad, ByteView ciphertext, Bytes& out) {
  if (!has_key_) {
    Append(out, ciphertext);
    return Status::Ok();
  }
  HOTLINE_RETURN_IF_ERROR(CheckUsable());
  if (ciphertext.size() < kTagLen) {
    dead_ = true;
    return DataLossError("noise ciphertext shorter than its tag");
  }
  size_t offset = out.size();
  out.resize(offset + ciphertext.size() - kTagLen);
  auto nonce = NoiseNonce(nonce_);
  unsigned long long written = 0;
  if (crypto_aead_chacha20poly1305_ietf_decrypt(out.data() + offset, &written, nullptr,
                                                ciphertext.data(), ciphertext.size(), ad.data(),
                                                ad.size(), nonce.data(), key_.data()) != 0) {
    out.resize(offset);
    dead_ = true;
    return DataLossError("noise message failed authentication");
  }
  ++nonce_;
  return Status::Ok();
}

}  // namespace hotline::noise
