#include "hotline/certs.h"

#include <algorithm>
#include <cctype>
#include <ctime>

#include "hotline/limits.h"

namespace hotline {

Bytes KeyIdOf(ByteView signing_public_key) {
  Sha256Digest d = Sha256({signing_public_key});
  return Bytes(d.begin(), d.begin() + kKeyIdLen);
}

std::string NationCode(v1::Nation nation) {
  switch (nation) {
    case v1::NATION_US: return "US";
    case v1::NATION_JP: return "JP";
    case v1::NATION_KR: return "KR";
    default: return "--";
  }
}

StatusOr<v1::Nation> ParseNation(std::string_view code) {
  std::string upper(code);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (upper == "US") return v1::NATION_US;
  if (upper == "JP") return v1::NATION_JP;
  if (upper == "KR") return v1::NATION_KR;
  return InvalidArgumentError("unknown nation '" + std::string(code) + "' (expected US, JP or KR)");
}

std::string RoleName(v1::Role role) {
  switch (role) {
    case v1::ROLE_ROOT: return "root";
    case v1::ROLE_NODE: return "node";
    case v1::ROLE_RELAY: return "relay";
    default: return "unspecified";
  }
}

v1::RootSignature SignAsRoot(std::string_view tag, const std::string& signed_bytes,
                             const Ed25519KeyPair& root) {
  v1::RootSignature sig;
  sig.set_key_id(ToString(KeyIdOf(root.public_key)));
  sig.set_signature(ToString(Ed25519Sign(root.secret, DomainSeparated(tag, {AsBytes(signed_bytes)}))));
  return sig;
}

void AddRootSignature(v1::Certificate& certificate, const Ed25519KeyPair& root) {
  *certificate.add_signatures() = SignAsRoot(kCertificateTag, certificate.details(), root);
}

v1::RevocationList SignRevocationList(const v1::RevocationListDetails& details,
                                      const std::vector<const Ed25519KeyPair*>& roots) {
  v1::RevocationList list;
  list.set_details(details.SerializeAsString());
  for (const auto* root : roots) *list.add_signatures() = SignAsRoot(kRevocationListTag, list.details(), *root);
  return list;
}

v1::RootDocument SignRootDocument(const v1::RootDocumentDetails& details,
                                  const std::vector<const Ed25519KeyPair*>& roots) {
  v1::RootDocument doc;
  doc.set_details(details.SerializeAsString());
  for (const auto* root : roots) *doc.add_signatures() = SignAsRoot(kRootDocumentTag, doc.details(), *root);
  return doc;
}

std::optional<v1::Nation> ParsedRootDocument::NationOf(ByteView key_id) const {
  for (const auto& k : details.keys()) {
    if (ConstantTimeEqual(KeyIdOf(AsBytes(k.signing_public_key())), key_id)) return k.nation();
  }
  return std::nullopt;
}

StatusOr<ParsedRootDocument> ParseRootDocument(ByteView encoded) {
  if (encoded.size() > limits::kMaxCertificateBytes) {
    return InvalidArgumentError("root document larger than " +
                                std::to_string(limits::kMaxCertificateBytes) + " bytes");
  }
  ParsedRootDocument out;
  if (!out.document.ParseFromArray(encoded.data(), static_cast<int>(encoded.size())) ||
      !out.details.ParseFromString(out.document.details())) {
    return InvalidArgumentError("not a valid hotline.v1.RootDocument");
  }
  const auto& d = out.details;
  if (d.version() != 1) return InvalidArgumentError("unsupported root document version " + std::to_string(d.version()));
  std::set<int> nations;
  std::set<std::string> keys;
  for (const auto& k : d.keys()) {
    // A key listed twice (under two nations) would count twice.
    if (k.nation() == v1::NATION_UNSPECIFIED || !v1::Nation_IsValid(k.nation()) ||
        !nations.insert(k.nation()).second || k.signing_public_key().size() != kEd25519PublicLen ||
        !keys.insert(ToString(KeyIdOf(AsBytes(k.signing_public_key())))).second) {
      return InvalidArgumentError(
          "root document keys must be distinct 32-byte keys, one per distinct nation");
    }
  }
  if (d.threshold() < 2 || d.threshold() > static_cast<uint32_t>(d.keys_size())) {
    return InvalidArgumentError("root document threshold " + std::to_string(d.threshold()) +
                                " must be at least 2 and at most the " +
                                std::to_string(d.keys_size()) + " keys");
  }
  return out;
}

std::set<v1::Nation> NationsThatSigned(const ParsedRootDocument& document, std::string_view tag,
                                       const std::string& signed_bytes,
                                       const google::protobuf::RepeatedPtrField<v1::RootSignature>& sigs) {
  std::set<v1::Nation> nations;
  // More signatures than any honest document carries (a rotation: the old
  // keys and the new) count for nobody: each one costs a verification.
  if (static_cast<size_t>(sigs.size()) > limits::kMaxRootSignatures) return nations;
  Bytes message = DomainSeparated(tag, {AsBytes(signed_bytes)});
  for (const auto& k : document.details.keys()) {
    Bytes key_id = KeyIdOf(AsBytes(k.signing_public_key()));
    // Each key once, whatever the number of signatures naming it (the
    // python-tuf advisory: one key counted several times toward a threshold).
    for (const auto& sig : sigs) {
      if (ConstantTimeEqual(AsBytes(sig.key_id()), key_id) &&
          Ed25519Verify(AsBytes(k.signing_public_key()), message, AsBytes(sig.signature()))) {
        nations.insert(k.nation());
        break;
      }
    }
  }
  return nations;
}

std::string NationList(const std::set<v1::Nation>& nations) {
  std::string out;
  for (v1::Nation n : nations) out += (out.empty() ? "" : ", ") + NationCode(n);
  return out.empty() ? "none" : out;
}

Status CheckRootDocument(const ParsedRootDocument& document, int64_t now_unix) {
  auto signed_by = NationsThatSigned(document, kRootDocumentTag, document.document.details(),
                                     document.document.signatures());
  if (signed_by.size() < document.details.threshold()) {
    return PermissionDeniedError("root document " + std::to_string(document.details.serial()) +
                                 " is signed by " + NationList(signed_by) + ": needs " +
                                 std::to_string(document.details.threshold()) + " of its nations");
  }
  if (now_unix > document.details.expires_unix()) {
    return PermissionDeniedError("root document " + std::to_string(document.details.serial()) +
                                 " expired at " + FormatUnixUtc(document.details.expires_unix()));
  }
  return Status::Ok();
}

Status CheckRootUpdate(const ParsedRootDocument& current, const ParsedRootDocument& next,
                       int64_t now_unix) {
  if (next.details.serial() <= current.details.serial()) {
    return PermissionDeniedError("root document " + std::to_string(next.details.serial()) +
                                 " is not newer than the one in force (" +
                                 std::to_string(current.details.serial()) + "): rollback refused");
  }
  HOTLINE_RETURN_IF_ERROR(CheckRootDocument(next, now_unix));
  auto by_current = NationsThatSigned(current, kRootDocumentTag, next.document.details(),
                                      next.document.signatures());
  if (by_current.size() < current.details.threshold()) {
    return PermissionDeniedError("root document " + std::to_string(next.details.serial()) +
                                 " is signed by " + NationList(by_current) + " of the keys in force: needs " +
                                 std::to_string(current.details.threshold()));
  }
  auto by_next = NationsThatSigned(next, kRootDocumentTag, next.document.details(),
                                   next.document.signatures());
  for (const auto& k : next.details.keys()) {
    bool in_force = false;
    for (const auto& old : current.details.keys()) {
      in_force = in_force || old.signing_public_key() == k.signing_public_key();
    }
    if (!in_force && !by_next.count(k.nation())) {
      return PermissionDeniedError("root document " + std::to_string(next.details.serial()) +
                                   " brings in a new key for " + NationCode(k.nation()) +
                                   " that did not sign it: a nation's new key must agree");
    }
  }
  return Status::Ok();
}

Status ValidateSubject(const std::string& subject) {
  bool ok = !subject.empty() && subject.size() <= 64 && subject.rfind("root", 0) != 0 &&
            std::all_of(subject.begin(), subject.end(), [](char c) {
              return std::islower(static_cast<unsigned char>(c)) ||
                     std::isdigit(static_cast<unsigned char>(c)) || c == '-';
            });
  if (ok) return Status::Ok();
  return InvalidArgumentError("invalid subject '" + subject +
                              "': 1-64 of a-z 0-9 -, not starting with root");
}

StatusOr<ParsedCertificate> ParseCertificate(ByteView encoded) {
  if (encoded.size() > limits::kMaxCertificateBytes) {
    return InvalidArgumentError("certificate larger than " +
                                std::to_string(limits::kMaxCertificateBytes) + " bytes");
  }
  ParsedCertificate out;
  if (!out.certificate.ParseFromArray(encoded.data(), static_cast<int>(encoded.size())) ||
      !out.details.ParseFromString(out.certificate.details())) {
    return InvalidArgumentError("certificate is not a valid hotline.v1.Certificate");
  }
  const auto& d = out.details;
  if (d.version() != kCertificateVersion) {
    return InvalidArgumentError("unsupported certificate version " + std::to_string(d.version()));
  }
  if (d.signing_public_key().size() != kEd25519PublicLen ||
      d.noise_public_key().size() != kX25519Len ||
      (!d.e2e_public_key().empty() && d.e2e_public_key().size() != kX25519Len)) {
    return InvalidArgumentError("certificate has a key or signature of the wrong length");
  }
  HOTLINE_RETURN_IF_ERROR(ValidateSubject(d.subject()));
  if (d.role() == v1::ROLE_UNSPECIFIED || d.not_after_unix() < d.not_before_unix()) {
    return InvalidArgumentError("certificate has no role or an empty validity window");
  }
  if (d.nation() == v1::NATION_UNSPECIFIED || !v1::Nation_IsValid(d.nation()) ||
      (d.role() == v1::ROLE_NODE && d.e2e_public_key().empty())) {
    return InvalidArgumentError("certificate lacks a nation, or a node's end-to-end key");
  }
  return out;
}

std::string FormatUnixUtc(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string_view CertFailureName(CertFailure failure) {
  switch (failure) {
    case CertFailure::kNone: return "ok";
    case CertFailure::kMalformed: return "malformed certificate";
    case CertFailure::kUnknownIssuer: return "certificate from an unknown root";
    case CertFailure::kBadSignature: return "certificate signature invalid";
    case CertFailure::kNotYetValid: return "certificate not yet valid";
    case CertFailure::kExpired: return "certificate expired";
    case CertFailure::kWrongRole: return "certificate has the wrong role";
    case CertFailure::kWrongNation: return "certificate has the wrong nation";
    case CertFailure::kRevoked: return "certificate revoked";
    case CertFailure::kKeyMismatch: return "noise static key does not match certificate";
  }
  return "unknown";
}

StatusOr<TrustStore> TrustStore::Create(ByteView root_document, int64_t now_unix) {
  HOTLINE_ASSIGN_OR_RETURN(ParsedRootDocument root, ParseRootDocument(root_document));
  HOTLINE_RETURN_IF_ERROR(CheckRootDocument(root, now_unix));
  TrustStore store;
  store.root_ = std::move(root);
  return store;
}

StatusOr<TrustStore::ListChange> TrustStore::ApplyRevocationList(ByteView encoded_list,
                                                                 bool verify_signatures) {
  if (encoded_list.size() > limits::kMaxRevocationListBytes) {
    return InvalidArgumentError("revocation list too large");
  }
  v1::RevocationList list;
  v1::RevocationListDetails details;
  if (!list.ParseFromArray(encoded_list.data(), static_cast<int>(encoded_list.size())) ||
      !details.ParseFromString(list.details()) || details.version() != 2) {
    return InvalidArgumentError("revocation list is not a valid hotline.v1.RevocationList (version 2)");
  }
  v1::Nation issuer = details.issuer();
  if (!v1::Nation_IsValid(issuer))
    return InvalidArgumentError("revocation list names an unknown issuer");
  std::string name = issuer == v1::NATION_UNSPECIFIED ? "the joint revocation list"
                                                      : NationCode(issuer) + "'s revocation list";
  auto signed_by = verify_signatures ? NationsThatSigned(root_, kRevocationListTag, list.details(),
                                                         list.signatures())
                                     : std::set<v1::Nation>{};
  if (issuer == v1::NATION_UNSPECIFIED) {
    if (verify_signatures && signed_by.size() < root_.details.threshold()) {
      return PermissionDeniedError(name + " is signed by " + NationList(signed_by) + ": needs " +
                                   std::to_string(root_.details.threshold()) + " nations");
    }
  } else {
    if (verify_signatures && !signed_by.count(issuer)) {
      return PermissionDeniedError(name + " is not signed by " + NationCode(issuer) + "'s root");
    }
    for (const auto& r : details.revoked()) {
      if (r.nation() != issuer) {
        return PermissionDeniedError(name + " revokes serial " + std::to_string(r.serial()) + " of " +
                                     NationCode(r.nation()) +
                                     ": a nation revokes only its own certificates alone");
      }
    }
  }
  std::set<std::pair<uint64_t, v1::Nation>> entries;
  for (const auto& r : details.revoked()) entries.insert({r.serial(), r.nation()});
  static const std::set<std::pair<uint64_t, v1::Nation>> kNone;
  bool has_list = crl_numbers_.count(issuer) > 0;
  const auto& in_force = has_list ? revoked_.at(issuer) : kNone;
  uint64_t number = has_list ? crl_numbers_.at(issuer) : 0;
  ListChange change{.issuer = issuer, .number = details.number()};
  if (has_list && details.number() == number && entries == in_force) return change;
  if (has_list && details.number() <= number) {
    return FailedPreconditionError(name + " number " + std::to_string(details.number()) +
                                   " is not newer than the one in force (" + std::to_string(number) + ")");
  }
  for (const auto& e : in_force) {
    if (!entries.count(e)) {
      return PermissionDeniedError(name + " number " + std::to_string(details.number()) +
                                   " drops the revocation of " + NationCode(e.second) + " serial " +
                                   std::to_string(e.first) + ": nothing is ever un-revoked");
    }
  }
  for (const auto& e : entries) {
    if (!IsRevoked(e.first, e.second)) change.newly_revoked.push_back(e);
  }
  change.changed = true;
  crl_numbers_[issuer] = details.number();
  revoked_[issuer] = std::move(entries);
  return change;
}

void TrustStore::RetireList(v1::Nation issuer) {
  auto it = revoked_.find(issuer);
  if (it != revoked_.end()) retired_.insert(it->second.begin(), it->second.end());
  revoked_.erase(issuer);
  crl_numbers_.erase(issuer);
}

void TrustStore::AddRetired(const std::set<std::pair<uint64_t, v1::Nation>>& entries) {
  retired_.insert(entries.begin(), entries.end());
}

Status TrustStore::ReplaceRoot(ParsedRootDocument next, int64_t now_unix) {
  HOTLINE_RETURN_IF_ERROR(CheckRootUpdate(root_, next, now_unix));
  root_ = std::move(next);
  return Status::Ok();
}

CertCheck TrustStore::Verify(ByteView encoded_certificate, const CertExpectations& expect) const {
  CertCheck check;
  auto fail = [&check](CertFailure f, std::string message) {
    check.failure = f;
    check.message = std::string(CertFailureName(f)) + ": " + message;
    return check;
  };
  auto parsed = ParseCertificate(encoded_certificate);
  if (!parsed.ok()) return fail(CertFailure::kMalformed, parsed.status().message());
  const auto& d = parsed->details;
  const std::string who = "'" + d.subject() + "' serial " + std::to_string(d.serial());
  if (d.role() == v1::ROLE_ROOT) return fail(CertFailure::kWrongRole, who + " is a root");
  auto signed_by = NationsThatSigned(root_, kCertificateTag, parsed->certificate.details(),
                                     parsed->certificate.signatures());
  bool names_our_roots = false;
  for (const auto& sig : parsed->certificate.signatures()) {
    names_our_roots = names_our_roots || root_.NationOf(AsBytes(sig.key_id())).has_value();
  }
  if (!names_our_roots) {
    return fail(CertFailure::kUnknownIssuer,
                who + " is signed by no national root of root document " +
                    std::to_string(root_.details.serial()));
  }
  if (signed_by.size() < root_.details.threshold() || !signed_by.count(d.nation())) {
    return fail(CertFailure::kBadSignature,
                who + " (" + NationCode(d.nation()) + ") is signed by " + NationList(signed_by) +
                    ": needs its own nation's root and " +
                    std::to_string(root_.details.threshold() - 1) + " other");
  }
  if (expect.check_validity_period && expect.now_unix > root_.details.expires_unix()) {
    return fail(CertFailure::kExpired, who + ": the root document expired at " +
                                           FormatUnixUtc(root_.details.expires_unix()));
  }
  if (expect.check_validity_period &&
      expect.now_unix + expect.allowed_skew_seconds < d.not_before_unix()) {
    return fail(CertFailure::kNotYetValid, who + " valid from " +
                                               FormatUnixUtc(d.not_before_unix()) + " (now " +
                                               FormatUnixUtc(expect.now_unix) + ")");
  }
  if (expect.check_validity_period &&
      expect.now_unix - expect.allowed_skew_seconds > d.not_after_unix()) {
    return fail(CertFailure::kExpired, who + " expired at " + FormatUnixUtc(d.not_after_unix()) +
                                           " (now " + FormatUnixUtc(expect.now_unix) + ")");
  }
  if (expect.role && d.role() != *expect.role) {
    return fail(CertFailure::kWrongRole, who + " is a " + RoleName(d.role()) + ", expected " +
                                             RoleName(*expect.role));
  }
  if (expect.nation && d.nation() != *expect.nation) {
    return fail(CertFailure::kWrongNation,
                who + " is " + NationCode(d.nation()) + ", expected " + NationCode(*expect.nation));
  }
  if (IsRevoked(d.serial(), d.nation())) return fail(CertFailure::kRevoked, who);
  if (expect.noise_public_key &&
      !ConstantTimeEqual(AsBytes(d.noise_public_key()), *expect.noise_public_key)) {
    return fail(CertFailure::kKeyMismatch, who);
  }
  check.cert = std::move(parsed).value();
  return check;
}

}  // namespace hotline
