#include "hotline/epoch_key.h"

#include "hotline/certs.h"

namespace hotline {

std::string SignEpochKey(const v1::EpochKeyDetails& details, const Ed25519KeyPair& signing) {
  v1::SignedEpochKey signed_key;
  signed_key.set_details(details.SerializeAsString());
  Ed25519Signature sig =
      Ed25519Sign(signing.secret, DomainSeparated(kEpochKeyTag, {AsBytes(signed_key.details())}));
  signed_key.set_signature(ToString(sig));
  return signed_key.SerializeAsString();
}

int64_t EpochUsableUntil(const v1::EpochKeyDetails& d) {
  return d.not_after_ms() +
         (d.keep_until_ms() - d.not_after_ms()) / 2;  // bounded by VerifyEpochKey
}

StatusOr<v1::EpochKeyDetails> VerifyEpochKey(ByteView encoded, const Ed25519Public& signing_key,
                                             v1::Nation nation, uint64_t cert_serial) {
  v1::SignedEpochKey signed_key;
  v1::EpochKeyDetails details;
  if (encoded.size() > kMaxSignedEpochKeyBytes ||
      !signed_key.ParseFromArray(encoded.data(), static_cast<int>(encoded.size())) ||
      !details.ParseFromString(signed_key.details())) {
    return InvalidArgumentError("epoch key is not a valid hotline.v1.SignedEpochKey");
  }
  if (!Ed25519Verify(signing_key, DomainSeparated(kEpochKeyTag, {AsBytes(signed_key.details())}),
                     AsBytes(signed_key.signature()))) {
    return PermissionDeniedError("epoch key signature does not verify for " + NationCode(nation));
  }
  if (details.version() != 1 || details.public_key().size() != kX25519Len || details.epoch() == 0 ||
      details.not_before_ms() < 0 || details.not_after_ms() < details.not_before_ms() ||
      details.not_after_ms() - details.not_before_ms() > kMaxEpochMs ||
      details.keep_until_ms() < details.not_after_ms() ||
      details.keep_until_ms() - details.not_after_ms() > kMaxEpochKeepMs ||
      details.keep_until_ms() > (int64_t{1} << 52)) {  // no arithmetic on it can overflow
    return InvalidArgumentError("epoch key of " + NationCode(nation) + " is malformed");
  }
  if (details.cert_serial() != cert_serial) {
    return PermissionDeniedError(
        "epoch key of " + NationCode(nation) + " names certificate serial " +
        std::to_string(details.cert_serial()) + ", not the one that signed it");
  }
  if (details.nation() != nation) {
    return PermissionDeniedError("epoch key names " + NationCode(details.nation()) + ", not " +
                                 NationCode(nation));
  }
  return details;
}

}  // namespace hotline
