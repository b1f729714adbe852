#include "hotline/crypto.h"

#include <sodium.h>

namespace hotline {

Status InitCrypto() {
  if (sodium_init() < 0) return InternalError("libsodium failed to initialise");
  return Status::Ok();
}

void RandomFill(std::span<uint8_t> out) { randombytes_buf(out.data(), out.size()); }

Bytes RandomBytes(size_t n) {
  Bytes out(n);
  RandomFill(out);
  return out;
}

Blake2bDigest Blake2b(std::initializer_list<ByteView> parts) {
  crypto_generichash_blake2b_state state;
  crypto_generichash_blake2b_init(&state, nullptr, 0, kBlake2bLen);
  for (ByteView p : parts) crypto_generichash_blake2b_update(&state, p.data(), p.size());
  Blake2bDigest out;
  crypto_generichash_blake2b_final(&state, out.data(), out.size());
  return out;
}

Sha256Digest Sha256(std::initializer_list<ByteView> parts) {
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  for (ByteView p : parts) crypto_hash_sha256_update(&state, p.data(), p.size());
  Sha256Digest out;
  crypto_hash_sha256_final(&state, out.data());
  return out;
}

// RFC 2104: H((K ^ opad) || H((K ^ ipad) || text)), keys longer than a block
// are hashed first.
Blake2bDigest HmacBlake2b(ByteView key, std::initializer_list<ByteView> parts) {
  Secret<kBlake2bBlockLen> block;
  if (key.size() > kBlake2bBlockLen) {
    Blake2bDigest hashed = Blake2b({key});
    std::copy(hashed.begin(), hashed.end(), block.data());
    Wipe(hashed);
  } else {
    std::copy(key.begin(), key.end(), block.data());
  }
  Secret<kBlake2bBlockLen> ipad, opad;
  for (size_t i = 0; i < kBlake2bBlockLen; ++i) {
    ipad.data()[i] = block.data()[i] ^ 0x36;
    opad.data()[i] = block.data()[i] ^ 0x5c;
  }
  crypto_generichash_blake2b_state state;
  crypto_generichash_blake2b_init(&state, nullptr, 0, kBlake2bLen);
  crypto_generichash_blake2b_update(&state, ipad.data(), ipad.size());
  for (ByteView p : parts) crypto_generichash_blake2b_update(&state, p.data(), p.size());
  Blake2bDigest inner;
  crypto_generichash_blake2b_final(&state, inner.data(), inner.size());
  Blake2bDigest out = Blake2b({opad.view(), inner});
  Wipe(inner);
  sodium_memzero(&state, sizeof state);
  return out;
}

HkdfOutputs NoiseHkdf(ByteView chaining_key, ByteView input_key_material, int num_outputs) {
  HkdfOutputs out;
  Blake2bDigest temp_key = HmacBlake2b(chaining_key, {input_key_material});
  static constexpr uint8_t kOne = 0x01, kTwo = 0x02, kThree = 0x03;
  Blake2bDigest o1 = HmacBlake2b(temp_key, {ByteView(&kOne, 1)});
  Blake2bDigest o2 = HmacBlake2b(temp_key, {o1, ByteView(&kTwo, 1)});
  out.out1.Assign(o1);
  out.out2.Assign(o2);
  if (num_outputs == 3) {
    Blake2bDigest o3 = HmacBlake2b(temp_key, {o2, ByteView(&kThree, 1)});
    out.out3.Assign(o3);
    Wipe(o3);
  }
  Wipe(o1);
  Wipe(o2);
  Wipe(temp_key);
  return out;
}

X25519KeyPair GenerateX25519() {
  X25519KeyPair kp;
  crypto_box_keypair(kp.public_key.data(), kp.secret.data());
  return kp;
}

X25519KeyPair X25519FromSecret(ByteView secret) {
  X25519KeyPair kp;
  kp.secret.Assign(secret);
  crypto_scalarmult_base(kp.public_key.data(), kp.secret.data());
  return kp;
}

Status X25519Dh(const X25519Secret& secret, ByteView peer_public, Secret<kX25519Len>& shared) {
  if (peer_public.size() != kX25519Len) return InvalidArgumentError("X25519 key is not 32 bytes");
  // libsodium returns -1 when the result is all zeros (a low-order point).
  if (crypto_scalarmult(shared.data(), secret.data(), peer_public.data()) != 0) {
    return PermissionDeniedError("X25519 with a low-order public key");
  }
  return Status::Ok();
}

Ed25519KeyPair GenerateEd25519() {
  Ed25519Seed seed;
  RandomFill(seed.mutable_view());
  return Ed25519FromSeed(seed.view());
}

Ed25519KeyPair Ed25519FromSeed(ByteView seed) {
  Ed25519KeyPair kp;
  crypto_sign_seed_keypair(kp.public_key.data(), kp.secret.data(), seed.data());
  return kp;
}

Ed25519Signature Ed25519Sign(const Ed25519Secret& secret, ByteView message) {
  Ed25519Signature sig;
  crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), secret.data());
  return sig;
}

bool Ed25519Verify(ByteView public_key, ByteView message, ByteView signature) {
  if (public_key.size() != kEd25519PublicLen || signature.size() != kEd25519SignatureLen) {
    return false;
  }
  return crypto_sign_verify_detached(signature.data(), message.data(), message.size(),
                                     public_key.data()) == 0;
}

Bytes DomainSeparated(std::string_view tag, std::initializer_list<ByteView> parts) {
  Bytes out;
  Append(out, AsBytes(tag));
  out.push_back(0);
  for (ByteView p : parts) {
    AppendU32BE(out, static_cast<uint32_t>(p.size()));
    Append(out, p);
  }
  return out;
}

}  // namespace hotline
