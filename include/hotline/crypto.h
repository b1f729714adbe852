// Thin, typed wrappers over the libsodium primitives the hotline uses:
// BLAKE2b-512, HMAC-BLAKE2b and the Noise HKDF (Noise rev 34 §4.3, built
// here because libsodium 1.0.18 has neither), SHA-256, X25519, Ed25519 and
// randomness.
//
// Thread safety: all functions are reentrant once InitCrypto() has returned.
// Error contract: operations that can fail on hostile input (DH with a
// low-order point, signature verification) return Status / bool.
#ifndef HOTLINE_CRYPTO_H_
#define HOTLINE_CRYPTO_H_

#include <array>
#include <initializer_list>

#include "hotline/bytes.h"

namespace hotline {

inline constexpr size_t kBlake2bLen = 64;      // Noise HASHLEN for BLAKE2b
inline constexpr size_t kBlake2bBlockLen = 128;  // Noise BLOCKLEN for BLAKE2b
inline constexpr size_t kSha256Len = 32;
inline constexpr size_t kX25519Len = 32;
inline constexpr size_t kEd25519PublicLen = 32;
inline constexpr size_t kEd25519SeedLen = 32;
inline constexpr size_t kEd25519SignatureLen = 64;

using Blake2bDigest = std::array<uint8_t, kBlake2bLen>;
using Sha256Digest = std::array<uint8_t, kSha256Len>;
using X25519Public = std::array<uint8_t, kX25519Len>;
using X25519Secret = Secret<kX25519Len>;
using Ed25519Public = std::array<uint8_t, kEd25519PublicLen>;
using Ed25519Seed = Secret<kEd25519SeedLen>;
// libsodium's expanded secret key (seed || public key): signing with it
// avoids re-deriving the key on every signature.
inline constexpr size_t kEd25519SecretLen = 64;
using Ed25519Secret = Secret<kEd25519SecretLen>;
using Ed25519Signature = std::array<uint8_t, kEd25519SignatureLen>;

// Must be called once before any other function here; safe to call again.
Status InitCrypto();

void RandomFill(std::span<uint8_t> out);
Bytes RandomBytes(size_t n);

Blake2bDigest Blake2b(std::initializer_list<ByteView> parts);
Sha256Digest Sha256(std::initializer_list<ByteView> parts);

// HMAC (RFC 2104) instantiated with BLAKE2b-512, as Noise §4.3 requires.
Blake2bDigest HmacBlake2b(ByteView key, std::initializer_list<ByteView> parts);

// Noise §4.3 HKDF(chaining_key, input_key_material, num_outputs) for
// num_outputs of 2 or 3; unused outputs are left zero.
struct HkdfOutputs {
  Secret<kBlake2bLen> out1, out2, out3;
};
HkdfOutputs NoiseHkdf(ByteView chaining_key, ByteView input_key_material, int num_outputs);

struct X25519KeyPair {
  X25519Secret secret;
  X25519Public public_key{};
};
X25519KeyPair GenerateX25519();
X25519KeyPair X25519FromSecret(ByteView secret);
// Fails for a low-order or otherwise degenerate peer key (all-zero output).
Status X25519Dh(const X25519Secret& secret, ByteView peer_public, Secret<kX25519Len>& shared);

struct Ed25519KeyPair {
  Ed25519Secret secret;  // seed is the first 32 bytes
  Ed25519Public public_key{};
  ByteView seed() const { return secret.view().first(kEd25519SeedLen); }
};
Ed25519KeyPair GenerateEd25519();
Ed25519KeyPair Ed25519FromSeed(ByteView seed);
Ed25519Signature Ed25519Sign(const Ed25519Secret& secret, ByteView message);
bool Ed25519Verify(ByteView public_key, ByteView message, ByteView signature);

// Domain-separated signing input: tag || 0x00 || for each part (u32 BE
// length || bytes). A signature over one tag never verifies under another.
Bytes DomainSeparated(std::string_view tag, std::initializer_list<ByteView> parts);

}  // namespace hotline

#endif  // HOTLINE_CRYPTO_H_
