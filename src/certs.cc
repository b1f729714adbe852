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

v1::Certificate SignCertificate(const v1::CertificateDetails& details,
                                const Ed25519Secret& issuer_secret) {
  v1::Certificate cert;
  cert.set_details(details.SerializeAsString());
  Ed25519Signature sig =
      Ed25519Sign(issuer_secret, DomainSeparated(kCertificateTag, {AsBytes(cert.details())}));
  cert.set_signature(ToString(sig));
  return cert;
}

v1::RevocationList SignRevocationList(const v1::RevocationListDetails& details,
                                      const Ed25519Secret& issuer_secret) {
  v1::RevocationList list;
  list.set_details(details.SerializeAsString());
  Ed25519Signature sig =
      Ed25519Sign(issuer_secret, DomainSeparated(kRevocationListTag, {AsBytes(list.details())}));
  list.set_signature(ToString(sig));
  return list;
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
      (!d.e2e_public_key().empty() && d.e2e_public_key().size() != kX25519Len) ||
      out.certificate.signature().size() != kEd25519SignatureLen) {
    return InvalidArgumentError("certificate has a key or signature of the wrong length");
  }
  if (d.role() == v1::ROLE_UNSPECIFIED || d.not_after_unix() < d.not_before_unix()) {
    return InvalidArgumentError("certificate has no role or an empty validity window");
  }
  if (d.role() == v1::ROLE_NODE &&
      (d.nation() == v1::NATION_UNSPECIFIED || d.e2e_public_key().empty())) {
    return InvalidArgumentError("node certificate lacks a nation or an end-to-end key");
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

StatusOr<TrustStore> TrustStore::Create(ByteView root_certificate) {
  auto parsed = ParseCertificate(root_certificate);
  if (!parsed.ok()) return parsed.status();
  const auto& d = parsed->details;
  if (d.role() != v1::ROLE_ROOT) return InvalidArgumentError("root certificate lacks ROLE_ROOT");
  TrustStore store;
  store.root_ = d;
  store.root_key_id_ = KeyIdOf(AsBytes(d.signing_public_key()));
  if (AsBytes(d.issuer_key_id()).size() != kKeyIdLen ||
      !ConstantTimeEqual(AsBytes(d.issuer_key_id()), store.root_key_id_) ||
      !Ed25519Verify(AsBytes(d.signing_public_key()),
                     DomainSeparated(kCertificateTag, {AsBytes(parsed->certificate.details())}),
                     AsBytes(parsed->certificate.signature()))) {
    return PermissionDeniedError("root certificate is not validly self-signed");
  }
  return store;
}

Status TrustStore::SetRevocationList(ByteView encoded_list) {
  if (encoded_list.size() > limits::kMaxRevocationListBytes) {
    return InvalidArgumentError("revocation list too large");
  }
  v1::RevocationList list;
  v1::RevocationListDetails details;
  if (!list.ParseFromArray(encoded_list.data(), static_cast<int>(encoded_list.size())) ||
      !details.ParseFromString(list.details())) {
    return InvalidArgumentError("revocation list is not a valid hotline.v1.RevocationList");
  }
  if (!Ed25519Verify(AsBytes(root_.signing_public_key()),
                     DomainSeparated(kRevocationListTag, {AsBytes(list.details())}),
                     AsBytes(list.signature()))) {
    return PermissionDeniedError("revocation list is not signed by the root");
  }
  if (details.number() < crl_number_) {
    return FailedPreconditionError("revocation list is older than the one in force");
  }
  revoked_ = std::set<uint64_t>(details.revoked_serials().begin(), details.revoked_serials().end());
  crl_number_ = details.number();
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
  if (!ConstantTimeEqual(AsBytes(d.issuer_key_id()), root_key_id_)) {
    return fail(CertFailure::kUnknownIssuer, who + " names issuer " + ToHex(AsBytes(d.issuer_key_id())));
  }
  if (!Ed25519Verify(AsBytes(root_.signing_public_key()),
                     DomainSeparated(kCertificateTag, {AsBytes(parsed->certificate.details())}),
                     AsBytes(parsed->certificate.signature()))) {
    return fail(CertFailure::kBadSignature, who);
  }
  if (d.role() == v1::ROLE_ROOT) return fail(CertFailure::kWrongRole, who + " is a root");
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
  if (revoked_.count(d.serial()) != 0) return fail(CertFailure::kRevoked, who);
  if (expect.noise_public_key &&
      !ConstantTimeEqual(AsBytes(d.noise_public_key()), *expect.noise_public_key)) {
    return fail(CertFailure::kKeyMismatch, who);
  }
  check.cert = std::move(parsed).value();
  return check;
}

}  // namespace hotline
