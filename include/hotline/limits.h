// Every protocol limit in one place (after wireguard-go's constants):
// first those the specifications fix, then our own choices.
//
// Thread safety: constants. Changing one of "our choices" is a protocol
// change: update docs/PROTOCOL.md in the same commit.
#ifndef HOTLINE_LIMITS_H_
#define HOTLINE_LIMITS_H_

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace hotline::limits {

// --- From the specifications ---------------------------------------------
inline constexpr size_t kNoiseMaxMessage = 65535;  // Noise §3
inline constexpr size_t kNoiseTagLen = 16;         // ChaChaPoly
inline constexpr size_t kWireLengthPrefix = 2;     // Noise §13: u16 BE length

// --- Our choices ----------------------------------------------------------
// Largest LinkFrame plaintext carried by one Noise transport message.
inline constexpr size_t kMaxFramePlaintext = kNoiseMaxMessage - kNoiseTagLen;
// Fragment payload size: a FLASH frame waits at most one of these.
inline constexpr size_t kFragmentBytes = 16 * 1024;
// Largest reassembled LinkFrame (a big envelope plus framing).
inline constexpr size_t kMaxReassembledFrame = 1024 * 1024 + 4096;
inline constexpr size_t kMaxEnvelopeBytes = 1024 * 1024;
inline constexpr size_t kMaxBodyBytes = kMaxEnvelopeBytes - 4096;
inline constexpr size_t kMaxHeaderBytes = 1024;
inline constexpr size_t kMaxRecipients = 3;
inline constexpr size_t kMaxCertificateBytes = 2048;
inline constexpr size_t kMaxRevocationListBytes = 64 * 1024;
// Signatures on a root document, certificate or revocation list: more
// count for nobody (a rotation's document carries the old keys' and the new).
inline constexpr size_t kMaxRootSignatures = 8;
inline constexpr size_t kMaxHandshakePayload = 4096;
// XX message 1 is padded with zeros to this size, and a responder answers
// only if message 1 is at least as long as its reply: an unauthenticated
// peer never gets more bytes back than it sent (no amplification).
inline constexpr size_t kHandshakeInitiationBytes = 1024;
// A link re-handshakes once either Noise counter reaches this (far below
// the 2^64-1 the spec reserves); operators may lower it (--rekey-after).
inline constexpr uint64_t kRekeyAfterMessages = uint64_t{1} << 60;
inline constexpr size_t kMaxReceiptBytes = 1024;
inline constexpr size_t kMaxControlMessage = 2 * 1024 * 1024;
// The reason a relay gives a node whose certificate it refuses, at most.
inline constexpr size_t kMaxRefusalText = 256;
// Replies and watch events queued for one control-socket client and not yet
// written: a client that stops reading (a stalled `watch`) is closed, with
// an audit record, once this much is waiting. One reply is always allowed.
inline constexpr size_t kMaxControlOutboxBytes = 4 * 1024 * 1024;
// Control-socket connections open at once. A --control-group socket is open
// to every local account: those refused may hold only a few descriptors
// (each for at most a second), so they cannot crowd out operators.
inline constexpr size_t kMaxControlConnections = 256;
inline constexpr size_t kMaxRefusedControlConnections = 16;
// Withdrawals a node keeps for one relay while its link is down; past this
// the relay simply delivers stale copies, which recipients deduplicate.
inline constexpr size_t kMaxPendingWithdrawals = 10000;

inline constexpr std::chrono::milliseconds kHandshakeTimeout{5000};
inline constexpr std::chrono::milliseconds kHeartbeatInterval{200};
inline constexpr std::chrono::milliseconds kIdleTimeout{750};
// A FLASH not accepted by its relay within this goes through another too:
// 6x the slowest acceptance seen under saturation (BENCHMARKS.md).
inline constexpr std::chrono::milliseconds kFlashHedgeAfter{100};
// A track's key in its TrackStamp (PROTOCOL.md §11).
inline constexpr size_t kTrackKeyBytes = 16;
// A track update made longer ago than this (beyond the allowed clock skew)
// is no live position: recipients refuse it as replayed.
inline constexpr std::chrono::milliseconds kTrackMaxAge{60000};
inline constexpr size_t kMaxConnections = 256;
inline constexpr size_t kMaxHandshakingPerAddress = 8;
inline constexpr size_t kMaxQueuedBytesPerConnection = 8 * 1024 * 1024;
// Control frames (acks, heartbeat replies) may go past that bound by this
// much; beyond it the peer is not reading and the connection is closed.
inline constexpr size_t kControlFrameHeadroom = 1024 * 1024;
// Kernel receive buffer of a link socket: small, so that a backlog waits in
// the sender's priority queue rather than in the receiver's socket buffer
// (PERFORMANCE.md §6), where a FLASH frame could not overtake it.
inline constexpr int kLinkReceiveBuffer = 128 * 1024;
// One socket read, and one coalesced write, on a link or the control socket.
inline constexpr size_t kReadChunkBytes = 64 * 1024;
// Frames read ahead of the work they cause (so that an urgent one behind
// bulk ones is seen), at most this many bytes per link; and how long that
// work runs before other connections get their turn.
inline constexpr size_t kMaxReadAheadBytes = 256 * 1024;
inline constexpr std::chrono::microseconds kDispatchSlice{500};
inline constexpr size_t kWriteBatchBytes = 64 * 1024;
inline constexpr size_t kControlWriteBatchBytes = 256 * 1024;
// Bulk traffic a node lets queue on one relay link: past it only IMMEDIATE
// and FLASH go in, so a later FLASH still goes first (the link's queue is
// itself ordered by precedence).
inline constexpr size_t kLinkHighWaterBytes = 1024 * 1024;
// Deliveries a relay keeps un-taken per node, in count and bytes: what a
// FLASH that arrives now must wait behind at the recipient.
inline constexpr size_t kDeliveryWindow = 64;
inline constexpr size_t kDeliveryWindowBytes = 256 * 1024;
inline constexpr size_t kFlashBeyondWindow = 16;
inline constexpr int kLinkNotSentLowat = 16 * 1024;

}  // namespace hotline::limits

#endif  // HOTLINE_LIMITS_H_
