#include "node/peer_directory.h"

#include <algorithm>

#include "hotline/file_util.h"
#include "hotline/limits.h"
#include "hotline/trust_dir.h"

namespace hotline::node {

namespace fs = std::filesystem;

namespace {

// Chain, role, nation and revocation; the validity period is judged by the
// caller at the instant that matters.
// A revoked certificate is kept (CheckUse names the revocation) but never current.
CertCheck VerifyStructure(const TrustStore& trust, ByteView encoded, v1::Nation nation) {
  CertExpectations expect;
  expect.role = v1::ROLE_NODE;
  expect.nation = nation;
  expect.check_validity_period = false;
  CertCheck check = trust.Verify(encoded, expect);
  if (check.failure == CertFailure::kRevoked) {
    auto parsed = ParseCertificate(encoded);
    if (parsed.ok()) check.cert = std::move(parsed).value();
  }
  return check;
}

std::string ValidityProblem(const v1::CertificateDetails& d, int64_t now, int64_t skew) {
  if (now + skew < d.not_before_unix()) return "not valid before " + FormatUnixUtc(d.not_before_unix());
  if (now - skew > d.not_after_unix()) return "expired at " + FormatUnixUtc(d.not_after_unix());
  return "";
}

}  // namespace

PeerDirectory PeerDirectory::Load(const fs::path& dir, const TrustStore& trust, v1::Nation self,
                                  const Options& options) {
  PeerDirectory out;
  out.options_ = options;
  for (v1::Nation n : {v1::NATION_US, v1::NATION_JP, v1::NATION_KR}) {
    if (n == self) continue;
    std::string subject = NodeSubject(n);
    auto problem = [&](const std::string& text) {
      out.problems_.push_back({n, text + "; " + NationCode(n) + " is unreachable until it is fixed"});
    };
    int64_t current_since = 0;
    auto encoded = ReadFileBytes(dir / (subject + ".cert"), limits::kMaxCertificateBytes);
    if (!encoded.ok()) {
      problem(subject + ".cert: " + encoded.status().message());
    } else if (CertCheck check = VerifyStructure(trust, *encoded, n); !check.cert) {
      problem(subject + ".cert: " + check.message);
    } else if (auto keys = PeerKeysOf(check.cert->details); !keys.ok()) {
      problem(subject + ".cert: " + keys.status().message());
    } else {
      const auto& d = check.cert->details;
      current_since = d.not_before_unix();
      std::string why = check.ok() ? ValidityProblem(d, options.now_unix, options.allowed_skew_seconds)
                                   : "is revoked";
      // Expired or not yet valid: not for sealing, but still for opening
      // what was made while it was valid (CheckUse).
      out.certs_[{n, d.serial()}] = PeerCertificate{d, *keys, why.empty(), 0};
      if (!why.empty()) problem(subject + ".cert (serial " + std::to_string(d.serial()) + ") " + why);
    }
    auto previous = LoadPreviousCertificates(dir, subject);
    if (!previous.ok()) {
      problem("previous certificates of " + subject + ": " + previous.status().message());
      continue;
    }
    for (const auto& p : *previous) {
      CertCheck check = VerifyStructure(trust, p.certificate, n);
      if (!check.cert) continue;  // a bad old certificate opens nothing
      auto keys = PeerKeysOf(check.cert->details);
      if (!keys.ok() || out.certs_.count({n, check.cert->details.serial()})) continue;
      out.certs_[{n, check.cert->details.serial()}] =
          PeerCertificate{check.cert->details, *keys, false, current_since};
    }
  }
  return out;
}

const PeerCertificate* PeerDirectory::Find(v1::Nation nation, uint64_t serial) const {
  auto it = certs_.find({nation, serial});
  return it == certs_.end() ? nullptr : &it->second;
}

const PeerCertificate* PeerDirectory::Current(v1::Nation nation) const {
  for (const auto& [key, cert] : certs_) {
    if (key.first == nation && cert.current) return &cert;
  }
  return nullptr;
}

std::string PeerDirectory::ProblemFor(v1::Nation nation) const {
  for (const auto& p : problems_) {
    if (p.nation == nation) return p.text;
  }
  return "no valid certificate for " + NationCode(nation);
}

Status PeerDirectory::CheckUse(v1::Nation nation, uint64_t serial, int64_t made_at_ms, int64_t now_ms,
                               const TrustStore& trust) const {
  const PeerCertificate* cert = Find(nation, serial);
  std::string which = "certificate serial " + std::to_string(serial) + " of " + NationCode(nation);
  if (!cert) return NotFoundError(which + " is not known here");
  if (trust.IsRevoked(serial)) return PermissionDeniedError(which + " is revoked");
  const auto& d = cert->details;
  int64_t skew_ms = options_.allowed_skew_seconds * 1000;
  if (made_at_ms + skew_ms < d.not_before_unix() * 1000 || made_at_ms - skew_ms > d.not_after_unix() * 1000) {
    return PermissionDeniedError("made at " + FormatUnixUtc(made_at_ms / 1000) + ", outside " + which +
                                 "'s validity " + FormatUnixUtc(d.not_before_unix()) + " .. " +
                                 FormatUnixUtc(d.not_after_unix()));
  }
  int64_t ended = d.not_after_unix();
  if (cert->superseded_at_unix > 0) ended = std::min(ended, cert->superseded_at_unix);
  if (now_ms / 1000 > ended + options_.grace_seconds) {
    return PermissionDeniedError(which + " stopped being current at " + FormatUnixUtc(ended) +
                                 ", more than " + std::to_string(options_.grace_seconds / 3600) +
                                 " h ago");
  }
  return Status::Ok();
}

std::vector<std::string> CertificateExpiryWarnings(const fs::path& dir, int64_t now_unix,
                                                   int64_t window_seconds) {
  std::vector<std::string> out;
  std::error_code ec;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".cert") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& path : files) {
    auto cert = LoadCertificateFile(path);
    if (!cert.ok()) continue;
    int64_t end = cert->details.not_after_unix();
    std::string name = path.filename().string() + " (serial " + std::to_string(cert->details.serial()) + ")";
    if (end < now_unix) {
      out.push_back("CERTIFICATE EXPIRED: " + name + " expired at " + FormatUnixUtc(end));
    } else if (end - now_unix <= window_seconds) {
      int64_t days = (end - now_unix) / 86400;
      out.push_back("CERTIFICATE EXPIRING: " + name + " expires at " + FormatUnixUtc(end) + " (in " +
                    (days > 0 ? std::to_string(days) + " day" + (days == 1 ? "" : "s")
                              : std::to_string((end - now_unix) / 3600) + " h") +
                    "); renew it before then");
    }
  }
  return out;
}

}  // namespace hotline::node
