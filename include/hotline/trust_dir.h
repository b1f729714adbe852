// The trust folder (`certs/`): the root document, node and relay
// certificates, revocation lists, and loading an identity or the trust
// store from disk. The ceremony that makes them across three nations is in
// docs/TRUST.md.
//
// Layout: root.doc (the trilateral root document), <subject>.cert (public,
// 0644); <subject>.key (private, 0600); revocations-us.crl, -jp, -kr (each
// nation's own) and revocations-joint.crl (0644); root-<nation>.key (a
// national root key: only in that nation's offline folder, or in a demo
// folder) and root-<nation>.pub; previous/<subject>.<serial>.cert and
// .key: certificates replaced by a re-issue, kept so that messages signed
// or sealed under them while waiting are not lost (docs/PROTOCOL.md §2).
// Subjects: "node-us", "node-jp", "node-kr", "relay-1" ... "relay-N".
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
std::string RootSubject(v1::Nation nation);  // "root-us"
inline constexpr std::string_view kRootDocumentFile = "root.doc";
std::filesystem::path RootKeyPath(const std::filesystem::path& dir, v1::Nation nation);
std::filesystem::path RevocationListPath(const std::filesystem::path& dir, v1::Nation issuer);
// A national root key file (root-<nation>.key, mode 0600).
StatusOr<Ed25519KeyPair> LoadRootKey(const std::filesystem::path& path);

struct TrustInitOptions {
  int relays = 2;
  int64_t now_unix = 0;
  int64_t validity_days = 365;
};

// The demo ceremony: three national root keys, the root document (2 of 3,
// marked demo) and every certificate, in one empty (or missing) folder.
// Refuses a folder that already holds a root document or root key.
Status InitTrustDirectory(const std::filesystem::path& dir, const TrustInitOptions& options);

struct IssueOptions {
  std::string subject;
  v1::Role role = v1::ROLE_NODE;
  v1::Nation nation = v1::NATION_UNSPECIFIED;
  int64_t not_before_unix = 0;
  int64_t not_after_unix = 0;
};
inline constexpr std::string_view kPreviousFolder = "previous";

// Issues (or re-issues) one certificate with fresh keys, signed by its own
// nation's root and another, whose keys the folder must hold (a demo
// folder). A certificate it replaces moves, with its key, to previous/.
// Returns the serial.
StatusOr<uint64_t> IssueCertificate(const std::filesystem::path& dir, const IssueOptions& options);

// Fresh keys for `options.subject` written to <subject>.key in `dir` (a
// certificate it replaces moves to previous/); returns the details to be
// certified and the signing key (to prove possession).
struct SubjectKeys {
  v1::CertificateDetails details;
  Ed25519KeyPair signing;
};
StatusOr<SubjectKeys> MakeSubjectKeys(const std::filesystem::path& dir, const IssueOptions& options);

struct RevokeOptions {
  uint64_t serial = 0;
  v1::Nation nation = v1::NATION_UNSPECIFIED;  // the revoked certificate's nation
  bool joint = false;  // the joint list (two roots), not `nation`'s own list
  std::vector<std::filesystem::path> root_key_files = {};  // besides root keys in `dir`
  int64_t now_unix = 0;
};
// Adds the certificate to `nation`'s own revocation list, signed by its
// root alone, or (joint) to the joint list signed by every root key given.
Status RevokeCertificate(const std::filesystem::path& dir, const RevokeOptions& options);

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

// root.doc (checked at `now_unix`) and every revocation list present.
StatusOr<TrustStore> LoadTrustStore(const std::filesystem::path& dir, int64_t now_unix);
StatusOr<TrustStore> LoadTrustStore(const std::filesystem::path& dir);  // now
StatusOr<Identity> LoadIdentity(const std::filesystem::path& dir, std::string_view subject);
StatusOr<ParsedCertificate> LoadCertificateFile(const std::filesystem::path& path);
// The folder's <subject>.cert when it certifies the very same details as
// `identity`'s (keys, serial, validity) with other signatures — re-signed
// for a new root document — else nothing. The caller verifies it before
// presenting it; a new certificate (new keys) still needs a restart.
StatusOr<std::optional<Bytes>> ResignedCertificate(const std::filesystem::path& dir,
                                                   const Identity& identity);

// A readable multi-line description of a certificate (no secrets).
std::string DescribeCertificate(const ParsedCertificate& cert);

}  // namespace hotline

#endif  // HOTLINE_TRUST_DIR_H_
