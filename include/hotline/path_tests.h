// Path tests (docs/PROTOCOL.md §13): each node probes every other nation
// through every relay on a schedule, and each probe expects a reply signed
// by that nation's node, through the same relay, within a deadline. A path
// that is known to work before a crisis is the point of a hotline.
//
// This module holds the probe's signing and checking, and PathBook: the
// schedule and the results per path. Sans-I/O: the caller passes the time,
// sends what is due and hands back what arrives.
//
// Thread safety: none; one owner. Error contract: ParseProbe and CheckProbe
// return a Status naming the check that failed.
#ifndef HOTLINE_PATH_TESTS_H_
#define HOTLINE_PATH_TESTS_H_

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "hotline/crypto.h"
#include "hotline/token_bucket.h"
#include "hotline/v1/path_test.pb.h"

namespace hotline::paths {

inline constexpr std::string_view kPathProbeTag = "hotline.v1.path-probe";
inline constexpr size_t kNonceLen = 16;
inline constexpr size_t kMaxProbeBytes = 1024;

// --- The wire: a SignedPathProbe --------------------------------------------

v1::SignedPathProbe SignProbe(const v1::PathProbeDetails& details, const Ed25519Secret& signer);

struct ParsedProbe {
  v1::SignedPathProbe signed_probe;
  v1::PathProbeDetails details;
};
// Structure only: sizes, version, nations, nonce, a reply's digest.
StatusOr<ParsedProbe> ParseProbe(ByteView encoded);
bool VerifyProbe(const ParsedProbe& probe, ByteView signer_public_key);

// What the receiving node checks of a structurally valid probe or reply
// that arrived through relay `relay` (subject) from `from` (the relay's
// stamp): addressed to `self`, signed by the nation the relay says sent it,
// naming the relay it came through.
Status CheckRouting(const ParsedProbe& probe, v1::Nation self, v1::Nation from,
                    const std::string& relay);

// The reply to a verified probe, naming the relay it arrived through.
v1::PathProbeDetails ReplyDetails(const ParsedProbe& probe, ByteView encoded_probe,
                                  const std::string& relay, uint64_t cert_serial, int64_t now_ms);

// --- The schedule and the results --------------------------------------------

struct Options {
  // Between probes of one path; 0: only when an operator asks (DueNow).
  std::chrono::milliseconds interval{60000};
  std::chrono::milliseconds deadline{10000};  // for its signed reply
  // How far a prober's clock may be from ours: a probe is answered only
  // while its `at_ms` is within deadline + skew of now (the node's
  // --clock-skew; at most kMaxClockSkew counts).
  std::chrono::milliseconds clock_skew{300000};
};

// Probes answered per relay and prober: a hostile relay (or prober) cannot
// make a node sign at will. A prober sends one per path per interval, and
// the interval is at least 100 ms.
inline constexpr double kAnsweredProbesPerSecond = 10;
inline constexpr double kAnsweredProbesBurst = 20;
// Nonces remembered per path while their probes could still be fresh: at
// the rate above and the default skew about 3,100; past it, probes are
// refused until older ones are stale.
inline constexpr size_t kMaxRememberedNonces = 32768;
inline constexpr std::chrono::milliseconds kMaxClockSkew = std::chrono::hours(24);
// Probes and replies taken per path before their signature is checked: a
// relay cannot make a node verify signatures at will either. Over it they
// are dropped unread.
inline constexpr double kInboundProbesPerSecond = 25;
inline constexpr double kInboundProbesBurst = 50;
// "Test now" probes a path at most this soon after its last probe.
inline constexpr std::chrono::milliseconds kMinTestNowGap{250};

// One relay (by its index in the node's relay list) to one nation.
struct Path {
  size_t relay = 0;
  v1::Nation nation = v1::NATION_UNSPECIFIED;
  auto operator<=>(const Path&) const = default;
};

enum class State { kUntested, kOk, kFailed };
const char* StateName(State state);  // "untested", "ok", "failed"

struct Result {
  Path path;
  bool ok = false;
  // The path's first result, or ok after failed or failed after ok: the
  // moments an operator is alerted.
  bool changed = false;
  bool recovered = false;  // ok, and the path had failed
  int64_t at_ms = 0;
  int64_t rtt_ms = 0;  // ok: the round trip on our clock
  std::string reason;  // failed: why
};

struct View {
  Path path;
  State state = State::kUntested;
  int64_t last_probe_ms = 0;
  int64_t last_success_ms = 0;
  int64_t last_failure_ms = 0;
  int64_t rtt_ms = 0;  // of the last success
  uint64_t successes = 0;
  uint64_t failures = 0;
  uint64_t consecutive_failures = 0;
  std::string last_error;
  bool outstanding = false;
  // The other way: the last probe from `nation` through this relay that we
  // answered (0 = none since start).
  int64_t last_answered_ms = 0;
};

class PathBook {
 public:
  // The first round is due one interval after `start_ms`: links and peers
  // have come up by then, so a start is not reported as failed paths.
  PathBook(Options options, size_t relays, std::vector<v1::Nation> nations, int64_t start_ms);

  const Options& options() const { return options_; }
  // Paths due a probe at `now_ms`: an interval since the last, none
  // outstanding. The caller sends each (Sent) or reports why not (NotSent).
  std::vector<Path> Due(int64_t now_ms) const;
  // An operator's "test now": every path without a probe outstanding is
  // due now, or kMinTestNowGap after its last probe if that is later (a
  // script asking in a loop must not outrun the peers' answer rate and fail
  // paths that work). The schedule continues from there.
  void DueNow(int64_t now_ms);
  // `probe_digest`: SHA-256 of the encoded SignedPathProbe, as its reply
  // must echo it.
  void Sent(const Path& path, Bytes nonce, const Sha256Digest& probe_digest, int64_t now_ms);
  Result NotSent(const Path& path, std::string reason, int64_t now_ms);
  // A verified reply through `path` echoing `nonce` and `probe_digest`: its
  // result, or nullopt if it answers no probe outstanding there (past its
  // deadline, replayed, or another path's or probe's).
  std::optional<Result> Replied(const Path& path, ByteView nonce, ByteView probe_digest,
                                int64_t now_ms);
  // Probes past their deadline, failed, earliest first.
  std::vector<Result> Expire(int64_t now_ms);
  // Whether a probe is outstanding, or asked for (DueNow) and not yet sent.
  bool AnyOutstanding() const;

  // The other way. Whether to answer a verified probe that arrived through
  // `path` (its relay, and the prober's nation), sent at `sent_at_ms` on
  // the prober's clock: refused, naming why, if it is stale or from the
  // future (past deadline + clock skew), a nonce already answered (a relay
  // replaying it), or over the rate (kAnsweredProbesPerSecond per relay
  // and prober). An admitted nonce is remembered while it could be fresh.
  Status AdmitProbe(const Path& path, ByteView nonce, int64_t sent_at_ms, int64_t now_ms);
  // Whether to look at a probe or reply arriving through `path` (the
  // relay, and the nation it says sent it) at all: kInboundProbesPerSecond.
  bool TakeInbound(const Path& path, int64_t now_ms);
  void Answered(const Path& path, int64_t now_ms);

  std::vector<View> Views() const;

 private:
  struct Entry {
    View view;
    int64_t next_due_ms = 0;
    Bytes nonce;  // outstanding probe's
    bool asked = false;  // by DueNow, until sent
    Bytes probe_digest;
    TokenBucket answers{kAnsweredProbesPerSecond, kAnsweredProbesBurst};
    TokenBucket inbound{kInboundProbesPerSecond, kInboundProbesBurst};
  };
  struct Nonces {
    std::set<Bytes> known;
    std::deque<std::pair<int64_t, Bytes>> by_expiry;  // in arrival order
  };
  Result Record(Entry& e, bool ok, int64_t now_ms, int64_t rtt_ms, std::string reason);
  int64_t NextAfter(int64_t now_ms) const;

  Options options_;
  std::map<Path, Entry> entries_;
  std::map<Path, Nonces> seen_;
};

// "US → relay-2 → KR"
std::string PathName(v1::Nation self, const std::string& relay, v1::Nation nation);
// What is alerted and audited: "US → relay-2 → KR failed at
// 2026-12-04T18:00:05Z: no signed reply within 10 s", or "... works again
// (round trip 12 ms)".
std::string Describe(v1::Nation self, const std::string& relay, const Result& result);

}  // namespace hotline::paths

#endif  // HOTLINE_PATH_TESTS_H_
