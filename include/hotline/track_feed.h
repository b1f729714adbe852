// Track feeds (PROTOCOL.md §11), sans-I/O: the publisher's numbering of
// each track's updates and its once-a-second evidence of what it sent, and
// the recipient's latest-value rule and its check of that evidence.
//
// A track update is an ordinary sealed, signed envelope whose header has a
// TrackStamp (track key, update sequence). Relays and link queues keep
// only the newest unsent update of each track, so a slow link skips
// positions instead of falling behind; the summaries (ordinary, durable,
// receipted messages) let each recipient and auditor see exactly which
// updates were sent and which arrived.
//
// Thread safety: none; one thread. Error contract: malformed summaries are
// InvalidArgument; nothing else fails.
#ifndef HOTLINE_TRACK_FEED_H_
#define HOTLINE_TRACK_FEED_H_

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "hotline/bytes.h"
#include "hotline/limits.h"
#include "hotline/status.h"
#include "hotline/v1/body.pb.h"
#include "hotline/v1/common.pb.h"

namespace hotline::track {

inline constexpr size_t kKeyBytes = limits::kTrackKeyBytes;
inline constexpr size_t kDigestPrefixBytes = 8;
inline constexpr int64_t kSummaryPeriodMs = 1000;
// Digests a recipient keeps per track while it waits for their summary.
inline constexpr size_t kMaxUnsummarized = 4096;
// Tracks a recipient follows per sender at once (live or recently ended).
inline constexpr size_t kMaxTracksPerSender = 1024;

using DigestPrefix = std::array<uint8_t, kDigestPrefixBytes>;
DigestPrefix PrefixOf(ByteView envelope_digest);

// The sending side: one per node.
class Publisher {
 public:
  struct Stamp {
    Bytes key;         // 16 bytes, random per track
    uint64_t seq = 0;  // from 1
  };
  // The stamp for the next update of `track_id`; a new (or ended) track
  // gets a fresh random key. Every stamp must be followed by Sent().
  Stamp Next(const std::string& track_id);
  // The update `seq` of `track_id` went out with `envelope_digest`; an
  // empty digest means it could not be sealed (recorded as zeros).
  void Sent(const std::string& track_id, uint64_t seq, ByteView envelope_digest, bool ended,
            v1::MissileWarning::Status status, int64_t now_ms);
  // Summaries due at `now_ms`: each track whose oldest unsummarized update
  // went out at least kSummaryPeriodMs ago, and the last of each track
  // that ended (then forgotten).
  // Also due at once: a track with kMaxUnsummarized updates waiting (a
  // summary never covers more).
  std::vector<v1::TrackSummary> SummariesDue(int64_t now_ms);
  // Tracks with no update for `silent_ms` are ended as if their last
  // update had said so (their last summary is due, marked ended); returns
  // their names.
  std::vector<std::string> EndSilent(int64_t now_ms, int64_t silent_ms);
  size_t tracks() const { return tracks_.size(); }

 private:
  struct Track {
    Bytes key;
    uint64_t next_seq = 1;
    uint64_t first_unsummarized = 1;
    std::string digests;           // prefixes of [first_unsummarized, ...)
    int64_t period_start_ms = -1;  // when the oldest of them went out; -1: none
    int64_t last_sent_ms = 0;
    bool ended = false;
    v1::MissileWarning::Status status = v1::MissileWarning::STATUS_UNSPECIFIED;
  };
  v1::TrackSummary Summarize(const std::string& track_id, Track& track);
  std::map<std::string, Track> tracks_;               // live, by name
  std::vector<std::pair<std::string, Track>> ended_;  // awaiting their last summary
};

// An update fit to publish or apply: a printable track id of 1..64 bytes
// and sensor of at most 64, finite numbers, a position on the globe, known
// classification and status. Nodes check both ways; scenarios check theirs.
Status ValidateUpdate(const v1::TrackUpdate& update);

// The receiving side: one per node, for every sender's tracks.
class Receiver {
 public:
  enum class Verdict {
    kApply,     // newer than any applied update of its track: show it
    kStale,     // not newer (conflated, or the same update through another relay)
    kReplayed,  // the same update again through the same relay: refuse and audit
    kLate,      // newer than any applied, but a summary already covered it: refuse and audit
    kTooMany,   // a new track of a sender that has kMaxTracksPerSender: refuse and audit
  };
  // A verified, opened update that came through relay `via` (0..31; each
  // relay forwards an update once). Recorded as received unless refused.
  // One not newer than the applied one is stale, whichever relay brought
  // it, unless that relay already brought it (replayed).
  Verdict Offer(v1::Nation sender, ByteView key, uint64_t seq, ByteView envelope_digest, int via,
                int64_t now_ms);

  struct Check {
    uint64_t sent = 0;                 // updates the summary lists
    uint64_t received = 0;             // of them, received with the digest listed
    std::vector<uint64_t> missing;     // not received (conflated on the way, or lost)
    std::vector<uint64_t> mismatched;  // received with another digest
  };
  // Compares `summary` from `sender` with the updates received in its
  // range, then forgets their digests (the track's applied sequence stays,
  // so a late older update of an ended track is still stale).
  StatusOr<Check> CheckSummary(v1::Nation sender, const v1::TrackSummary& summary, int64_t now_ms);
  // The highest applied sequence of a track (0: none).
  uint64_t Applied(v1::Nation sender, ByteView key) const;
  size_t tracks() const { return tracks_.size(); }
  // Forgets a track entirely (e.g. long after it ended).
  void Forget(v1::Nation sender, ByteView key);
  // Forgets every track with no update or summary for `idle_ms`; the
  // caller refuses updates older than that, so a forgotten track cannot
  // be replayed into view.
  void ForgetIdle(int64_t now_ms, int64_t idle_ms);

 private:
  struct Received {
    DigestPrefix digest;
    uint32_t via = 0;  // bit per relay it came through
  };
  struct Track {
    uint64_t applied = 0;
    uint64_t summarized = 0;                // every update up to this was summarized
    std::map<uint64_t, Received> received;  // not yet summarized
    int64_t last_ms = 0;
  };
  Track* Find(v1::Nation sender, ByteView key, int64_t now_ms, bool* too_many);
  std::map<std::pair<v1::Nation, Bytes>, Track> tracks_;
  std::map<v1::Nation, size_t> per_sender_;
};

// Sequence numbers as ranges, e.g. "#3..#5, #9" (at most `max_ranges`, then "...").
std::string RangesText(const std::vector<uint64_t>& seqs, size_t max_ranges = 32);

// Text for a check, e.g. "50 sent, 48 received, 2 not received, 0 mismatched".
std::string CheckText(const Receiver::Check& check);

}  // namespace hotline::track

#endif  // HOTLINE_TRACK_FEED_H_
