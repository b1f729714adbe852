#include "hotline/history.h"

#include <gtest/gtest.h>

namespace hotline {
namespace {

v1::AuditRecord Rec(const std::string& actor, v1::AuditEvent e, char id, const std::string& digest,
                    v1::Nation peer = v1::NATION_UNSPECIFIED, uint64_t seq = 0) {
  v1::AuditRecord r;
  r.set_actor(actor);
  r.set_event(e);
  r.set_message_id(std::string(16, id));
  r.set_envelope_digest(digest);
  r.set_peer(peer);
  r.set_sequence(seq);
  r.set_channel(v1::CHANNEL_GENERAL);
  return r;
}

v1::AuditRecord Sent(char id, std::vector<v1::Nation> to, const std::string& digest = "d") {
  auto r = Rec("node-us", v1::AUDIT_EVENT_SENT, id, digest);
  for (auto n : to) r.add_recipients(n);
  return r;
}

TEST(HistoryCheckerTest, CleanRunIsClean) {
  HistoryChecker h;
  h.Add({Sent('a', {v1::NATION_JP}),
         Rec("node-us", v1::AUDIT_EVENT_RECEIPT_RECEIVED, 'a', "d", v1::NATION_JP)});
  h.Add({Rec("node-jp", v1::AUDIT_EVENT_DELIVERED, 'a', "d", v1::NATION_US, 1)});
  h.Add({Rec("relay-1", v1::AUDIT_EVENT_ACCEPTED, 'a', "d")});
  EXPECT_TRUE(h.Check().clean()) << h.Check().Summary();
}

TEST(HistoryCheckerTest, CountsEveryKindOfDiscrepancy) {
  HistoryChecker h;
  h.Add({Sent('a', {v1::NATION_JP, v1::NATION_KR}), Sent('b', {v1::NATION_JP}), Sent('c', {v1::NATION_JP}),
         Rec("node-us", v1::AUDIT_EVENT_RECEIPT_RECEIVED, 'a', "d", v1::NATION_JP),
         Rec("node-us", v1::AUDIT_EVENT_RECEIPT_RECEIVED, 'b', "other", v1::NATION_JP)});
  h.Add({Rec("node-jp", v1::AUDIT_EVENT_DELIVERED, 'a', "d", v1::NATION_US, 2),
         Rec("node-jp", v1::AUDIT_EVENT_DELIVERED, 'b', "d", v1::NATION_US, 1),   // out of order
         Rec("node-jp", v1::AUDIT_EVENT_DELIVERED, 'b', "d", v1::NATION_US, 3),   // duplicated
         Rec("node-jp", v1::AUDIT_EVENT_DELIVERED, 'c', "x", v1::NATION_US, 4)}); // digest differs
  h.Add({Rec("relay-1", v1::AUDIT_EVENT_ACCEPTED, 'a', "forged"),
         Rec("relay-1", v1::AUDIT_EVENT_ACCEPTED, 'z', "d")});
  HistoryReport r = h.Check();
  EXPECT_EQ(r.lost, 1u);           // a -> KR
  EXPECT_EQ(r.duplicated, 1u);     // b
  EXPECT_EQ(r.out_of_order, 1u);   // b #1 after a #2
  EXPECT_EQ(r.unreceipted, 1u);    // c
  EXPECT_EQ(r.mismatched, 2u);     // c's digest, b's receipt digest
  EXPECT_EQ(r.relay_disagreements, 2u);
  EXPECT_FALSE(r.clean());
}

}  // namespace
}  // namespace hotline
