#include "console/session_book.h"

#include <gtest/gtest.h>

namespace hotline::console {
namespace {

TEST(SessionBookTest, ASessionLastsWhileUsedAndEndsWhenIdleOrOld) {
  SessionBook book({.idle_ms = 1000, .lifetime_ms = 5000});
  Session s = book.Open("alice", 0);
  EXPECT_EQ(s.token.size(), 43u);
  EXPECT_NE(s.token, s.csrf);
  ASSERT_NE(book.Find(s.token, 900), nullptr);
  ASSERT_NE(book.Find(s.token, 1800), nullptr);  // seen at 900: still fresh
  EXPECT_EQ(book.Find(s.token, 2900), nullptr);  // idle 1100 ms
  Session t = book.Open("bob", 0);
  for (int64_t now = 900; now < 5000; now += 900) ASSERT_NE(book.Find(t.token, now), nullptr);
  EXPECT_EQ(book.Find(t.token, 5400), nullptr);  // older than its lifetime
  EXPECT_EQ(book.Find("", 0), nullptr);
  EXPECT_EQ(book.Find("not-a-token", 0), nullptr);
}

TEST(SessionBookTest, SignOutEndsASessionAndTheOldestGoesBeyondTheLimit) {
  SessionBook book({.max_sessions = 2});
  Session a = book.Open("a", 1), b = book.Open("b", 2);
  book.Close(a.token);
  EXPECT_EQ(book.Find(a.token, 3), nullptr);
  Session c = book.Open("c", 3), d = book.Open("d", 4);
  EXPECT_EQ(book.size(), 2u);
  EXPECT_EQ(book.Find(b.token, 5), nullptr);  // least recently seen
  EXPECT_NE(book.Find(c.token, 5), nullptr);
  EXPECT_NE(book.Find(d.token, 5), nullptr);
}

TEST(SessionBookTest, ALoginLinkWorksOnceAndNotAfterItExpires) {
  SessionBook book({.link_lifetime_ms = 1000});
  std::string link = book.IssueLink("duty-officer", "cli:alice", 0);
  auto grant = book.RedeemLink(link, 500);
  ASSERT_TRUE(grant);
  EXPECT_EQ(grant->operator_name, "duty-officer");
  EXPECT_EQ(grant->issued_by, "cli:alice");
  EXPECT_FALSE(book.RedeemLink(link, 600));
  std::string late = book.IssueLink("duty-officer", "cli:alice", 0);
  EXPECT_FALSE(book.RedeemLink(late, 1001));
  EXPECT_FALSE(book.RedeemLink("forged", 0));
}

TEST(SessionBookTest, FailedLoginsAreLimitedPerAddressAndPerName) {
  SessionBook book({.failures_allowed = 3, .failure_window_ms = 60'000});
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(book.LoginRefusal("10.0.0.1", "alice", i).has_value());
    book.LoginFailed("10.0.0.1", "alice", i);
  }
  auto refusal = book.LoginRefusal("10.0.0.1", "bob", 10);
  ASSERT_TRUE(refusal.has_value());
  EXPECT_NE(refusal->find("too many failed logins from 10.0.0.1"), std::string::npos) << *refusal;
  // Another address guessing the same name is held back too.
  refusal = book.LoginRefusal("10.0.0.2", "alice", 10);
  ASSERT_TRUE(refusal.has_value());
  EXPECT_NE(refusal->find("for alice"), std::string::npos);
  EXPECT_FALSE(book.LoginRefusal("10.0.0.2", "bob", 10).has_value());
  EXPECT_FALSE(book.LoginRefusal("10.0.0.1", "alice", 60'001).has_value());  // the window passed
}

TEST(SessionBookTest, TokensAreComparedWhole) {
  EXPECT_TRUE(SameToken("abc", "abc"));
  EXPECT_FALSE(SameToken("abc", "abd"));
  EXPECT_FALSE(SameToken("abc", "ab"));
  EXPECT_FALSE(SameToken("", "a"));
  EXPECT_NE(NewToken(), NewToken());
}

}  // namespace
}  // namespace hotline::console
