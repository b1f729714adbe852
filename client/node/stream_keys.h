// The keys a node's message streams are counted under. A sender numbers
// each (channel, recipient) stream from 1 (EnvelopeHeader.recipient_
// sequences) and each channel for display (EnvelopeHeader.sequence); a
// recipient releases each (sender, channel) stream in that order.
//
// Thread safety: plain values. Error contract: none.
#ifndef HOTLINE_CLIENT_NODE_STREAM_KEYS_H_
#define HOTLINE_CLIENT_NODE_STREAM_KEYS_H_

#include <compare>

#include "hotline/v1/common.pb.h"

namespace hotline::node {

// A sender's counter: one per channel (recipient unspecified: the display
// sequence) and one per (channel, recipient).
struct SequenceKey {
  v1::Channel channel = v1::CHANNEL_UNSPECIFIED;
  v1::Nation recipient = v1::NATION_UNSPECIFIED;
  auto operator<=>(const SequenceKey&) const = default;
};

// A recipient's view of one incoming stream.
struct StreamKey {
  v1::Nation sender = v1::NATION_UNSPECIFIED;
  v1::Channel channel = v1::CHANNEL_UNSPECIFIED;
  auto operator<=>(const StreamKey&) const = default;
};

}  // namespace hotline::node

#endif  // HOTLINE_CLIENT_NODE_STREAM_KEYS_H_
