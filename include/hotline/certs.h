// The trilateral PKI. No single key is the root: a root document lists the
// three national root keys and a threshold (2 of 3, after TUF's root
// metadata); a node or relay certificate binds a subject, nation and role
// to three public keys and is valid only with signatures by its own
// nation's root and at least one other; a nation revokes its own
// certificates alone, anyone else's only with the threshold. Pure
// functions and a TrustStore; no files (see trust_dir.h for those).
//
// Thread safety: TrustStore is immutable after construction except for
// AddRevocationList, which needs external synchronisation.
// Error contract: Verify returns a CertCheck naming one distinct failure
// reason for the local log; peers only ever learn "rejected".
#ifndef HOTLINE_CERTS_H_
#define HOTLINE_CERTS_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

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

inline constexpr std::string_view kRootDocumentTag = "hotline.v1.root-document";
inline constexpr std::string_view kCertificateRequestTag = "hotline.v1.certificate-request";

// A national root key's signature over DomainSeparated(tag, signed).
v1::RootSignature SignAsRoot(std::string_view tag, const std::string& signed_bytes,
                             const Ed25519KeyPair& root);
// Adds `root`'s signature to a certificate (or a request's certificate).
void AddRootSignature(v1::Certificate& certificate, const Ed25519KeyPair& root);
// A revocation list signed by each of `roots`.
v1::RevocationList SignRevocationList(const v1::RevocationListDetails& details,
                                      const std::vector<const Ed25519KeyPair*>& roots);

// The root document, parsed and structurally checked: version 1, one key
// (32 bytes) per distinct nation, 2 <= threshold <= keys.
struct ParsedRootDocument {
  v1::RootDocument document;
  v1::RootDocumentDetails details;
  std::optional<v1::Nation> NationOf(ByteView key_id) const;
};
StatusOr<ParsedRootDocument> ParseRootDocument(ByteView encoded);
v1::RootDocument SignRootDocument(const v1::RootDocumentDetails& details,
                                  const std::vector<const Ed25519KeyPair*>& roots);

// The distinct nations of `document`'s keys whose signatures on
// DomainSeparated(tag, signed) verify; each key counts once however often
// it signed. Signatures by keys the document does not hold count for nobody.
std::set<v1::Nation> NationsThatSigned(const ParsedRootDocument& document, std::string_view tag,
                                       const std::string& signed_bytes,
                                       const google::protobuf::RepeatedPtrField<v1::RootSignature>& sigs);
std::string NationList(const std::set<v1::Nation>& nations);  // "JP, KR" or "none"

// A root document on its own: signed by a threshold of its own keys, not expired.
Status CheckRootDocument(const ParsedRootDocument& document, int64_t now_unix);
// `next` may replace `current`: a higher serial, signed by a threshold of
// `current`'s keys and a threshold of its own, and by every key it adds
// (two nations cannot put a key of their making in the third's place).
// Older or equal: rollback.
Status CheckRootUpdate(const ParsedRootDocument& current, const ParsedRootDocument& next,
                       int64_t now_unix);

// Parses a serialized Certificate and its details, bounded in size; checks
// structure only (key lengths, version), not the signature.
struct ParsedCertificate {
  v1::Certificate certificate;
  v1::CertificateDetails details;
};
StatusOr<ParsedCertificate> ParseCertificate(ByteView encoded);
// A certificate subject: 1-64 of a-z 0-9 -, not "root..." (it names files).
Status ValidateSubject(const std::string& subject);

enum class CertFailure {
  kNone = 0,
  kMalformed,        // unparsable, wrong key sizes, unknown version
  kUnknownIssuer,    // no signature by a root the document trusts
  kBadSignature,     // too few nations signed, or not its own nation
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
  // `root_document` must pass CheckRootDocument at `now_unix`.
  static StatusOr<TrustStore> Create(ByteView root_document, int64_t now_unix);

  // Adds a revocation list: a nation's own (signed by that nation's root,
  // naming only that nation's certificates) or the joint one (signed by the
  // threshold). Per issuer the number never goes back, and a newer list
  // keeps every entry of the one in force: nothing is ever un-revoked.
  Status AddRevocationList(ByteView encoded_list) {
    return ApplyRevocationList(encoded_list).status();
  }

  // What taking a revocation list changed.
  struct ListChange {
    v1::Nation issuer = v1::NATION_UNSPECIFIED;
    uint64_t number = 0;
    bool changed = false;  // false: the very list already in force
    std::vector<std::pair<uint64_t, v1::Nation>> newly_revoked = {};
  };
  // AddRevocationList, saying what changed. `verify_signatures` false only
  // for a list this host verified when it took it (its own durable
  // record), whose signer may have been rotated out of the root since;
  // every other rule still holds.
  StatusOr<ListChange> ApplyRevocationList(ByteView encoded_list, bool verify_signatures = true);
  // The list in force for `issuer` would not be replaced by number
  // `number` (equal or older): no need to check its signatures.
  bool HasListAtLeast(v1::Nation issuer, uint64_t number) const {
    auto it = crl_numbers_.find(issuer);
    return it != crl_numbers_.end() && it->second >= number;
  }

  // Replaces the root document with its successor (CheckRootUpdate).
  // Revocations in force stay in force, whoever signed them.
  Status ReplaceRoot(ParsedRootDocument next, int64_t now_unix);
  // `issuer`'s list was signed by a key the root document no longer holds:
  // what it revoked stays revoked ("retired" entries), and the issuer's
  // numbering starts afresh under its new key (a number a retired key
  // pushed to the maximum cannot block it).
  void RetireList(v1::Nation issuer);
  void AddRetired(const std::set<std::pair<uint64_t, v1::Nation>>& entries);
  const std::set<std::pair<uint64_t, v1::Nation>>& retired() const { return retired_; }

  CertCheck Verify(ByteView encoded_certificate, const CertExpectations& expect) const;

  // Revoked by any list: each issuer's entries are kept apart, so that one
  // list can never take back what another revoked.
  bool IsRevoked(uint64_t serial, v1::Nation nation) const {
    if (retired_.count({serial, nation})) return true;
    for (const auto& [issuer, entries] : revoked_) {
      if (entries.count({serial, nation})) return true;
    }
    return false;
  }
  const ParsedRootDocument& root() const { return root_; }
  uint64_t revocation_list_number(v1::Nation issuer) const {
    auto it = crl_numbers_.find(issuer);
    return it == crl_numbers_.end() ? 0 : it->second;
  }

 private:
  ParsedRootDocument root_;
  // Per issuer (NATION_UNSPECIFIED: the joint list): its entries, its number.
  std::map<v1::Nation, std::set<std::pair<uint64_t, v1::Nation>>> revoked_;
  std::map<v1::Nation, uint64_t> crl_numbers_;
  std::set<std::pair<uint64_t, v1::Nation>> retired_;
};

}  // namespace hotline

#endif  // HOTLINE_CERTS_H_
