// The trust ceremony across three nations (docs/TRUST.md), as files that
// travel between machines: each nation makes its root key on its own
// machine; the root document is drafted from the public keys and signed by
// each nation in turn; a node or relay makes its keys where it runs and
// sends only a request, which two national roots sign. No secret leaves the
// machine that made it.
//
// Thread safety: reentrant. Error contract: Status naming the file and the
// reason; a check that fails writes nothing.
#ifndef HOTLINE_TRUST_CEREMONY_H_
#define HOTLINE_TRUST_CEREMONY_H_

#include <filesystem>
#include <vector>

#include "hotline/trust_dir.h"

namespace hotline {

// root-<nation>.key (0600) and root-<nation>.pub (0644) in `dir`.
Status InitNationalRoot(const std::filesystem::path& dir, v1::Nation nation);
StatusOr<v1::NationalRootKey> LoadNationalRootPublic(const std::filesystem::path& path);

struct RootDraft {
  std::vector<v1::NationalRootKey> keys;
  uint32_t threshold = 2;
  uint64_t serial = 1;
  int64_t now_unix = 0;
  int64_t validity_days = 3650;
};
// An unsigned root document (to be signed with SignRootDocumentFile).
StatusOr<v1::RootDocument> DraftRootDocument(const RootDraft& draft);
// Adds `root_key`'s signature to the root document in `path`.
Status SignRootDocumentFile(const std::filesystem::path& path, const std::filesystem::path& root_key);
// Makes `document` the root of trust of `dir`: valid on its own and, if
// `dir` already has one, a valid successor of it (no rollback).
Status InstallRootDocument(const std::filesystem::path& dir, const std::filesystem::path& document,
                           int64_t now_unix);

// Makes the keys of `options.subject` in `dir` (<subject>.key, 0600) and
// writes the request <subject>.req. Returns its path.
StatusOr<std::filesystem::path> CreateCertificateRequest(const std::filesystem::path& dir,
                                                         const IssueOptions& options);
// What a national root is asked to sign, checked before it signs: the
// proof of possession verifies, and the root's own record
// (signed-requests.pb beside its key) holds no other request with this
// nation and serial. `signed_before` says when it signed these very
// details, if it did (signing again is harmless).
struct RequestReview {
  v1::CertificateDetails details;
  std::vector<std::string> key_ids_signed;  // root key ids already on it, hex
  int64_t signed_before_unix = 0;
};
inline constexpr std::string_view kSignedRequestsFile = "signed-requests.pb";
StatusOr<RequestReview> ReviewCertificateRequest(const std::filesystem::path& request,
                                                 const std::filesystem::path& root_key);
// Reviews it again, adds `root_key`'s signature, and records it in the
// root's record. Returns what was signed. `reviewed`, when given, must be
// the details the signer was shown (the file may have changed since).
StatusOr<v1::CertificateDetails> SignCertificateRequest(
    const std::filesystem::path& request, const std::filesystem::path& root_key, int64_t now_unix,
    const v1::CertificateDetails* reviewed = nullptr);
// Writes <subject>.cert in `dir` if the request's signatures make a valid
// certificate under dir/root.doc (its own nation and another).
StatusOr<v1::CertificateDetails> AssembleCertificate(const std::filesystem::path& dir,
                                                     const std::filesystem::path& request,
                                                     int64_t now_unix);

}  // namespace hotline

#endif  // HOTLINE_TRUST_CEREMONY_H_
