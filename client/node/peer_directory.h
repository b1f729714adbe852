// The other nations' certificates as this node knows them from its trust
// folder: each nation's current certificate and the ones it replaced
// (previous/), verified against the root, each known by its serial. It
// decides whether an envelope or receipt made under a given certificate
// counts (docs/PROTOCOL.md §4 "Header checks"), so that a renewed
// certificate never loses a message signed before the renewal, and a
// nation whose certificate is bad is only unreachable, never a reason for
// this node to stop.
//
// Thread safety: none; the daemon's thread. Error contract: Load never
// fails for one nation's certificate (that nation is listed in problems());
// CheckUse returns a Status naming the rule a message broke.
#ifndef HOTLINE_CLIENT_NODE_PEER_DIRECTORY_H_
#define HOTLINE_CLIENT_NODE_PEER_DIRECTORY_H_

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "hotline/certs.h"
#include "hotline/envelope.h"

namespace hotline::node {

struct PeerCertificate {
  v1::CertificateDetails details;
  PeerKeys keys;
  bool current = false;            // the nation's certificate in use now
  int64_t superseded_at_unix = 0;  // when a later one took over (0 = never)
  Bytes encoded;                   // the serialized Certificate, as signed
};

struct PeerProblem {
  v1::Nation nation = v1::NATION_UNSPECIFIED;
  std::string text;  // e.g. "node-jp.cert: certificate expired: ... ; JP is unreachable"
};

class PeerDirectory {
 public:
  struct Options {
    int64_t now_unix = 0;
    int64_t allowed_skew_seconds = 300;
    // How long after a certificate stopped being current (replaced, or
    // expired) a message made under it still counts.
    int64_t grace_seconds = 72 * 3600;
    // How far outside its certificate's validity a sender's own clock may
    // put a message's creation time: a wrong clock must not lose messages;
    // the grace period above bounds the age on our clock.
    int64_t made_at_tolerance_seconds = 24 * 3600;
    // Where this node keeps every peer certificate it has verified (its
    // data folder), so that an old one outlives its trust folder file.
    std::filesystem::path archive_dir;
  };

  static PeerDirectory Load(const std::filesystem::path& certs_dir, const TrustStore& trust,
                            v1::Nation self, const Options& options);

  const PeerCertificate* Find(v1::Nation nation, uint64_t serial) const;
  const PeerCertificate* Current(v1::Nation nation) const;  // null: unreachable
  const std::map<std::pair<v1::Nation, uint64_t>, PeerCertificate>& all() const { return certs_; }
  const std::vector<PeerProblem>& problems() const { return problems_; }
  std::string ProblemFor(v1::Nation nation) const;

  // Whether something `nation` made at `made_at_ms` (its own clock) under
  // certificate `serial` counts now: the certificate is known, not revoked,
  // valid when it was made (within the skew), and if it has been replaced or
  // has expired since, that was no longer ago than the grace period.
  Status CheckUse(v1::Nation nation, uint64_t serial, int64_t made_at_ms, int64_t now_ms,
                  const TrustStore& trust) const;

 private:
  Options options_;
  std::map<std::pair<v1::Nation, uint64_t>, PeerCertificate> certs_;
  std::vector<PeerProblem> problems_;
};

// Warnings for every certificate in the trust folder (root, nodes, relays)
// that expires within `window_seconds` of `now_unix`, or has expired.
std::vector<std::string> CertificateExpiryWarnings(const std::filesystem::path& certs_dir,
                                                   int64_t now_unix, int64_t window_seconds);

}  // namespace hotline::node

#endif  // HOTLINE_CLIENT_NODE_PEER_DIRECTORY_H_
