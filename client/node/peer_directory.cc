#include "node/peer_directory.h"

#include <spdlog/spdlog.h>

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
  if (now + skew < d.not_before_unix())
    return "not valid before " + FormatUnixUtc(d.not_before_unix());
  if (now - skew > d.not_after_unix()) return "expired at " + FormatUnixUtc(d.not_after_unix());
  return "";
}

// Keeps a copy of a verified certificate, as it was signed, under the
// node's data folder (<archive>/previous/<subject>.<serial>.cert), once.
void Archive(const fs::path& archive, const PeerCertificate& cert) {
  fs::path file = archive / std::string(kPreviousFolder) /
                  (cert.details.subject() + "." + std::to_string(cert.details.serial()) + ".cert");
  std::error_code ec;
  if (fs::exists(file, ec)) return;
  fs::create_directories(file.parent_path(), ec);
  if (Status st = WriteFileAtomic(file, cert.encoded, 0644); !st.ok()) {
    spdlog::warn("cannot archive {}: {}", file.string(), st.ToString());
  }
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
      out.problems_.push_back(
          {n, text + "; " + NationCode(n) + " is unreachable until it is fixed"});
    };
    auto encoded = ReadFileBytes(dir / (subject + ".cert"), limits::kMaxCertificateBytes);
    if (!encoded.ok()) {
      problem(subject + ".cert: " + encoded.status().message());
    } else if (CertCheck check = VerifyStructure(trust, *encoded, n); !check.cert) {
      problem(subject + ".cert: " + check.message);
    } else if (auto keys = PeerKeysOf(check.cert->details); !keys.ok()) {
      problem(subject + ".cert: " + keys.status().message());
    } else {
      const auto& d = check.cert->details;
      std::string why = check.ok()
                            ? ValidityProblem(d, options.now_unix, options.allowed_skew_seconds)
                            : "is revoked";
      // Expired or not yet valid: not for sealing, but still for opening
      // what was made while it was valid (CheckUse).
      out.certs_[{n, d.serial()}] = PeerCertificate{d, *keys, why.empty(), 0, *encoded};
      if (!why.empty())
        problem(subject + ".cert (serial " + std::to_string(d.serial()) + ") " + why);
    }
    // Earlier certificates: the trust folder's previous/, and every one this
    // node has seen before (its archive), so that a renewal elsewhere — a
    // folder that only has the new certificate — loses nothing signed
    // under the old one while it waited.
    std::vector<Bytes> earlier;
    auto previous = LoadPreviousCertificates(dir, subject, /*with_keys=*/false);
    if (previous.ok()) {
      for (auto& p : *previous) earlier.push_back(std::move(p.certificate));
    } else {
      problem("previous certificates of " + subject + ": " + previous.status().message());
    }
    if (!options.archive_dir.empty()) {
      auto archived = LoadPreviousCertificates(options.archive_dir, subject, /*with_keys=*/false);
      if (archived.ok()) {
        for (auto& p : *archived) earlier.push_back(std::move(p.certificate));
      }
    }
    for (const auto& encoded_earlier : earlier) {
      CertCheck check = VerifyStructure(trust, encoded_earlier, n);
      if (!check.cert) continue;  // a bad old certificate opens nothing
      auto keys = PeerKeysOf(check.cert->details);
      if (!keys.ok() || out.certs_.count({n, check.cert->details.serial()})) continue;
      out.certs_[{n, check.cert->details.serial()}] =
          PeerCertificate{check.cert->details, *keys, false, 0, encoded_earlier};
    }
    // Each earlier certificate stopped being current when the next one (by
    // not_before) began.
    std::vector<PeerCertificate*> mine;
    for (auto& [key, cert] : out.certs_) {
      if (key.first == n) mine.push_back(&cert);
    }
    std::sort(mine.begin(), mine.end(), [](const PeerCertificate* a, const PeerCertificate* b) {
      return a->details.not_before_unix() < b->details.not_before_unix();
    });
    for (size_t i = 0; i + 1 < mine.size(); ++i) {
      if (!mine[i]->current) mine[i]->superseded_at_unix = mine[i + 1]->details.not_before_unix();
    }
    if (!options.archive_dir.empty()) {
      for (const PeerCertificate* cert : mine) Archive(options.archive_dir, *cert);
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

Status PeerDirectory::CheckUse(v1::Nation nation, uint64_t serial, int64_t made_at_ms,
                               int64_t now_ms, const TrustStore& trust) const {
  const PeerCertificate* cert = Find(nation, serial);
  std::string which = "certificate serial " + std::to_string(serial) + " of " + NationCode(nation);
  if (!cert) return NotFoundError(which + " is not known here");
  if (trust.IsRevoked(serial, nation)) return PermissionDeniedError(which + " is revoked");
  const auto& d = cert->details;
  int64_t tolerance_ms =
      std::max(options_.allowed_skew_seconds, options_.made_at_tolerance_seconds) * 1000;
  if (made_at_ms + tolerance_ms < d.not_before_unix() * 1000 ||
      made_at_ms - tolerance_ms > d.not_after_unix() * 1000) {
    return PermissionDeniedError("made at " + FormatUnixUtc(made_at_ms / 1000) + ", outside " +
                                 which + "'s validity " + FormatUnixUtc(d.not_before_unix()) +
                                 " .. " + FormatUnixUtc(d.not_after_unix()));
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
  struct Expiring {
    std::string name;
    int64_t end;
  };
  std::vector<Expiring> items;
  // The root document expires too: then no certificate verifies.
  auto doc = ReadFileBytes(dir / kRootDocumentFile, 1 << 16);
  if (auto root = doc.ok() ? ParseRootDocument(*doc) : StatusOr<ParsedRootDocument>(doc.status());
      root.ok()) {
    items.push_back({std::string(kRootDocumentFile) + " (root document " +
                         std::to_string(root->details.serial()) + ")",
                     root->details.expires_unix()});
  }
  for (const auto& path : files) {
    auto cert = LoadCertificateFile(path);
    if (!cert.ok()) continue;
    items.push_back({path.filename().string() + " (serial " +
                         std::to_string(cert->details.serial()) + ")",
                     cert->details.not_after_unix()});
  }
  for (const auto& [name, end] : items) {
    if (end < now_unix) {
      out.push_back("CERTIFICATE EXPIRED: " + name + " expired at " + FormatUnixUtc(end));
    } else if (end - now_unix <= window_seconds) {
      int64_t days = (end - now_unix) / 86400;
      out.push_back("CERTIFICATE EXPIRING: " + name + " expires at " + FormatUnixUtc(end) +
                    " (in " +
                    (days > 0 ? std::to_string(days) + " day" + (days == 1 ? "" : "s")
                              : std::to_string((end - now_unix) / 3600) + " h") +
                    "); renew it before then");
    }
  }
  return out;
}

}  // namespace hotline::node
