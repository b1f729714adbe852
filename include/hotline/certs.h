// The trilateral PKI (after Nebula's cert/): a root Ed25519 key signs
// certificates that bind a subject, nation and role to three public keys,
// and signs revocation lists of serials. Pure functions and a TrustStore;
// no files (see trust_dir.h for those).
//
// Thread safety: TrustStore is immutable after construction except for
// SetRevocationList, which needs external synchronisation.
// Error contract: Verify returns a CertCheck naming one distinct failure
// reason for the local log; peers only ever learn "rejected".
#ifndef HOTLINE_CERTS_H_
#define HOTLINE_CERTS_H_

#include <optional>
#include <set>
#include <string>

#include "hotline/crypto.h"
#include "hotline/v1/cert.pb.h"

namespace hotline {

inline constexpr std::string_view kCertificateTag = "hotline.v1.certificate";
inline constexpr std::string_view kRevocationListTag = "hotline.v1.revocation-list";
inline constexpr uint32_t kCertificateVersion = 1;
inline constexpr size_t kKeyIdLen = 8;

// First 8 bytes of SHA-256(signing public key).
Bytes KeyIdOf(ByteView signing_public_key);
std::string NationCode(v1::Nation nation);              // "US", "JP", "KR", "--"
StatusOr<v1::Nation> ParseNation(std::string_view code);  // case-insensitive
std::string RoleName(v1::Role role);                    // "root", "node", "relay"
std::string FormatUnixUtc(int64_t unix_seconds);        // "2026-11-29T19:00:00Z"

// Signs `details` with the root (or, for the root itself, its own) key.
v1::Certificate SignCertificate(const v1::CertificateDetails& details,
                                const Ed25519Secret& issuer_secret);
v1::RevocationList SignRevocationList(const v1::RevocationListDetails& details,
                                      const Ed25519Secret& issuer_secret);

// Parses a serialized Certificate and its details, bounded in size; checks
// structure only (key lengths, version), not the signature.
struct ParsedCertificate {
  v1::Certificate certificate;
  v1::CertificateDetails details;
};
StatusOr<ParsedCertificate> ParseCertificate(ByteView encoded);

enum class CertFailure {
  kNone = 0,
  kMalformed,        // unparsable, wrong key sizes, unknown version
  kUnknownIssuer,    // issuer key id is not our root's
  kBadSignature,     // does not verify under the root key
  kNotYetValid,
  kExpired,
  kWrongRole,
  kWrongNation,
  kRevoked,
  kKeyMismatch,      // the Noise static key is not the certificate's
};
std::string_view CertFailureName(CertFailure failure);

struct CertCheck {
  CertFailure failure = CertFailure::kNone;
  std::string message;                 // for the local log only
  std::optional<ParsedCertificate> cert;
  bool ok() const { return failure == CertFailure::kNone; }
};

struct CertExpectations {
  int64_t now_unix = 0;
  int64_t allowed_skew_seconds = 300;
  std::optional<v1::Role> role;
  std::optional<v1::Nation> nation;
  std::optional<X25519Public> noise_public_key;
  // False: skip not-before / not-after (the caller judges validity at
  // another instant, e.g. when an envelope was made).
  bool check_validity_period = true;
};

class TrustStore {
 public:
  // `root_certificate` must be a valid self-signed ROLE_ROOT certificate.
  static StatusOr<TrustStore> Create(ByteView root_certificate);

  // Replaces the revocation list if it is signed by the root and not older
  // than the current one.
  Status SetRevocationList(ByteView encoded_list);

  CertCheck Verify(ByteView encoded_certificate, const CertExpectations& expect) const;

  bool IsRevoked(uint64_t serial) const { return revoked_.count(serial) != 0; }
  const v1::CertificateDetails& root() const { return root_; }
  uint64_t revocation_list_number() const { return crl_number_; }

 private:
  v1::CertificateDetails root_;
  Bytes root_key_id_;
  std::set<uint64_t> revoked_;
  uint64_t crl_number_ = 0;
};

}  // namespace hotline

#endif  // HOTLINE_CERTS_H_
