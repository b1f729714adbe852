#include "hotline/trust_ceremony.h"

#include "hotline/file_util.h"
#include "hotline/limits.h"

namespace hotline {

namespace fs = std::filesystem;

namespace {

template <typename Message>
StatusOr<Message> ReadMessage(const fs::path& path, const char* what) {
  HOTLINE_ASSIGN_OR_RETURN(Bytes bytes, ReadFileBytes(path, limits::kMaxCertificateBytes));
  Message m;
  if (!m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return InvalidArgumentError(path.string() + " is not a valid " + what);
  }
  return m;
}

Status WriteMessage(const fs::path& path, const google::protobuf::Message& m) {
  std::string bytes = m.SerializeAsString();
  return WriteFileAtomic(path, AsBytes(bytes), kPublicFileMode);
}
}  // namespace

Status InitNationalRoot(const fs::path& dir, v1::Nation nation) {
  if (nation == v1::NATION_UNSPECIFIED) return InvalidArgumentError("--nation is required");
  std::error_code ec;
  fs::create_directories(dir, ec);
  fs::path key_path = RootKeyPath(dir, nation);
  if (fs::exists(key_path)) {
    return AlreadyExistsError(key_path.string() + " exists; refusing to overwrite a root key");
  }
  Ed25519KeyPair key = GenerateEd25519();
  v1::PrivateKeyFile file;
  file.set_version(1);
  file.set_subject(RootSubject(nation));
  file.set_signing_seed(ToString(key.seed()));
  std::string encoded = file.SerializeAsString();
  Status st = WriteFileAtomic(key_path, AsBytes(encoded), 0600);
  Wipe(encoded);
  Wipe(*file.mutable_signing_seed());
  HOTLINE_RETURN_IF_ERROR(st);
  v1::NationalRootKey pub;
  pub.set_nation(nation);
  pub.set_signing_public_key(ToString(key.public_key));
  return WriteMessage(dir / (RootSubject(nation) + ".pub"), pub);
}

StatusOr<v1::NationalRootKey> LoadNationalRootPublic(const fs::path& path) {
  HOTLINE_ASSIGN_OR_RETURN(auto key, ReadMessage<v1::NationalRootKey>(path, "national root public key"));
  if (key.nation() == v1::NATION_UNSPECIFIED || key.signing_public_key().size() != kEd25519PublicLen) {
    return InvalidArgumentError(path.string() + " is not a valid national root public key");
  }
  return key;
}

StatusOr<v1::RootDocument> DraftRootDocument(const RootDraft& draft) {
  v1::RootDocumentDetails d;
  d.set_version(1);
  d.set_serial(draft.serial);
  d.set_threshold(draft.threshold);
  d.set_issued_unix(draft.now_unix);
  d.set_expires_unix(draft.now_unix + draft.validity_days * 86400);
  for (const auto& k : draft.keys) *d.add_keys() = k;
  v1::RootDocument doc = SignRootDocument(d, {});
  HOTLINE_RETURN_IF_ERROR(ParseRootDocument(AsBytes(doc.SerializeAsString())).status());
  return doc;
}

Status SignRootDocumentFile(const fs::path& path, const fs::path& root_key) {
  HOTLINE_ASSIGN_OR_RETURN(auto doc, ReadMessage<v1::RootDocument>(path, "root document"));
  HOTLINE_ASSIGN_OR_RETURN(ParsedRootDocument parsed, ParseRootDocument(AsBytes(doc.SerializeAsString())));
  HOTLINE_ASSIGN_OR_RETURN(Ed25519KeyPair key, LoadRootKey(root_key));
  *doc.add_signatures() = SignAsRoot(kRootDocumentTag, doc.details(), key);
  return WriteMessage(path, doc);
}

Status InstallRootDocument(const fs::path& dir, const fs::path& document, int64_t now_unix) {
  HOTLINE_ASSIGN_OR_RETURN(Bytes next_bytes, ReadFileBytes(document, limits::kMaxCertificateBytes));
  HOTLINE_ASSIGN_OR_RETURN(ParsedRootDocument next, ParseRootDocument(next_bytes));
  fs::path current_path = dir / kRootDocumentFile;
  if (fs::exists(current_path)) {
    HOTLINE_ASSIGN_OR_RETURN(Bytes current_bytes, ReadFileBytes(current_path, limits::kMaxCertificateBytes));
    HOTLINE_ASSIGN_OR_RETURN(ParsedRootDocument current, ParseRootDocument(current_bytes));
    HOTLINE_RETURN_IF_ERROR(CheckRootUpdate(current, next, now_unix));
  } else {
    HOTLINE_RETURN_IF_ERROR(CheckRootDocument(next, now_unix));
  }
  std::error_code ec;
  fs::create_directories(dir, ec);
  return WriteFileAtomic(current_path, next_bytes, kPublicFileMode);
}

StatusOr<fs::path> CreateCertificateRequest(const fs::path& dir, const IssueOptions& options) {
  HOTLINE_ASSIGN_OR_RETURN(SubjectKeys made, MakeSubjectKeys(dir, options));
  v1::CertificateRequest request;
  request.set_details(made.details.SerializeAsString());
  request.set_proof(ToString(Ed25519Sign(made.signing.secret,
                                         DomainSeparated(kCertificateRequestTag, {AsBytes(request.details())}))));
  fs::path path = dir / (options.subject + ".req");
  HOTLINE_RETURN_IF_ERROR(WriteMessage(path, request));
  return path;
}

namespace {
StatusOr<std::pair<v1::CertificateRequest, v1::CertificateDetails>> ReadRequest(const fs::path& path) {
  HOTLINE_ASSIGN_OR_RETURN(auto request, ReadMessage<v1::CertificateRequest>(path, "certificate request"));
  v1::Certificate as_cert;
  as_cert.set_details(request.details());
  HOTLINE_ASSIGN_OR_RETURN(ParsedCertificate parsed, ParseCertificate(AsBytes(as_cert.SerializeAsString())));
  if (!Ed25519Verify(AsBytes(parsed.details.signing_public_key()),
                     DomainSeparated(kCertificateRequestTag, {AsBytes(request.details())}),
                     AsBytes(request.proof()))) {
    return PermissionDeniedError(path.string() +
                                 ": the proof of possession does not verify under its signing key");
  }
  return std::make_pair(std::move(request), std::move(parsed.details));
}
}  // namespace

namespace {

fs::path SignedRequestsPath(const fs::path& root_key) {
  return root_key.parent_path() / kSignedRequestsFile;
}

StatusOr<v1::SignedRequestLog> ReadSignedRequests(const fs::path& root_key) {
  fs::path path = SignedRequestsPath(root_key);
  if (!fs::exists(path)) return v1::SignedRequestLog();
  return ReadMessage<v1::SignedRequestLog>(path, "record of signed requests");
}

}  // namespace

StatusOr<RequestReview> ReviewCertificateRequest(const fs::path& path, const fs::path& root_key) {
  HOTLINE_ASSIGN_OR_RETURN(auto read, ReadRequest(path));
  auto& [request, details] = read;
  RequestReview review;
  review.details = details;
  for (const auto& sig : request.signatures())
    review.key_ids_signed.push_back(ToHex(AsBytes(sig.key_id())));
  HOTLINE_ASSIGN_OR_RETURN(v1::SignedRequestLog log, ReadSignedRequests(root_key));
  Sha256Digest digest = Sha256({AsBytes(request.details())});
  for (const auto& e : log.entries()) {
    if (e.serial() != details.serial() || e.nation() != details.nation()) continue;
    if (e.details_digest() != ToString(digest)) {
      return FailedPreconditionError(
          path.string() + ": serial " + std::to_string(details.serial()) + " of " +
          NationCode(details.nation()) + " was already signed with this key for " + e.subject() +
          " with other keys or validity (" + FormatUnixUtc(e.signed_unix()) +
          "): ask for a new request (a new serial)");
    }
    review.signed_before_unix = e.signed_unix();
  }
  return review;
}

StatusOr<v1::CertificateDetails> SignCertificateRequest(const fs::path& path,
                                                        const fs::path& root_key, int64_t now_unix,
                                                        const v1::CertificateDetails* reviewed) {
  HOTLINE_ASSIGN_OR_RETURN(RequestReview review, ReviewCertificateRequest(path, root_key));
  HOTLINE_ASSIGN_OR_RETURN(auto read, ReadRequest(path));
  auto& [request, details] = read;
  if (reviewed && (reviewed->SerializeAsString() != details.SerializeAsString() ||
                   review.details.SerializeAsString() != details.SerializeAsString())) {
    return FailedPreconditionError(path.string() + " changed since it was shown: not signed");
  }
  HOTLINE_ASSIGN_OR_RETURN(Ed25519KeyPair key, LoadRootKey(root_key));
  if (review.signed_before_unix == 0) {
    HOTLINE_ASSIGN_OR_RETURN(v1::SignedRequestLog log, ReadSignedRequests(root_key));
    auto* e = log.add_entries();
    e->set_serial(details.serial());
    e->set_nation(details.nation());
    e->set_subject(details.subject());
    e->set_details_digest(ToString(Sha256({AsBytes(request.details())})));
    e->set_signed_unix(now_unix);
    // Recorded before the signature is written: a crash between the two
    // leaves a record and no signature, never the reverse.
    HOTLINE_RETURN_IF_ERROR(WriteMessage(SignedRequestsPath(root_key), log));
  }
  *request.add_signatures() = SignAsRoot(kCertificateTag, request.details(), key);
  HOTLINE_RETURN_IF_ERROR(WriteMessage(path, request));
  return details;
}

StatusOr<v1::CertificateDetails> AssembleCertificate(const fs::path& dir, const fs::path& path,
                                                     int64_t now_unix) {
  HOTLINE_ASSIGN_OR_RETURN(auto read, ReadRequest(path));
  auto& [request, details] = read;
  v1::Certificate cert;
  cert.set_details(request.details());
  *cert.mutable_signatures() = request.signatures();
  std::string encoded = cert.SerializeAsString();
  HOTLINE_ASSIGN_OR_RETURN(TrustStore trust, LoadTrustStore(dir, now_unix));
  CertExpectations expect;
  expect.now_unix = now_unix;
  expect.check_validity_period = false;  // may be issued ahead of its start
  CertCheck check = trust.Verify(AsBytes(encoded), expect);
  if (!check.ok()) return PermissionDeniedError(path.string() + ": " + check.message);
  HOTLINE_RETURN_IF_ERROR(
      WriteFileAtomic(dir / (details.subject() + ".cert"), AsBytes(encoded), kPublicFileMode));
  return details;
}

}  // namespace hotline
