#include "link_registry.h"

#include <gtest/gtest.h>

#include "hotline/asio.h"

namespace hotline::relay {
namespace {

// A link that is never started: the registry only holds and compares it.
LinkConnection::Ptr IdleLink(asio::io_context& io) {
  return LinkConnection::Create(asio::ip::tcp::socket(io), SecureChannelConfig{}, {}, {});
}

TEST(LinkRegistryTest, AdmitsUpToTheHandshakeLimitPerAddress) {
  LinkRegistry r(/*max_connections=*/10, /*max_handshaking_per_address=*/2);
  EXPECT_EQ(r.Admit("10.0.0.1"), "");
  EXPECT_EQ(r.Admit("10.0.0.1"), "");
  EXPECT_EQ(r.Admit("10.0.0.1"), "too many unauthenticated connections from 10.0.0.1");
  EXPECT_EQ(r.Admit("10.0.0.2"), "");  // other addresses carry on
  r.HandshakeEnded("10.0.0.1");
  EXPECT_EQ(r.handshaking("10.0.0.1"), 1u);
  EXPECT_EQ(r.Admit("10.0.0.1"), "");
  r.HandshakeEnded("10.0.0.9");  // unknown: ignored
  EXPECT_EQ(r.handshaking("10.0.0.9"), 0u);
}

TEST(LinkRegistryTest, RefusesBeyondTheConnectionLimit) {
  asio::io_context io;
  LinkRegistry r(/*max_connections=*/1, /*max_handshaking_per_address=*/8);
  ASSERT_EQ(r.Admit("10.0.0.1"), "");
  r.Add(IdleLink(io));
  EXPECT_EQ(r.Admit("10.0.0.2"), "connection limit (1) reached");
}

TEST(LinkRegistryTest, ANewerLinkOfTheSameNodeReplacesTheOlder) {
  asio::io_context io;
  LinkRegistry r(10, 10);
  auto first = IdleLink(io);
  auto second = IdleLink(io);
  r.Add(first);
  r.Add(second);
  EXPECT_EQ(r.Bind(v1::NATION_JP, first), nullptr);
  EXPECT_EQ(r.Bind(v1::NATION_JP, first), nullptr);  // binding again replaces nothing
  EXPECT_EQ(r.Bind(v1::NATION_JP, second), first);
  EXPECT_EQ(r.Current(v1::NATION_JP), second);
  // The replaced link closing does not take the nation's link down.
  EXPECT_FALSE(r.Remove(first, v1::NATION_JP));
  EXPECT_EQ(r.Current(v1::NATION_JP), second);
  EXPECT_TRUE(r.Remove(second, v1::NATION_JP));
  EXPECT_EQ(r.Current(v1::NATION_JP), nullptr);
  EXPECT_TRUE(r.All().empty());
}

}  // namespace
}  // namespace hotline::relay
