#include "hotline/path_tests.h"

#include <gtest/gtest.h>

#include "hotline/certs.h"

namespace hotline::paths {
namespace {

using std::chrono::milliseconds;

constexpr int64_t kStart = 1'800'000'000'000;

v1::PathProbeDetails Probe(v1::Nation from, v1::Nation to, const std::string& relay) {
  v1::PathProbeDetails d;
  d.set_version(1);
  d.set_from(from);
  d.set_to(to);
  d.set_relay(relay);
  d.set_nonce(std::string(kNonceLen, 'n'));
  d.set_at_ms(kStart);
  d.set_cert_serial(7);
  return d;
}

TEST(PathProbeTest, SignedProbeAndReplyVerifyAndBindTheRelayAndTheProbe) {
  Ed25519KeyPair us = GenerateEd25519(), kr = GenerateEd25519();
  std::string probe =
      SignProbe(Probe(v1::NATION_US, v1::NATION_KR, "relay-2"), us.secret).SerializeAsString();
  auto parsed = ParseProbe(AsBytes(probe));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_TRUE(VerifyProbe(*parsed, us.public_key));
  EXPECT_FALSE(VerifyProbe(*parsed, kr.public_key));
  EXPECT_TRUE(CheckRouting(*parsed, v1::NATION_KR, v1::NATION_US, "relay-2").ok());
  // Addressed elsewhere, stamped by the relay as from another nation, or
  // arriving through a relay other than the one the prober named.
  EXPECT_FALSE(CheckRouting(*parsed, v1::NATION_JP, v1::NATION_US, "relay-2").ok());
  EXPECT_FALSE(CheckRouting(*parsed, v1::NATION_KR, v1::NATION_JP, "relay-2").ok());
  Status wrong_relay = CheckRouting(*parsed, v1::NATION_KR, v1::NATION_US, "relay-1");
  EXPECT_NE(wrong_relay.message().find("came through 'relay-1'"), std::string::npos)
      << wrong_relay.message();

  v1::PathProbeDetails reply = ReplyDetails(*parsed, AsBytes(probe), "relay-2", 9, kStart + 5);
  EXPECT_TRUE(reply.reply());
  EXPECT_EQ(reply.from(), v1::NATION_KR);
  EXPECT_EQ(reply.to(), v1::NATION_US);
  EXPECT_EQ(reply.nonce(), parsed->details.nonce());
  Sha256Digest digest = Sha256({AsBytes(probe)});
  EXPECT_EQ(reply.probe_digest(), ToString(digest));
  std::string encoded_reply = SignProbe(reply, kr.secret).SerializeAsString();
  auto parsed_reply = ParseProbe(AsBytes(encoded_reply));
  ASSERT_TRUE(parsed_reply.ok()) << parsed_reply.status().ToString();
  EXPECT_TRUE(VerifyProbe(*parsed_reply, kr.public_key));

  // One changed byte of the details breaks the signature.
  v1::SignedPathProbe tampered = parsed->signed_probe;
  v1::PathProbeDetails d = parsed->details;
  d.set_relay("relay-1");
  tampered.set_details(d.SerializeAsString());
  auto parsed_tampered = ParseProbe(AsBytes(tampered.SerializeAsString()));
  ASSERT_TRUE(parsed_tampered.ok());
  EXPECT_FALSE(VerifyProbe(*parsed_tampered, us.public_key));
}

TEST(PathProbeTest, MalformedProbesAreNamed) {
  Ed25519KeyPair us = GenerateEd25519();
  auto parse = [&](const v1::PathProbeDetails& d) {
    return ParseProbe(AsBytes(SignProbe(d, us.secret).SerializeAsString())).status().message();
  };
  auto d = Probe(v1::NATION_US, v1::NATION_KR, "relay-2");
  d.set_version(2);
  EXPECT_NE(parse(d).find("version"), std::string::npos);
  d = Probe(v1::NATION_US, v1::NATION_US, "relay-2");
  EXPECT_NE(parse(d).find("nations"), std::string::npos);
  d = Probe(v1::NATION_US, v1::NATION_KR, "relay-2");
  d.set_nonce("short");
  EXPECT_NE(parse(d).find("nonce"), std::string::npos);
  d = Probe(v1::NATION_US, v1::NATION_KR, "");
  EXPECT_NE(parse(d).find("relay name"), std::string::npos);
  d = Probe(v1::NATION_US, v1::NATION_KR, "relay-2");
  d.set_reply(true);
  EXPECT_NE(parse(d).find("probe digest"), std::string::npos);
  EXPECT_NE(ParseProbe(AsBytes(std::string("\xff\xff", 2))).status().message().find("not a valid"),
            std::string::npos);
  EXPECT_NE(ParseProbe(AsBytes(std::string(kMaxProbeBytes + 1, 'x')))
                .status()
                .message()
                .find("over the limit"),
            std::string::npos);
}

Sha256Digest Digest(uint8_t fill) {
  Sha256Digest d;
  d.fill(fill);
  return d;
}

class PathBookTest : public ::testing::Test {
 protected:
  Options options_{.interval = milliseconds(60'000), .deadline = milliseconds(10'000)};
  PathBook book_{options_, 2, {v1::NATION_JP, v1::NATION_KR}, kStart};
  const Path r2_kr_{1, v1::NATION_KR};
};

TEST_F(PathBookTest, TheFirstRoundIsOneIntervalAfterStartThenEveryInterval) {
  EXPECT_TRUE(book_.Due(kStart).empty());
  EXPECT_TRUE(book_.Due(kStart + 59'999).empty());
  std::vector<Path> due = book_.Due(kStart + 60'000);
  ASSERT_EQ(due.size(), 4u);  // 2 relays x 2 nations
  for (const Path& p : due) book_.Sent(p, Bytes(kNonceLen, 1), Digest(1), kStart + 60'000);
  EXPECT_TRUE(book_.Due(kStart + 200'000).empty()) << "none while a probe is outstanding";
  EXPECT_TRUE(book_.AnyOutstanding());
}

TEST_F(PathBookTest, AReplyInTimeIsASuccessWithItsRoundTrip) {
  Bytes nonce(kNonceLen, 7);
  book_.Sent(r2_kr_, nonce, Digest(1), kStart + 60'000);
  EXPECT_FALSE(book_.Replied(r2_kr_, Bytes(kNonceLen, 8), Digest(1), kStart + 60'010))
      << "another nonce answers nothing";
  EXPECT_FALSE(book_.Replied(Path{0, v1::NATION_KR}, nonce, Digest(1), kStart + 60'010))
      << "a reply through another relay answers nothing";
  auto r = book_.Replied(r2_kr_, nonce, Digest(1), kStart + 60'012);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->ok);
  EXPECT_TRUE(r->changed);
  EXPECT_FALSE(r->recovered);
  EXPECT_EQ(r->rtt_ms, 12);
  EXPECT_FALSE(book_.Replied(r2_kr_, nonce, Digest(1), kStart + 60'020))
      << "a replayed reply counts once";
  auto views = book_.Views();
  auto v =
      std::find_if(views.begin(), views.end(), [&](const View& x) { return x.path == r2_kr_; });
  ASSERT_NE(v, views.end());
  EXPECT_EQ(v->state, State::kOk);
  EXPECT_EQ(v->rtt_ms, 12);
  EXPECT_EQ(v->last_success_ms, kStart + 60'012);
  EXPECT_EQ(v->successes, 1u);
  EXPECT_EQ(book_.Due(kStart + 119'999).size(), 3u) << "this path next at 120 s, the others now";
}

TEST_F(PathBookTest, NoReplyByTheDeadlineFailsOnceThenRecovers) {
  Bytes nonce(kNonceLen, 7);
  book_.Sent(r2_kr_, nonce, Digest(1), kStart + 60'000);
  EXPECT_TRUE(book_.Expire(kStart + 69'999).empty());
  auto failed = book_.Expire(kStart + 70'000);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_FALSE(failed[0].ok);
  EXPECT_TRUE(failed[0].changed);
  EXPECT_EQ(failed[0].reason, "no signed reply within 10 s");
  EXPECT_TRUE(book_.Expire(kStart + 80'000).empty()) << "failed once, not at every tick";
  EXPECT_FALSE(book_.Replied(r2_kr_, nonce, Digest(1), kStart + 71'000)) << "too late to count";
  EXPECT_EQ(Describe(v1::NATION_US, "relay-2", failed[0]),
            "US → relay-2 → KR failed at " + FormatUnixUtc((kStart + 70'000) / 1000) +
                ": no signed reply within 10 s");

  // Failing again is no change (no second alert); then it works again.
  auto again = book_.NotSent(r2_kr_, "relay-2 is not connected", kStart + 120'000);
  EXPECT_FALSE(again.changed);
  book_.Sent(r2_kr_, Bytes(kNonceLen, 9), Digest(1), kStart + 180'000);
  auto back = book_.Replied(r2_kr_, Bytes(kNonceLen, 9), Digest(1), kStart + 180'004);
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->changed);
  EXPECT_TRUE(back->recovered);
  auto views = book_.Views();
  auto v =
      std::find_if(views.begin(), views.end(), [&](const View& x) { return x.path == r2_kr_; });
  EXPECT_EQ(v->failures, 2u);
  EXPECT_EQ(v->consecutive_failures, 0u);
  EXPECT_EQ(v->last_error, "relay-2 is not connected");
}

TEST_F(PathBookTest, TestNowMakesEveryIdlePathDueAndAnIntervalOfZeroOnlyThat) {
  book_.Sent(r2_kr_, Bytes(kNonceLen, 1), Digest(1), kStart + 1);
  book_.DueNow(kStart + 2);
  EXPECT_EQ(book_.Due(kStart + 2).size(), 3u) << "the outstanding one keeps its probe";

  PathBook manual({.interval = milliseconds(0), .deadline = milliseconds(1000)}, 1, {v1::NATION_JP},
                  kStart);
  EXPECT_TRUE(manual.Due(kStart + 1'000'000'000).empty());
  manual.DueNow(kStart + 5);
  ASSERT_EQ(manual.Due(kStart + 5).size(), 1u);
  manual.Sent(Path{0, v1::NATION_JP}, Bytes(kNonceLen, 1), Digest(1), kStart + 5);
  ASSERT_EQ(manual.Expire(kStart + 1005).size(), 1u);
  EXPECT_TRUE(manual.Due(kStart + 1'000'000'000).empty());
}

TEST_F(PathBookTest, TestNowRightAfterAProbeWaitsAMomentAndStillTests) {
  PathBook manual({.interval = milliseconds(0), .deadline = milliseconds(1000)}, 1, {v1::NATION_JP},
                  kStart);
  const Path jp{0, v1::NATION_JP};
  manual.DueNow(kStart + 5);
  manual.Sent(jp, Bytes(kNonceLen, 1), Digest(1), kStart + 5);
  ASSERT_TRUE(manual.Replied(jp, Bytes(kNonceLen, 1), Digest(1), kStart + 25));
  EXPECT_FALSE(manual.AnyOutstanding());
  manual.DueNow(kStart + 30);
  EXPECT_TRUE(manual.Due(kStart + 30).empty()) << "probed 25 ms ago: not yet";
  EXPECT_TRUE(manual.AnyOutstanding()) << "asked for, so a waiting operator keeps waiting";
  const int64_t later = kStart + 5 + kMinTestNowGap.count();
  EXPECT_TRUE(manual.Due(later - 1).empty());
  ASSERT_EQ(manual.Due(later).size(), 1u);
  manual.NotSent(jp, "relay-1 is not connected", later);
  EXPECT_FALSE(manual.AnyOutstanding());
}

TEST_F(PathBookTest, AProbeIsAnsweredOnceHoweverOftenARelayReplaysIt) {
  const Path r1_jp{0, v1::NATION_JP};
  const int64_t now = kStart + 5'000;
  Bytes nonce(kNonceLen, 3);
  EXPECT_TRUE(book_.AdmitProbe(r1_jp, nonce, now - 100, now).ok());
  Status replay = book_.AdmitProbe(r1_jp, nonce, now - 100, now + 10);
  EXPECT_EQ(replay.code(), StatusCode::kAlreadyExists) << replay.ToString();
  EXPECT_TRUE(book_.AdmitProbe(Path{1, v1::NATION_JP}, nonce, now - 100, now + 20).ok())
      << "memory is per path: the relay a probe names is under its signature (CheckRouting)";
  EXPECT_TRUE(book_.AdmitProbe(Path{0, v1::NATION_KR}, nonce, now - 100, now + 30).ok())
      << "nonces are per prober";
  // Cycling many other probes does not push it out of memory: it is
  // remembered for as long as its at_ms is fresh (deadline 10 s + skew 300 s).
  for (uint8_t i = 10; i < 200; ++i) {
    (void)book_.AdmitProbe(Path{1, v1::NATION_JP}, Bytes(kNonceLen, i), now, now + i * 1000);
  }
  EXPECT_FALSE(book_.AdmitProbe(r1_jp, nonce, now - 100, now + 309'000).ok());
  // Once stale it is refused as stale, whatever its nonce.
  Status stale = book_.AdmitProbe(r1_jp, nonce, now - 100, now + 311'000);
  EXPECT_EQ(stale.code(), StatusCode::kFailedPrecondition) << stale.ToString();
  EXPECT_NE(stale.message().find("stale or from the future"), std::string::npos);
}

TEST_F(PathBookTest, StaleFutureAndTooFrequentProbesAreNotAnswered) {
  const Path r1_jp{0, v1::NATION_JP};
  const int64_t now = kStart + 1'000'000;
  uint8_t next = 1;
  auto admit = [&](const Path& p, int64_t at, int64_t when) {
    return book_.AdmitProbe(p, Bytes(kNonceLen, next++), at, when);
  };
  EXPECT_TRUE(admit(r1_jp, now - 310'000, now).ok()) << "deadline + skew old: still fresh";
  EXPECT_FALSE(admit(r1_jp, now - 310'001, now).ok());
  EXPECT_TRUE(admit(r1_jp, now + 300'000, now).ok()) << "skew ahead: still fresh";
  EXPECT_FALSE(admit(r1_jp, now + 300'001, now).ok());
  // The rate: a burst of 20 (two used above), then 10 a second, per relay
  // and prober.
  int admitted = 0;
  for (int i = 0; i < 40; ++i) admitted += admit(r1_jp, now, now).ok();
  EXPECT_EQ(admitted, 18);
  Status over = admit(r1_jp, now, now);
  EXPECT_EQ(over.code(), StatusCode::kResourceExhausted) << over.ToString();
  EXPECT_TRUE(admit(Path{1, v1::NATION_JP}, now, now).ok()) << "another relay has its own";
  EXPECT_TRUE(admit(r1_jp, now + 100, now + 100).ok()) << "one more after 100 ms";
  EXPECT_FALSE(admit(r1_jp, now + 100, now + 100).ok());
}

TEST_F(PathBookTest, ProbesBeyondTheInboundRateAreDroppedBeforeTheirSignatureIsChecked) {
  int taken = 0;
  for (int i = 0; i < 100; ++i) taken += book_.TakeInbound(r2_kr_, kStart);
  EXPECT_EQ(taken, 50);
  EXPECT_TRUE(book_.TakeInbound(Path{0, v1::NATION_KR}, kStart)) << "per path";
  EXPECT_TRUE(book_.TakeInbound(r2_kr_, kStart + 40)) << "25 a second";
  EXPECT_FALSE(book_.TakeInbound(Path{5, v1::NATION_KR}, kStart)) << "no such relay";
  // A clock skew past a day counts as a day: no overflow, no wrapped expiry.
  PathBook wide({.interval = milliseconds(1000),
                 .deadline = milliseconds(1000),
                 .clock_skew = milliseconds(INT64_MAX / 2)},
                1, {v1::NATION_JP}, kStart);
  const Path p{0, v1::NATION_JP};
  EXPECT_FALSE(wide.AdmitProbe(p, Bytes(kNonceLen, 1), INT64_MAX, kStart).ok());
  EXPECT_FALSE(wide.AdmitProbe(p, Bytes(kNonceLen, 1), INT64_MIN, kStart).ok());
  EXPECT_TRUE(wide.AdmitProbe(p, Bytes(kNonceLen, 1), kStart - 86'400'000, kStart).ok());
  EXPECT_FALSE(wide.AdmitProbe(p, Bytes(kNonceLen, 1), kStart - 86'400'000, kStart + 1).ok())
      << "remembered";
}

TEST_F(PathBookTest, AReplyCountsOnlyForItsOwnProbeAndWithinTheDeadline) {
  Bytes nonce(kNonceLen, 7);
  book_.Sent(r2_kr_, nonce, Digest(2), kStart + 60'000);
  EXPECT_FALSE(book_.Replied(r2_kr_, nonce, Digest(3), kStart + 60'010))
      << "a reply naming another probe answers nothing";
  // Past the deadline but before the node's next tick: a failure, not a
  // success.
  EXPECT_FALSE(book_.Replied(r2_kr_, nonce, Digest(2), kStart + 70'001));
  auto failed = book_.Expire(kStart + 70'001);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_FALSE(failed[0].ok);
}

}  // namespace
}  // namespace hotline::paths
