// Human-readable rendering for the CLI: names, times, inbox entries,
// message status and missile warnings (drills shown so that they are never
// mistaken for a real event).
//
// Thread safety: pure functions. Error contract: parsers return StatusOr.
#ifndef HOTLINE_CLIENT_CLI_FORMAT_H_
#define HOTLINE_CLIENT_CLI_FORMAT_H_

#include <google/protobuf/message.h>

#include <string>

#include "hotline/status.h"
#include "hotline/v1/control.pb.h"

namespace hotline::cli {

std::string ChannelName(v1::Channel c);        // "crisis", "missile-warning", ...
std::string PrecedenceName(v1::Precedence p);  // "FLASH", ...
StatusOr<v1::Channel> ParseChannel(std::string_view s);
StatusOr<v1::Precedence> ParsePrecedence(std::string_view s);
std::string FormatTimeMs(int64_t unix_ms);     // "2026-11-22 00:41:12.345Z"
std::string FormatBody(const v1::Body& body);
std::string FormatMissileWarning(const v1::MissileWarning& w);
std::string FormatInboxLine(const v1::InboxEntry& e);
std::string FormatInboxEntry(const v1::InboxEntry& e);
std::string FormatMessageStatus(const v1::MessageStatus& s);
std::string FormatWatchEvent(const v1::WatchEvent& e);
std::string FormatConsultation(const v1::ConsultationStatus& c);
std::string FormatTrustSummary(
    const v1::TrustSummary& t);  // "root document 1 (US, JP, KR; 2 of 3) ..."
// One proto3 JSON object on one line (field names as in the .proto): what
// every --json option prints.
void PrintJson(const google::protobuf::Message& message);

}  // namespace hotline::cli

#endif  // HOTLINE_CLIENT_CLI_FORMAT_H_
