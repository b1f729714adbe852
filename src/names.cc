#include "hotline/names.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/generated_enum_reflection.h>

#include <cctype>

namespace hotline {

namespace {

using google::protobuf::EnumDescriptor;

// The value's name without `prefix`; "UNSPECIFIED" for unknown values.
std::string Text(const EnumDescriptor* e, int value, std::string_view prefix) {
  const auto* v = e->FindValueByNumber(value);
  if (!v) return "UNSPECIFIED";
  std::string name = v->name();
  return name.rfind(prefix, 0) == 0 ? name.substr(prefix.size()) : name;
}

std::string Canonical(std::string_view text) {
  std::string out;
  for (char c : text) out += c == '-' || c == ' ' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// Parses `text` as one of `e`'s values other than the zero one.
StatusOr<int> Parse(const EnumDescriptor* e, std::string_view text, std::string_view prefix,
                    std::string_view what, bool lower) {
  std::string wanted = std::string(prefix) + Canonical(text);
  std::string accepted;
  for (int i = 0; i < e->value_count(); ++i) {
    const auto* v = e->value(i);
    if (v->number() == 0) continue;
    if (v->name() == wanted) return v->number();
    std::string shown = v->name().substr(prefix.size());
    for (char& c : shown) c = lower ? (c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)))) : c;
    accepted += (accepted.empty() ? "" : ", ") + shown;
  }
  return InvalidArgumentError("unknown " + std::string(what) + " '" + std::string(text) + "' (expected " +
                              accepted + ")");
}

}  // namespace

std::string PrecedenceText(v1::Precedence p) { return Text(v1::Precedence_descriptor(), p, "PRECEDENCE_"); }

std::string ChannelText(v1::Channel c) {
  std::string text = Text(v1::Channel_descriptor(), c, "CHANNEL_");
  for (char& ch : text) ch = ch == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return text;
}

std::string WarningStatusText(v1::MissileWarning::Status s) {
  return Text(v1::MissileWarning::Status_descriptor(), s, "STATUS_");
}

std::string PositionText(v1::ConsultResponse::Position p) {
  std::string text = Text(v1::ConsultResponse::Position_descriptor(), p, "POSITION_");
  for (char& c : text) c = c == '_' ? ' ' : c;
  return text;
}

std::string AuditEventText(v1::AuditEvent e) { return Text(v1::AuditEvent_descriptor(), e, "AUDIT_EVENT_"); }

StatusOr<v1::Precedence> ParsePrecedenceText(std::string_view text) {
  HOTLINE_ASSIGN_OR_RETURN(int v, Parse(v1::Precedence_descriptor(), text, "PRECEDENCE_", "precedence", true));
  return static_cast<v1::Precedence>(v);
}

StatusOr<v1::Channel> ParseChannelText(std::string_view text) {
  HOTLINE_ASSIGN_OR_RETURN(int v, Parse(v1::Channel_descriptor(), text, "CHANNEL_", "channel", true));
  return static_cast<v1::Channel>(v);
}

StatusOr<v1::MissileWarning::Status> ParseWarningStatusText(std::string_view text) {
  HOTLINE_ASSIGN_OR_RETURN(int v, Parse(v1::MissileWarning::Status_descriptor(), text, "STATUS_", "status", true));
  return static_cast<v1::MissileWarning::Status>(v);
}

StatusOr<v1::ConsultResponse::Position> ParsePositionText(std::string_view text) {
  HOTLINE_ASSIGN_OR_RETURN(int v,
                           Parse(v1::ConsultResponse::Position_descriptor(), text, "POSITION_", "position", true));
  return static_cast<v1::ConsultResponse::Position>(v);
}

}  // namespace hotline
