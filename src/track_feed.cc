#include "hotline/track_feed.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "hotline/crypto.h"
#include "hotline/text.h"

namespace hotline::track {

namespace {

constexpr size_t kMaxTrackIdBytes = 64;
constexpr size_t kMaxSensorBytes = 64;

bool Finite(std::initializer_list<double> values) {
  for (double v : values) {
    if (!std::isfinite(v)) return false;
  }
  return true;
}

}  // namespace

Status ValidateUpdate(const v1::TrackUpdate& u) {
  if (u.track_id().empty() || u.track_id().size() > kMaxTrackIdBytes) {
    return InvalidArgumentError("a track update needs a track id of 1 to 64 bytes");
  }
  if (Printable(u.track_id()) != u.track_id() ||
      Printable(u.source_sensor()) != u.source_sensor() ||
      u.source_sensor().size() > kMaxSensorBytes) {
    return InvalidArgumentError(
        "track id and source sensor must be printable text (sensor ≤ 64 bytes)");
  }
  if (!Finite({u.latitude(), u.longitude(), u.altitude_m(), u.velocity_east_mps(),
               u.velocity_north_mps(), u.velocity_up_mps(), u.position_sigma_m(),
               u.altitude_sigma_m()})) {
    return InvalidArgumentError("track update has a number that is not finite");
  }
  if (std::abs(u.latitude()) > 90 || std::abs(u.longitude()) > 180) {
    return InvalidArgumentError(
        "track update position is off the globe (latitude ±90, longitude ±180)");
  }
  if (u.position_sigma_m() < 0 || u.altitude_sigma_m() < 0) {
    return InvalidArgumentError("track update has a negative error estimate");
  }
  if (!v1::TrackUpdate::Classification_IsValid(u.classification()) ||
      !v1::MissileWarning::Status_IsValid(u.status()) ||
      u.status() == v1::MissileWarning::STATUS_UNSPECIFIED) {
    return InvalidArgumentError(
        "track update needs a known classification and a status (ACTUAL, EXERCISE or TEST)");
  }
  return Status::Ok();
}

DigestPrefix PrefixOf(ByteView envelope_digest) {
  DigestPrefix p{};
  std::copy_n(envelope_digest.begin(), std::min(envelope_digest.size(), p.size()), p.begin());
  return p;
}

Publisher::Stamp Publisher::Next(const std::string& track_id) {
  Track& t = tracks_[track_id];
  if (t.key.empty()) t.key = RandomBytes(kKeyBytes);
  return {t.key, t.next_seq++};
}

void Publisher::Sent(const std::string& track_id, uint64_t seq, ByteView envelope_digest,
                     bool ended, v1::MissileWarning::Status status, int64_t now_ms) {
  auto it = tracks_.find(track_id);
  if (it == tracks_.end() || seq == 0) return;
  Track& t = it->second;
  uint64_t expected = t.first_unsummarized + t.digests.size() / kDigestPrefixBytes;
  if (seq != expected) return;  // out of order: a caller bug; the summary stays contiguous
  DigestPrefix p = envelope_digest.empty() ? DigestPrefix{} : PrefixOf(envelope_digest);
  t.digests.append(reinterpret_cast<const char*>(p.data()), p.size());
  if (t.period_start_ms < 0) t.period_start_ms = now_ms;
  t.last_sent_ms = now_ms;
  t.status = status;
  if (ended) {
    // Its last summary goes out at the next call; an update of the same
    // name after this starts a new track with a new key.
    ended_.push_back({it->first, std::move(t)});
    ended_.back().second.ended = true;
    tracks_.erase(it);
  }
}

v1::TrackSummary Publisher::Summarize(const std::string& track_id, Track& t) {
  v1::TrackSummary s;
  s.set_track_key(ToString(t.key));
  s.set_track_id(track_id);
  s.set_first_seq(t.first_unsummarized);
  s.set_last_seq(t.first_unsummarized + t.digests.size() / kDigestPrefixBytes - 1);
  s.set_update_digests(t.digests);
  s.set_ended(t.ended);
  s.set_status(t.status);
  t.first_unsummarized = s.last_seq() + 1;
  t.digests.clear();
  t.period_start_ms = -1;
  return s;
}

std::vector<v1::TrackSummary> Publisher::SummariesDue(int64_t now_ms) {
  std::vector<v1::TrackSummary> out;
  for (auto& [id, t] : ended_) out.push_back(Summarize(id, t));
  ended_.clear();
  for (auto& [id, t] : tracks_) {
    bool full = t.digests.size() >= kMaxUnsummarized * kDigestPrefixBytes;
    if (!t.digests.empty() && (full || now_ms - t.period_start_ms >= kSummaryPeriodMs)) {
      out.push_back(Summarize(id, t));
    }
  }
  return out;
}

std::vector<std::string> Publisher::EndSilent(int64_t now_ms, int64_t silent_ms) {
  std::vector<std::string> ended;
  for (auto it = tracks_.begin(); it != tracks_.end();) {
    if (now_ms - it->second.last_sent_ms < silent_ms) {
      ++it;
      continue;
    }
    ended.push_back(it->first);
    it->second.ended = true;
    if (!it->second.digests.empty()) ended_.push_back({it->first, std::move(it->second)});
    it = tracks_.erase(it);
  }
  return ended;
}

Receiver::Track* Receiver::Find(v1::Nation sender, ByteView key, int64_t now_ms, bool* too_many) {
  auto id = std::make_pair(sender, Bytes(key.begin(), key.end()));
  auto it = tracks_.find(id);
  if (it == tracks_.end()) {
    if (per_sender_[sender] >= kMaxTracksPerSender) {
      *too_many = true;
      return nullptr;
    }
    ++per_sender_[sender];
    it = tracks_.emplace(std::move(id), Track{}).first;
  }
  it->second.last_ms = now_ms;
  return &it->second;
}

Receiver::Verdict Receiver::Offer(v1::Nation sender, ByteView key, uint64_t seq,
                                  ByteView envelope_digest, int via, int64_t now_ms) {
  bool too_many = false;
  Track* found = Find(sender, key, now_ms, &too_many);
  if (!found) return Verdict::kTooMany;
  Track& t = *found;
  uint32_t bit = 1u << (static_cast<unsigned>(via) % 32);
  auto got = t.received.find(seq);
  if (got != t.received.end() && (got->second.via & bit)) return Verdict::kReplayed;
  if (seq <= t.summarized) {
    // Its digest is forgotten: the copy through a relay that was away
    // (stale), or a replay of an old update (never applied either way).
    return seq <= t.applied ? Verdict::kStale : Verdict::kLate;
  }
  if (got != t.received.end()) {
    got->second.via |= bit;
    // The first digest seen for a sequence is kept: a second, different
    // one shows up as a mismatch when the summary comes.
  } else if (t.received.size() < kMaxUnsummarized) {
    t.received.emplace(seq, Received{PrefixOf(envelope_digest), bit});
  }
  if (seq <= t.applied) return Verdict::kStale;
  t.applied = seq;
  return Verdict::kApply;
}

StatusOr<Receiver::Check> Receiver::CheckSummary(v1::Nation sender, const v1::TrackSummary& s,
                                                 int64_t now_ms) {
  if (s.track_key().size() != kKeyBytes) return InvalidArgumentError("track key is not 16 bytes");
  if (s.first_seq() == 0 || s.last_seq() < s.first_seq()) {
    return InvalidArgumentError("track summary range is empty or starts at 0");
  }
  uint64_t count = s.last_seq() - s.first_seq() + 1;
  if (count > kMaxUnsummarized || s.update_digests().size() != count * kDigestPrefixBytes) {
    return InvalidArgumentError("track summary lists " + std::to_string(s.update_digests().size()) +
                                " digest bytes for " + std::to_string(count) + " updates");
  }
  Check check;
  check.sent = count;
  bool too_many = false;
  Track* found = Find(sender, AsBytes(s.track_key()), now_ms, &too_many);
  if (!found) return ResourceExhaustedError("more than 1024 tracks of one sender at once");
  Track& t = *found;
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t seq = s.first_seq() + i;
    auto got = t.received.find(seq);
    if (got == t.received.end()) {
      check.missing.push_back(seq);
      continue;
    }
    if (std::memcmp(got->second.digest.data(), s.update_digests().data() + i * kDigestPrefixBytes,
                    kDigestPrefixBytes) == 0) {
      ++check.received;
    } else {
      check.mismatched.push_back(seq);
    }
  }
  t.received.erase(t.received.begin(), t.received.upper_bound(s.last_seq()));
  t.summarized = std::max(t.summarized, s.last_seq());
  return check;
}

uint64_t Receiver::Applied(v1::Nation sender, ByteView key) const {
  auto it = tracks_.find({sender, Bytes(key.begin(), key.end())});
  return it == tracks_.end() ? 0 : it->second.applied;
}

void Receiver::Forget(v1::Nation sender, ByteView key) {
  if (tracks_.erase({sender, Bytes(key.begin(), key.end())})) --per_sender_[sender];
}

void Receiver::ForgetIdle(int64_t now_ms, int64_t idle_ms) {
  std::erase_if(tracks_, [&](const auto& entry) {
    bool idle = now_ms - entry.second.last_ms > idle_ms;
    if (idle) --per_sender_[entry.first.first];
    return idle;
  });
}

std::string CheckText(const Receiver::Check& c) {
  return std::to_string(c.sent) + " sent, " + std::to_string(c.received) + " received, " +
         std::to_string(c.missing.size()) + " not received, " +
         std::to_string(c.mismatched.size()) + " mismatched";
}

std::string RangesText(const std::vector<uint64_t>& seqs, size_t max_ranges) {
  std::string out;
  size_t ranges = 0;
  for (size_t i = 0; i < seqs.size();) {
    size_t j = i;
    while (j + 1 < seqs.size() && seqs[j + 1] == seqs[j] + 1) ++j;
    if (ranges++ == max_ranges) return out + ", ...";
    out += (out.empty() ? "#" : ", #") + std::to_string(seqs[i]);
    if (j > i) out += "..#" + std::to_string(seqs[j]);
    i = j + 1;
  }
  return out;
}

}  // namespace hotline::track
