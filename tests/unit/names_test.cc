#include "hotline/names.h"

#include <gtest/gtest.h>

namespace hotline {
namespace {

TEST(NamesTest, TextComesFromTheProtoNames) {
  EXPECT_EQ(PrecedenceText(v1::PRECEDENCE_FLASH), "FLASH");
  EXPECT_EQ(ChannelText(v1::CHANNEL_MISSILE_WARNING), "missile-warning");
  EXPECT_EQ(WarningStatusText(v1::MissileWarning::STATUS_EXERCISE), "EXERCISE");
  EXPECT_EQ(PositionText(v1::ConsultResponse::POSITION_NEED_TIME), "NEED TIME");
  EXPECT_EQ(AuditEventText(v1::AUDIT_EVENT_RECEIPT_RECEIVED), "RECEIPT_RECEIVED");
  EXPECT_EQ(PrecedenceText(static_cast<v1::Precedence>(99)), "UNSPECIFIED");
}

TEST(NamesTest, EveryValueParsesBackInAnyCaseAndSpelling) {
  for (int i = 1; i <= 4; ++i) {
    auto p = static_cast<v1::Precedence>(i);
    EXPECT_EQ(*ParsePrecedenceText(PrecedenceText(p)), p);
    auto c = static_cast<v1::Channel>(i);
    EXPECT_EQ(*ParseChannelText(ChannelText(c)), c);
  }
  EXPECT_EQ(*ParseChannelText("Missile_Warning"), v1::CHANNEL_MISSILE_WARNING);
  EXPECT_EQ(*ParsePrecedenceText("flash"), v1::PRECEDENCE_FLASH);
  EXPECT_EQ(*ParsePositionText("need-time"), v1::ConsultResponse::POSITION_NEED_TIME);
  EXPECT_EQ(*ParseWarningStatusText("Exercise"), v1::MissileWarning::STATUS_EXERCISE);
}

TEST(NamesTest, UnknownTextListsWhatIsAccepted) {
  auto bad = ParseChannelText("gossip");
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "unknown channel 'gossip' (expected crisis, missile-warning, consult, general)");
  EXPECT_FALSE(ParsePrecedenceText("unspecified").ok());  // the zero value is never a choice
}

}  // namespace
}  // namespace hotline
