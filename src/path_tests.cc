#include "hotline/path_tests.h"

#include <algorithm>
#include <climits>

#include "hotline/certs.h"
#include "hotline/text.h"

namespace hotline::paths {

namespace {

bool ValidPeer(v1::Nation n) { return n != v1::NATION_UNSPECIFIED && v1::Nation_IsValid(n); }

std::string Seconds(int64_t ms) {
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
  return std::to_string(ms) + " ms";
}

}  // namespace

v1::SignedPathProbe SignProbe(const v1::PathProbeDetails& details, const Ed25519Secret& signer) {
  v1::SignedPathProbe out;
  out.set_details(details.SerializeAsString());
  Ed25519Signature sig =
      Ed25519Sign(signer, DomainSeparated(kPathProbeTag, {AsBytes(out.details())}));
  out.set_signature(ToString(sig));
  return out;
}

StatusOr<ParsedProbe> ParseProbe(ByteView encoded) {
  if (encoded.size() > kMaxProbeBytes) {
    return InvalidArgumentError("path probe of " + std::to_string(encoded.size()) +
                                " bytes is over the limit of " + std::to_string(kMaxProbeBytes));
  }
  ParsedProbe p;
  if (!p.signed_probe.ParseFromArray(encoded.data(), static_cast<int>(encoded.size())) ||
      !p.details.ParseFromString(p.signed_probe.details())) {
    return InvalidArgumentError("path probe is not a valid hotline.v1.SignedPathProbe");
  }
  const auto& d = p.details;
  if (d.version() != 1) return InvalidArgumentError("path probe version is not 1");
  if (!ValidPeer(d.from()) || !ValidPeer(d.to()) || d.from() == d.to()) {
    return InvalidArgumentError("path probe nations are malformed");
  }
  if (d.nonce().size() != kNonceLen)
    return InvalidArgumentError("path probe nonce is not 16 bytes");
  if (d.relay().empty() || d.relay().size() > 128) {
    return InvalidArgumentError("path probe relay name is empty or over 128 bytes");
  }
  if (d.reply() != (d.probe_digest().size() == kSha256Len)) {
    return InvalidArgumentError(d.reply() ? "path probe reply has no 32-byte probe digest"
                                          : "path probe carries a probe digest but is no reply");
  }
  if (p.signed_probe.signature().size() != kEd25519SignatureLen) {
    return InvalidArgumentError("path probe signature is not 64 bytes");
  }
  return p;
}

bool VerifyProbe(const ParsedProbe& probe, ByteView signer_public_key) {
  return Ed25519Verify(signer_public_key,
                       DomainSeparated(kPathProbeTag, {AsBytes(probe.signed_probe.details())}),
                       AsBytes(probe.signed_probe.signature()));
}

Status CheckRouting(const ParsedProbe& probe, v1::Nation self, v1::Nation from,
                    const std::string& relay) {
  const auto& d = probe.details;
  if (d.to() != self) {
    return PermissionDeniedError("path probe is addressed to " + NationCode(d.to()) + ", not " +
                                 NationCode(self));
  }
  if (d.from() != from) {
    return PermissionDeniedError("path probe is signed as from " + NationCode(d.from()) +
                                 " but the relay forwarded it from " + NationCode(from));
  }
  if (d.relay() != relay) {
    // Lengths are bounded by ParseProbe; peer text reaches logs only printable.
    return PermissionDeniedError("path probe names relay '" + Printable(d.relay()) +
                                 "' but came through '" + Printable(relay) + "'");
  }
  return Status::Ok();
}

v1::PathProbeDetails ReplyDetails(const ParsedProbe& probe, ByteView encoded_probe,
                                  const std::string& relay, uint64_t cert_serial, int64_t now_ms) {
  v1::PathProbeDetails r;
  r.set_version(1);
  r.set_reply(true);
  r.set_from(probe.details.to());
  r.set_to(probe.details.from());
  r.set_relay(relay);
  r.set_nonce(probe.details.nonce());
  r.set_at_ms(now_ms);
  r.set_cert_serial(cert_serial);
  Sha256Digest digest = Sha256({encoded_probe});
  r.set_probe_digest(ToString(digest));
  return r;
}

const char* StateName(State state) {
  switch (state) {
    case State::kOk:
      return "ok";
    case State::kFailed:
      return "failed";
    case State::kUntested:
      break;
  }
  return "untested";
}

PathBook::PathBook(Options options, size_t relays, std::vector<v1::Nation> nations,
                   int64_t start_ms)
    : options_(options) {
  for (size_t r = 0; r < relays; ++r) {
    for (v1::Nation n : nations) {
      Entry& e = entries_[Path{r, n}];
      e.view.path = Path{r, n};
      e.next_due_ms = NextAfter(start_ms);
    }
  }
}

std::vector<Path> PathBook::Due(int64_t now_ms) const {
  std::vector<Path> due;
  for (const auto& [path, e] : entries_) {
    if (!e.view.outstanding && now_ms >= e.next_due_ms) due.push_back(path);
  }
  return due;
}

void PathBook::DueNow(int64_t now_ms) {
  for (auto& [path, e] : entries_) {
    if (e.view.outstanding) continue;
    e.next_due_ms = e.view.last_probe_ms == 0
                        ? now_ms
                        : std::max(now_ms, e.view.last_probe_ms + kMinTestNowGap.count());
    e.asked = true;
  }
}

void PathBook::Sent(const Path& path, Bytes nonce, const Sha256Digest& probe_digest,
                    int64_t now_ms) {
  auto it = entries_.find(path);
  if (it == entries_.end()) return;
  Entry& e = it->second;
  e.nonce = std::move(nonce);
  e.probe_digest.assign(probe_digest.begin(), probe_digest.end());
  e.view.outstanding = true;
  e.asked = false;
  e.view.last_probe_ms = now_ms;
  e.next_due_ms = NextAfter(now_ms);
}

Result PathBook::NotSent(const Path& path, std::string reason, int64_t now_ms) {
  Entry& e = entries_[path];
  e.view.path = path;
  e.view.last_probe_ms = now_ms;
  e.asked = false;
  e.next_due_ms = NextAfter(now_ms);
  return Record(e, false, now_ms, 0, std::move(reason));
}

std::optional<Result> PathBook::Replied(const Path& path, ByteView nonce, ByteView probe_digest,
                                        int64_t now_ms) {
  auto it = entries_.find(path);
  if (it == entries_.end()) return std::nullopt;
  Entry& e = it->second;
  if (!e.view.outstanding || e.nonce != Bytes(nonce.begin(), nonce.end()) ||
      e.probe_digest != Bytes(probe_digest.begin(), probe_digest.end())) {
    return std::nullopt;
  }
  // Past its deadline it is a failure, whenever the caller next expires.
  if (now_ms - e.view.last_probe_ms > options_.deadline.count()) return std::nullopt;
  return Record(e, true, now_ms, std::max<int64_t>(0, now_ms - e.view.last_probe_ms), {});
}

std::vector<Result> PathBook::Expire(int64_t now_ms) {
  std::vector<std::pair<int64_t, Path>> late;
  for (const auto& [path, e] : entries_) {
    int64_t due = e.view.last_probe_ms + options_.deadline.count();
    if (e.view.outstanding && now_ms >= due) late.emplace_back(due, path);
  }
  std::sort(late.begin(), late.end());
  std::vector<Result> out;
  for (const auto& [due, path] : late) {
    out.push_back(Record(entries_[path], false, now_ms, 0,
                         "no signed reply within " + Seconds(options_.deadline.count())));
  }
  return out;
}

int64_t PathBook::NextAfter(int64_t now_ms) const {
  if (options_.interval.count() <= 0) return INT64_MAX;
  return now_ms + options_.interval.count();
}

bool PathBook::AnyOutstanding() const {
  return std::any_of(entries_.begin(), entries_.end(),
                     [](const auto& kv) { return kv.second.view.outstanding || kv.second.asked; });
}

Result PathBook::Record(Entry& e, bool ok, int64_t now_ms, int64_t rtt_ms, std::string reason) {
  View& v = e.view;
  Result r{
      .path = v.path, .ok = ok, .at_ms = now_ms, .rtt_ms = rtt_ms, .reason = std::move(reason)};
  State next = ok ? State::kOk : State::kFailed;
  r.changed = v.state != next;
  r.recovered = ok && v.state == State::kFailed;
  v.state = next;
  v.outstanding = false;
  e.nonce.clear();
  e.probe_digest.clear();
  if (ok) {
    v.last_success_ms = now_ms;
    v.rtt_ms = rtt_ms;
    ++v.successes;
    v.consecutive_failures = 0;
  } else {
    v.last_failure_ms = now_ms;
    v.last_error = r.reason;
    ++v.failures;
    ++v.consecutive_failures;
  }
  return r;
}

Status PathBook::AdmitProbe(const Path& path, ByteView nonce, int64_t sent_at_ms, int64_t now_ms) {
  const int64_t skew = std::clamp<int64_t>(options_.clock_skew.count(), 0, kMaxClockSkew.count());
  const int64_t past = options_.deadline.count() + skew;
  if (sent_at_ms < now_ms - past || sent_at_ms > now_ms + skew) {
    return FailedPreconditionError("probe sent at " + FormatUnixUtc(sent_at_ms / 1000) +
                                   " is stale or from the future: probes are answered from " +
                                   Seconds(past) + " before now to " + Seconds(skew) + " after");
  }
  // Per path: a probe names its relay under the prober's signature, so it
  // cannot be replayed through another.
  Nonces& seen = seen_[path];
  while (!seen.by_expiry.empty() && seen.by_expiry.front().first < now_ms) {
    seen.known.erase(seen.by_expiry.front().second);
    seen.by_expiry.pop_front();
  }
  Bytes n(nonce.begin(), nonce.end());
  if (seen.known.contains(n)) return AlreadyExistsError("probe was answered already (a replay)");
  if (seen.known.size() >= kMaxRememberedNonces) {
    return ResourceExhaustedError("over " + std::to_string(kMaxRememberedNonces) + " probes from " +
                                  NationCode(path.nation) +
                                  " through this relay still fresh; refused until older ones "
                                  "expire");
  }
  auto it = entries_.find(path);
  if (it == entries_.end()) return NotFoundError("no such path here");
  if (!it->second.answers.Take(now_ms)) {
    return ResourceExhaustedError("over " +
                                  std::to_string(static_cast<int>(kAnsweredProbesPerSecond)) +
                                  " probes a second through this relay");
  }
  seen.known.insert(n);
  seen.by_expiry.emplace_back(sent_at_ms + past, std::move(n));
  return Status::Ok();
}

bool PathBook::TakeInbound(const Path& path, int64_t now_ms) {
  auto it = entries_.find(path);
  return it != entries_.end() && it->second.inbound.Take(now_ms);
}

void PathBook::Answered(const Path& path, int64_t now_ms) {
  auto it = entries_.find(path);
  if (it != entries_.end()) it->second.view.last_answered_ms = now_ms;
}

std::vector<View> PathBook::Views() const {
  std::vector<View> out;
  out.reserve(entries_.size());
  for (const auto& [path, e] : entries_) out.push_back(e.view);
  return out;
}

std::string PathName(v1::Nation self, const std::string& relay, v1::Nation nation) {
  return NationCode(self) + " → " + relay + " → " + NationCode(nation);
}

std::string Describe(v1::Nation self, const std::string& relay, const Result& result) {
  std::string name = PathName(self, relay, result.path.nation);
  if (result.ok) {
    return name + " works again at " + FormatUnixUtc(result.at_ms / 1000) + " (round trip " +
           std::to_string(result.rtt_ms) + " ms)";
  }
  return name + " failed at " + FormatUnixUtc(result.at_ms / 1000) + ": " + result.reason;
}

}  // namespace hotline::paths
