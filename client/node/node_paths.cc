// Path tests (PROTOCOL.md §13; the schedule and results are
// hotline/path_tests.h): probes sent through each relay, replies signed
// for probes that arrive, results alerted, audited and counted.
#include <spdlog/spdlog.h>

#include "hotline/certs.h"
#include "hotline/control_codec.h"
#include "hotline/text.h"
#include "node/node_daemon.h"

namespace hotline::node {

namespace {

std::vector<v1::Nation> OtherNations(v1::Nation self) {
  std::vector<v1::Nation> out;
  for (v1::Nation n : {v1::NATION_US, v1::NATION_JP, v1::NATION_KR}) {
    if (n != self) out.push_back(n);
  }
  return out;
}

}  // namespace

void NodeDaemon::StartPathTests() {
  paths::Options options = config_.path_tests;
  options.clock_skew = std::chrono::seconds(config_.allowed_skew_seconds);
  paths_ = std::make_unique<paths::PathBook>(options, config_.relays.size(),
                                             OtherNations(config_.nation), config_.now_ms());
}

std::string NodeDaemon::RelayName(size_t relay) const {
  const std::string& subject = pool_->subject(relay);
  return subject.empty() ? config_.relays[relay] : subject;
}

void NodeDaemon::TickPaths(int64_t now_ms) {
  if (!paths_) return;
  for (const paths::Result& r : paths_->Expire(now_ms)) OnPathResult(r);
  for (const paths::Path& p : paths_->Due(now_ms)) ProbePath(p, now_ms);
  // A `links --test-now` is answered when no probe is outstanding, or at
  // the latest one deadline after it asked (scheduled probes of other
  // paths may keep going out meanwhile).
  if (path_waiters_.empty()) return;
  bool all_done = !paths_->AnyOutstanding();
  std::vector<Reply> due;
  std::erase_if(path_waiters_, [&](PathWaiter& w) {
    if (!all_done && now_ms < w.answer_by_ms) return false;
    due.push_back(std::move(w.reply));
    return true;
  });
  for (Reply& reply : due) reply(Links());
}

void NodeDaemon::ProbePath(const paths::Path& path, int64_t now_ms) {
  if (!pool_->Up(path.relay)) {
    return OnPathResult(paths_->NotSent(path, RelayName(path.relay) + " is not connected", now_ms));
  }
  if (!peers_.Current(path.nation)) {
    return OnPathResult(paths_->NotSent(
        path, "no usable certificate for " + NationCode(path.nation) + " to check its reply",
        now_ms));
  }
  Bytes nonce = RandomBytes(paths::kNonceLen);
  v1::PathProbeDetails d;
  d.set_version(1);
  d.set_from(config_.nation);
  d.set_to(path.nation);
  d.set_relay(pool_->subject(path.relay));
  d.set_nonce(ToString(nonce));
  d.set_at_ms(now_ms);
  d.set_cert_serial(identity_->details.serial());
  v1::LinkFrame frame;
  frame.mutable_path_probe()->set_to(path.nation);
  std::string encoded = paths::SignProbe(d, identity_->keys.signing.secret).SerializeAsString();
  Sha256Digest digest = Sha256({AsBytes(encoded)});
  frame.mutable_path_probe()->set_signed_probe(std::move(encoded));
  // IMMEDIATE, as track updates: ahead of a backlog, never ahead of FLASH.
  if (Status s = pool_->Send(path.relay, frame, v1::PRECEDENCE_IMMEDIATE); !s.ok()) {
    return OnPathResult(paths_->NotSent(path, "not sent: " + s.message(), now_ms));
  }
  paths_->Sent(path, std::move(nonce), digest, now_ms);
}

void NodeDaemon::OnPathProbe(size_t relay, const v1::PathProbe& frame) {
  int64_t now = config_.now_ms();
  const std::string& subject = pool_->subject(relay);
  auto refuse = [&](const std::string& why) {
    RejectRateLimited(relay, "path probe from relay " + subject + ": " + why, {}, frame.from());
  };
  if (!paths_) return;
  if (!paths_->TakeInbound(paths::Path{relay, frame.from()}, now)) {
    spdlog::debug("path probe from {} through {} dropped unread: over {} a second",
                  NationCode(frame.from()), Printable(subject), paths::kInboundProbesPerSecond);
    return;
  }
  auto parsed = paths::ParseProbe(AsBytes(frame.signed_probe()));
  if (!parsed.ok()) return refuse(parsed.status().message());
  const v1::PathProbeDetails& d = parsed->details;
  // The signature first: nothing the relay could have written is looked at
  // (or logged) before the prober's signature covers it.
  const PeerCertificate* cert = d.from() == config_.nation ? nullptr : peers_.Current(d.from());
  if (!cert || cert->details.serial() != d.cert_serial()) {
    return refuse("signed under certificate serial " + std::to_string(d.cert_serial()) + " of " +
                  NationCode(d.from()) + ", not its current one here");
  }
  if (!paths::VerifyProbe(*parsed, cert->keys.signing_public_key)) {
    return refuse("the signature of " + NationCode(d.from()) + " does not verify");
  }
  if (Status s = paths::CheckRouting(*parsed, config_.nation, frame.from(), subject); !s.ok()) {
    return refuse(s.message());
  }
  paths::Path path{relay, d.from()};
  if (d.reply()) {
    if (auto result = paths_->Replied(path, AsBytes(d.nonce()), AsBytes(d.probe_digest()), now)) {
      OnPathResult(*result);
    } else {
      spdlog::debug("path reply from {} through {} answers no outstanding probe (late)",
                    NationCode(d.from()), Printable(subject));
    }
    TickPaths(now);  // expires a late one, answers a waiting `links --test-now`
    return;
  }
  // A relay cannot make us sign at will: no stale or replayed probe, and
  // a bounded rate per relay and prober.
  if (Status s = paths_->AdmitProbe(path, AsBytes(d.nonce()), d.at_ms(), now); !s.ok()) {
    return refuse("not answered: " + s.message());
  }
  v1::PathProbeDetails reply = paths::ReplyDetails(*parsed, AsBytes(frame.signed_probe()), subject,
                                                   identity_->details.serial(), now);
  v1::LinkFrame out;
  out.mutable_path_probe()->set_to(d.from());
  out.mutable_path_probe()->set_signed_probe(
      paths::SignProbe(reply, identity_->keys.signing.secret).SerializeAsString());
  if (pool_->Send(relay, out, v1::PRECEDENCE_IMMEDIATE).ok()) paths_->Answered(path, now);
}

void NodeDaemon::OnPathResult(const paths::Result& r) {
  std::string relay = RelayName(r.path.relay);
  if (metrics_) {
    metrics_->Add("hotline_path_tests_total", 1,
                  {relay, NationCode(r.path.nation), r.ok ? "ok" : "failed"});
  }
  std::string text = paths::Describe(config_.nation, relay, r);
  if (!r.ok) {
    // Every failed test is on the record; the operator is alerted when a
    // path goes from working (or untested) to failed, and told of each
    // repeat on the live feed.
    if (r.changed) {
      Alert("PATH TEST FAILED: " + text, {}, r.path.nation);
    } else {
      Emit("path", {}, r.path.nation, text);
    }
    AuditAsync({.event = v1::AUDIT_EVENT_PATH_TEST,
                .peer = r.path.nation,
                .peer_subject = relay,
                .reason = text,
                .detail = "failed"});
    return;
  }
  if (r.recovered) {
    Alert("PATH RESTORED: " + text, {}, r.path.nation);
    AuditAsync({.event = v1::AUDIT_EVENT_PATH_TEST,
                .peer = r.path.nation,
                .peer_subject = relay,
                .reason = text,
                .detail = "restored"});
  } else if (r.changed) {
    Emit("path", {}, r.path.nation,
         paths::PathName(config_.nation, relay, r.path.nation) + " works (round trip " +
             std::to_string(r.rtt_ms) + " ms)");
  }
}

void NodeDaemon::GetLinks(const v1::LinksRequest& request, Reply reply) {
  if (!paths_) return reply(ErrorResponse(FailedPreconditionError("the node is starting")));
  if (!request.test_now()) return reply(Links());
  int64_t now = config_.now_ms();
  paths_->DueNow(now);
  path_waiters_.push_back({std::move(reply), now + paths::kMinTestNowGap.count() +
                                                 config_.path_tests.deadline.count() + 1});
  TickPaths(now);
}

v1::ControlResponse NodeDaemon::Links() const {
  v1::ControlResponse out;
  out.set_ok(true);
  auto* links = out.mutable_links();
  links->set_nation(config_.nation);
  links->set_interval_ms(config_.path_tests.interval.count());
  links->set_deadline_ms(config_.path_tests.deadline.count());
  for (const paths::View& v : paths_->Views()) {
    auto* p = links->add_paths();
    std::string relay = RelayName(v.path.relay);
    p->set_path(paths::PathName(config_.nation, relay, v.path.nation));
    p->set_relay(relay);
    p->set_relay_index(static_cast<uint32_t>(v.path.relay));
    p->set_nation(v.path.nation);
    p->set_state(paths::StateName(v.state));
    p->set_last_probe_ms(v.last_probe_ms);
    p->set_last_success_ms(v.last_success_ms);
    p->set_rtt_ms(v.rtt_ms);
    p->set_last_failure_ms(v.last_failure_ms);
    p->set_last_error(v.last_error);
    p->set_successes(v.successes);
    p->set_failures(v.failures);
    p->set_consecutive_failures(v.consecutive_failures);
    p->set_outstanding(v.outstanding);
    p->set_last_answered_ms(v.last_answered_ms);
  }
  return out;
}

}  // namespace hotline::node
