// Enum <-> text, in one place, from protobuf's generated names: what the
// CLI accepts and prints, what alerts and summaries say. A value's text is
// its .proto name without the enum's prefix ("PRECEDENCE_FLASH" -> "FLASH");
// channels read and print in lower case with '-' ("missile-warning").
//
// Thread safety: pure functions. Error contract: Parse* return
// InvalidArgument listing the accepted values.
#ifndef HOTLINE_NAMES_H_
#define HOTLINE_NAMES_H_

#include <string>
#include <string_view>

#include "hotline/status.h"
#include "hotline/v1/audit.pb.h"
#include "hotline/v1/body.pb.h"
#include "hotline/v1/common.pb.h"

namespace hotline {

std::string PrecedenceText(v1::Precedence precedence);  // "FLASH"
std::string ChannelText(v1::Channel channel);           // "missile-warning"
std::string WarningStatusText(v1::MissileWarning::Status status);  // "EXERCISE"
std::string PositionText(v1::ConsultResponse::Position position);  // "NEED TIME"
std::string AuditEventText(v1::AuditEvent event);                  // "RECEIPT_RECEIVED"

// Case-insensitive; "missile_warning" and "missile-warning" alike.
StatusOr<v1::Precedence> ParsePrecedenceText(std::string_view text);
StatusOr<v1::Channel> ParseChannelText(std::string_view text);
StatusOr<v1::MissileWarning::Status> ParseWarningStatusText(std::string_view text);
StatusOr<v1::ConsultResponse::Position> ParsePositionText(std::string_view text);

}  // namespace hotline

#endif  // HOTLINE_NAMES_H_
