// Track feeds (docs/PROTOCOL.md §11): the daemon's side of track::Publisher
// and track::Receiver. Updates are sealed and signed like any envelope but
// never stored or receipted: each goes through every live relay at
// IMMEDIATE precedence, as latest-value traffic (a queued older update of
// the same track is replaced). The evidence — a summary of the updates
// sent, once a second per track and when it ends — is an ordinary durable
// message, checked and audited by each recipient.
#include <spdlog/spdlog.h>

#include <cmath>
#include <cstdio>

#include "hotline/control_codec.h"
#include "hotline/names.h"
#include "hotline/text.h"
#include "node/node_daemon.h"

namespace hotline::node {

namespace {

constexpr size_t kMaxUnsentTracks = 1024;
constexpr int64_t kUnsentMaxAgeMs = 10'000;  // as a relay holds them
constexpr int64_t kShownAfterEndMs = 60'000;
constexpr int64_t kTrackPruneEveryMs = 5'000;
constexpr int kAuditedRejectsPerSecond = 20;

std::string NamesOf(const std::set<int>& nations) {
  std::string out;
  for (int n : nations) out += (out.empty() ? "" : ",") + NationCode(static_cast<v1::Nation>(n));
  return out;
}

std::string PositionText(const v1::TrackUpdate& u) {
  char text[96];
  std::snprintf(text, sizeof text, "%.3f%c %.3f%c %.1f km", std::abs(u.latitude()),
                u.latitude() >= 0 ? 'N' : 'S', std::abs(u.longitude()),
                u.longitude() >= 0 ? 'E' : 'W', u.altitude_m() / 1000);
  return text;
}

}  // namespace

v1::ControlResponse NodeDaemon::PublishTrack(const v1::TrackPublishRequest& request) {
  v1::TrackUpdate update = request.update();
  if (Status st = track::ValidateUpdate(update); !st.ok()) {
    RejectControlInput("track publish: " + st.message());
    return ErrorResponse(st);
  }
  auto to = Recipients(request.to());
  if (!to.ok()) return ErrorResponse(to.status());
  auto known = track_recipients_.find(update.track_id());
  if (known != track_recipients_.end() && known->second != *to) {
    return ErrorResponse(FailedPreconditionError(
        "track " + update.track_id() + " goes to " + NamesOf(known->second) +
        "; end it (an update with ended) before sending it to " + NamesOf(*to)));
  }
  int64_t now_us = config_.now_us();
  if (update.measured_at_us() == 0) update.set_measured_at_us(now_us);

  v1::EnvelopeHeader h;
  h.set_version(kEnvelopeVersion);
  h.set_message_id(ToString(RandomBytes(kMessageIdLen)));
  h.set_sender(config_.nation);
  for (int n : *to) h.add_recipients(static_cast<v1::Nation>(n));
  h.set_channel(v1::CHANNEL_MISSILE_WARNING);
  h.set_precedence(v1::PRECEDENCE_IMMEDIATE);
  h.set_created_at_ms(now_us / 1000);
  h.set_sender_cert_serial(identity_->details.serial());
  if (Status st = ValidateHeader(h); !st.ok()) return ErrorResponse(st);
  track_recipients_[update.track_id()] = *to;
  auto stamp = track_publisher_.Next(update.track_id());
  h.mutable_track()->set_track_key(ToString(stamp.key));
  h.mutable_track()->set_update_seq(stamp.seq);
  v1::Body body;
  body.set_version(1);
  *body.mutable_track_update() = update;
  Sha256Digest digest{};
  auto sealed = keys_->Seal(h, body, &digest, nullptr);
  // Numbered either way, so the summary shows the gap.
  track_publisher_.Sent(update.track_id(), stamp.seq, sealed.ok() ? ByteView(digest) : ByteView(),
                        update.ended(), update.status(), now_us / 1000);
  // Its last summary at once if it ended; any that is full (a summary
  // never covers more than kMaxUnsummarized updates).
  SendTrackSummaries(now_us / 1000);
  if (update.ended()) track_recipients_.erase(update.track_id());
  if (!sealed.ok()) return ErrorResponse(sealed.status());

  v1::LinkFrame frame;
  frame.mutable_track()->set_envelope(ToString(*sealed));
  std::string key = ToString(stamp.key);
  uint32_t relays = 0;
  for (size_t r = 0; pool_ && r < pool_->size(); ++r) {
    if (pool_->Up(r) && pool_->SendLatest(r, frame, key, v1::PRECEDENCE_IMMEDIATE).ok()) ++relays;
  }
  if (relays > 0) {
    unsent_tracks_.erase(key);  // an older one held must not follow this one
  } else if (unsent_tracks_.size() < kMaxUnsentTracks || unsent_tracks_.count(key)) {
    unsent_tracks_[key] = {now_us / 1000, frame.track().envelope()};
  }
  CountTrack("published");
  v1::ControlResponse r;
  r.set_ok(true);
  r.mutable_track_publish()->set_track_key(key);
  r.mutable_track_publish()->set_update_seq(stamp.seq);
  r.mutable_track_publish()->set_relays(relays);
  return r;
}

void NodeDaemon::FlushUnsentTracks() {
  int64_t now = config_.now_ms();
  auto unsent = std::move(unsent_tracks_);
  unsent_tracks_.clear();
  for (auto& [key, held] : unsent) {
    if (now - held.first > kUnsentMaxAgeMs) continue;  // no longer a live position
    v1::LinkFrame frame;
    frame.mutable_track()->set_envelope(std::move(held.second));
    for (size_t r = 0; r < pool_->size(); ++r) {
      if (pool_->Up(r)) (void)pool_->SendLatest(r, frame, key, v1::PRECEDENCE_IMMEDIATE);
    }
  }
}

void NodeDaemon::SendTrackSummaries(int64_t now_ms) {
  for (auto& summary : track_publisher_.SummariesDue(now_ms)) {
    auto recipients = track_recipients_.find(summary.track_id());
    if (recipients == track_recipients_.end()) continue;  // cannot happen: kept until it ended
    v1::SendRequest request;
    for (int n : recipients->second) request.add_to(static_cast<v1::Nation>(n));
    request.set_channel(v1::CHANNEL_MISSILE_WARNING);
    request.set_precedence(v1::PRECEDENCE_PRIORITY);  // evidence: behind live updates
    *request.mutable_body()->mutable_track_summary() = summary;
    std::string what = summary.track_id() + " [" + WarningStatusText(summary.status()) + "] #" +
                       std::to_string(summary.first_seq()) + "..#" +
                       std::to_string(summary.last_seq()) + (summary.ended() ? " (ended)" : "") +
                       " to " + NamesOf(recipients->second);
    std::string sent = std::to_string(summary.last_seq() - summary.first_seq() + 1) + " sent";
    SendInternal(request, /*system=*/true, "node", [this, what, sent](v1::ControlResponse r) {
      if (!r.ok()) spdlog::error("track summary {} not sent: {}", what, r.error());
      AuditAsync({.event = v1::AUDIT_EVENT_TRACK_SUMMARY,
                  .message_id = r.ok() ? r.send().message_id() : std::string(),
                  .channel = v1::CHANNEL_MISSILE_WARNING,
                  .reason = r.ok() ? sent : "summary not sent: " + r.error(),
                  .detail = what});
    });
  }
}

void NodeDaemon::OnTrack(size_t relay, const v1::TrackFrame& frame) {
  auto opened = keys_->Open(AsBytes(frame.envelope()));
  if (!opened.ok() && opened.status().code() == StatusCode::kNotFound && ReloadTrust()) {
    opened = keys_->Open(AsBytes(frame.envelope()));
  }
  int64_t now = config_.now_ms();
  if (opened.ok()) {
    const auto& h = opened->header;
    Status use =
        peers_.CheckUse(h.sender(), h.sender_cert_serial(), h.created_at_ms(), now, trust());
    int64_t skew_ms = config_.allowed_skew_seconds * 1000;
    if (!use.ok()) {
      opened = use;
    } else if (!h.has_track() || h.track().track_key().size() != track::kKeyBytes ||
               h.track().update_seq() == 0 || !opened->body.has_track_update()) {
      opened = InvalidArgumentError("not a track update (no track stamp, or another body)");
    } else if (Status st = track::ValidateUpdate(opened->body.track_update()); !st.ok()) {
      opened = st;
    } else if (h.created_at_ms() < now - skew_ms - limits::kTrackMaxAge.count()) {
      opened = FailedPreconditionError("made " + std::to_string((now - h.created_at_ms()) / 1000) +
                                       " s ago: too old to be live (replayed?)");
    } else if (h.created_at_ms() > now + skew_ms) {
      opened = FailedPreconditionError("made in our future, beyond the allowed clock skew");
    }
  }
  if (!opened.ok()) {
    auto routed = ParseEnvelopeForRouting(AsBytes(frame.envelope()));
    RejectTrack(relay,
                "track update from relay " + pool_->subject(relay) +
                    " rejected: " + opened.status().message(),
                routed.ok() ? AsBytes(routed->header.message_id()) : ByteView(),
                routed.ok() ? routed->header.sender() : v1::NATION_UNSPECIFIED);
    return;
  }
  const auto& h = opened->header;
  if (opened->sender_epoch)
    LearnPeerEpoch(h.sender(), *opened->sender_epoch, opened->sender_epoch_key);
  const std::string& key = h.track().track_key();
  uint64_t seq = h.track().update_seq();
  auto verdict = track_receiver_.Offer(h.sender(), AsBytes(key), seq, opened->digest,
                                       static_cast<int>(relay), now);
  const v1::TrackUpdate& update = opened->body.track_update();
  std::string name = NationCode(h.sender()) + " track " + Printable(update.track_id()) + " #" +
                     std::to_string(seq);
  using Verdict = track::Receiver::Verdict;
  if (verdict == Verdict::kReplayed || verdict == Verdict::kLate || verdict == Verdict::kTooMany) {
    const char* why = verdict == Verdict::kReplayed
                          ? "already received through this relay (replayed)"
                      : verdict == Verdict::kLate
                          ? "its summary has already been checked (replayed, or over a second late)"
                          : "its sender already has 1024 tracks at once";
    RejectTrack(relay, name + " from relay " + pool_->subject(relay) + " rejected: " + why,
                AsBytes(h.message_id()), h.sender());
    return;
  }
  v1::TrackView& view = track_views_[{h.sender(), key}];
  if (verdict == Verdict::kStale) {
    view.set_stale(view.stale() + 1);
    CountTrack("stale");
    return;
  }
  CountTrack("applied");
  ObserveClock(NationCode(h.sender()), h.created_at_ms(), ClockWatch::kUnbounded, now);
  view.set_sender(h.sender());
  view.set_track_key(key);
  view.set_update_seq(seq);
  *view.mutable_update() = update;
  view.set_received_at_us(config_.now_us());
  view.set_applied(view.applied() + 1);
  Emit("track", AsBytes(h.message_id()), h.sender(),
       "[" + WarningStatusText(update.status()) + "] " + Printable(update.track_id()) + " #" +
           std::to_string(seq) + " " + PositionText(update) + (update.ended() ? " ENDED" : ""),
       &view);
}

void NodeDaemon::OnTrackSummary(v1::Nation sender, const v1::TrackSummary& summary,
                                ByteView message_id) {
  auto check = track_receiver_.CheckSummary(sender, summary, config_.now_ms());
  std::string name = NationCode(sender) + " track " + Printable(summary.track_id()) + " [" +
                     WarningStatusText(summary.status()) + "] #" +
                     std::to_string(summary.first_seq()) + "..#" +
                     std::to_string(summary.last_seq());
  if (!check.ok()) {
    return RejectInput("track summary of " + name + " refused: " + check.status().message(),
                       message_id, sender);
  }
  std::string detail = name + (summary.ended() ? " (ended)" : "");
  if (!check->missing.empty()) detail += "; not received: " + track::RangesText(check->missing);
  if (!check->mismatched.empty()) detail += "; MISMATCHED: " + track::RangesText(check->mismatched);
  AuditAsync({.event = v1::AUDIT_EVENT_TRACK_SUMMARY,
              .message_id = ToString(message_id),
              .peer = sender,
              .channel = v1::CHANNEL_MISSILE_WARNING,
              .reason = track::CheckText(*check),
              .detail = detail});
  if (!check->mismatched.empty()) {
    Alert("TRACK SUMMARY MISMATCH: " + detail + " — the updates received differ from those " +
              NationCode(sender) + " says it sent",
          message_id, sender);
  }
  Emit("track-summary", message_id, sender, detail + ": " + track::CheckText(*check));
}

v1::ControlResponse NodeDaemon::TrackList() {
  v1::ControlResponse r;
  r.set_ok(true);
  auto* out = r.mutable_track_list();
  for (const auto& [id, view] : track_views_) {
    if (view.update_seq() > 0) *out->add_tracks() = view;
  }
  return r;
}

// Refused track updates are audited one by one up to kAuditedRejectsPerSecond
// per relay, then counted: a relay replaying updates at link speed must not
// fill the disk with audit records.
void NodeDaemon::RejectTrack(size_t relay, const std::string& what, ByteView message_id,
                             v1::Nation peer) {
  CountTrack("refused");
  RejectRateLimited(relay, what, message_id, peer);
}

void NodeDaemon::RejectRateLimited(size_t relay, const std::string& what, ByteView message_id,
                                   v1::Nation peer) {
  auto [it, _] =
      relay_refusals_.try_emplace(relay, kAuditedRejectsPerSecond, kAuditedRejectsPerSecond);
  if (auto record = it->second.Admit(config_.now_ms(), what))
    RejectInput(*record, message_id, peer);
}

void NodeDaemon::TickTracks(int64_t now_ms) {
  // A track its publisher stopped without an ended update is ended here,
  // with its last summary; then its recipients are free again.
  std::vector<std::string> silent =
      track_publisher_.EndSilent(now_ms, limits::kTrackMaxAge.count());
  SendTrackSummaries(now_ms);
  for (const auto& id : silent) track_recipients_.erase(id);
  for (auto& [relay, refusals] : relay_refusals_) {
    auto record =
        refusals.Flush(now_ms, "track updates or path probes from relay " + pool_->subject(relay));
    if (record) RejectInput(*record, {}, v1::NATION_UNSPECIFIED);
  }
  if (now_ms - last_track_prune_ms_ < kTrackPruneEveryMs) return;
  last_track_prune_ms_ = now_ms;
  int64_t now_us = now_ms * 1000;
  std::erase_if(track_views_, [&](const auto& entry) {
    const v1::TrackView& v = entry.second;
    int64_t quiet_ms = (now_us - v.received_at_us()) / 1000;
    return quiet_ms > (v.update().ended() ? kShownAfterEndMs : limits::kTrackMaxAge.count());
  });
  // Longer than any accepted update's age (allowed skew both ways + the
  // maximum age), so a forgotten track cannot be replayed into view.
  int64_t skew_ms = config_.allowed_skew_seconds * 1000;
  track_receiver_.ForgetIdle(now_ms, 2 * skew_ms + 2 * limits::kTrackMaxAge.count());
  for (auto it = unsent_tracks_.begin(); it != unsent_tracks_.end();) {
    it = now_ms - it->second.first > kUnsentMaxAgeMs ? unsent_tracks_.erase(it) : std::next(it);
  }
}

}  // namespace hotline::node
