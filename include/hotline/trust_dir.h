// The trust folder (`certs/`): creating the trilateral root, node and relay
// certificates, and loading an identity or the trust store from disk.
//
// Layout: root.cert, <subject>.cert (public, 0644); <subject>.key (private,
// 0600); revocations.crl (0644); previous/<subject>.<serial>.cert and .key:
// certificates replaced by a re-issue, kept so that messages signed or
// sealed under them while waiting are not lost (docs/PROTOCOL.md §2).
// Subjects: "root", "node-us", "node-jp", "node-kr", "relay-1" ... "relay-N".
//
// Thread safety: reentrant; concurrent writers to one folder must be
// serialised by the caller. Error contract: Status naming file and reason.
// A key file readable by group or others is refused.
#ifndef HOTLINE_TRUST_DIR_H_
#define HOTLINE_TRUST_DIR_H_

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "hotline/certs.h"

namespace hotline {

struct KeyMaterial {
  X25519KeyPair noise;
  Ed25519KeyPair signing;
  std::optional<X25519KeyPair> e2e;  // nodes only
};

struct Identity {
  Bytes certificate;  // serialized Certificate
  v1::CertificateDetails details;
  KeyMaterial keys;
};

std::string NodeSubject(v1::Nation nation);  // "node-us"
std::string RelaySubject(int index);         // "relay-1"

struct TrustInitOptions {
  int relays = 2;
  int64_t now_unix = 0;
  int64_t validity_days = 365;
};

// Creates a new root and every certificate in an empty (or missing) folder.
// Refuses to touch a folder that already holds root.key or root.cert.
Status InitTrustDirectory(const std::filesystem::path& dir, const TrustInitOptions& options);

struct IssueOptions {
  std::string subject;
  v1::Role role = v1::ROLE_NODE;
  v1::Nation nation = v1::NATION_UNSPECIFIED;
  int64_t not_before_unix = 0;
  int64_t not_after_unix = 0;
};
inline constexpr std::string_view kPreviousFolder = "previous";

// Issues (or re-issues) one certificate with fresh keys, signed by the
// folder's root.key. A certificate it replaces moves, with its key, to
// previous/. Returns the serial.
StatusOr<uint64_t> IssueCertificate(const std::filesystem::path& dir, const IssueOptions& options);

// Adds `serial` to the signed revocation list.
Status RevokeSerial(const std::filesystem::path& dir, uint64_t serial, int64_t now_unix);

// Moves <subject>.cert and .key, if present, to previous/<subject>.<serial>.*.
Status SupersedeCertificate(const std::filesystem::path& dir, const std::string& subject);

// The certificates (and, where this folder holds them, keys) that `subject`
// held before its current one; not verified here.
struct PreviousCertificate {
  Bytes certificate;
  std::optional<KeyMaterial> keys;
};
// Keys are read only `with_keys` (a node's own; never another nation's).
StatusOr<std::vector<PreviousCertificate>> LoadPreviousCertificates(
    const std::filesystem::path& dir, std::string_view subject, bool with_keys);

StatusOr<TrustStore> LoadTrustStore(const std::filesystem::path& dir);
StatusOr<Identity> LoadIdentity(const std::filesystem::path& dir, std::string_view subject);
StatusOr<ParsedCertificate> LoadCertificateFile(const std::filesystem::path& path);

// A readable multi-line description of a certificate (no secrets).
std::string DescribeCertificate(const ParsedCertificate& cert);

}  // namespace hotline

#endif  // HOTLINE_TRUST_DIR_H_
