// Epoch keys (docs/PROTOCOL.md §4 "Forward secrecy"): a node's short-lived
// X25519 public key, signed by its certificate's signing key, so that an
// envelope wrapped for it cannot be opened once both ends have destroyed
// the secrets — whoever later steals a long-term key included.
//
// Thread safety: pure functions. Error contract: VerifyEpochKey names the
// first check that failed.
#ifndef HOTLINE_EPOCH_KEY_H_
#define HOTLINE_EPOCH_KEY_H_

#include "hotline/crypto.h"
#include "hotline/v1/envelope.pb.h"

namespace hotline {

inline constexpr std::string_view kEpochKeyTag = "hotline.v1.epoch-key";
inline constexpr size_t kMaxSignedEpochKeyBytes = 256;

// Serialized SignedEpochKey over `details`.
std::string SignEpochKey(const v1::EpochKeyDetails& details, const Ed25519KeyPair& signing);

// Longest an epoch key may be used and kept (bounds what a stolen signing
// key can plant).
inline constexpr int64_t kMaxEpochMs = 7 * 86400 * 1000LL;
inline constexpr int64_t kMaxEpochKeepMs = 30 * 86400 * 1000LL;

// Parses `encoded` (a SignedEpochKey) and checks it: signed by
// `signing_key` of certificate `cert_serial`, version 1, a 32-byte key,
// `nation`, not_before <= not_after <= not_before + 7 days, not_after <=
// keep_until <= not_after + 30 days.
StatusOr<v1::EpochKeyDetails> VerifyEpochKey(ByteView encoded, const Ed25519Public& signing_key,
                                             v1::Nation nation, uint64_t cert_serial);
// Until when a sender may wrap for it: not_after + (keep_until - not_after) / 2.
int64_t EpochUsableUntil(const v1::EpochKeyDetails& details);

}  // namespace hotline

#endif  // HOTLINE_EPOCH_KEY_H_
