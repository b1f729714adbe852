// The node's epoch keys (docs/PROTOCOL.md §4 "Forward secrecy"): when the
// next one is due, which are past their retention and must be destroyed,
// and the newest epoch key of each other nation. State and decisions only:
// the daemon stores, announces and destroys (node_epochs.cc).
//
// Thread safety: one thread. Error contract: OfferPeer says whether a key
// was taken; it never throws.
#ifndef HOTLINE_CLIENT_NODE_EPOCH_BOOK_H_
#define HOTLINE_CLIENT_NODE_EPOCH_BOOK_H_

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "hotline/crypto.h"
#include "hotline/envelope.h"
#include "hotline/v1/envelope.pb.h"

namespace hotline::node {

class EpochBook {
 public:
  struct Options {
    int64_t epoch_ms = 3600 * 1000LL;           // how long senders use one of our keys
    int64_t retention_ms = 72 * 3600 * 1000LL;  // kept after that, for what is still in transit
    int64_t lead_ms = 5 * 60 * 1000LL;          // the next key is made this long before
  };
  struct Own {
    uint64_t epoch = 0;
    X25519KeyPair keys;
    std::string signed_key;  // serialized SignedEpochKey
    int64_t not_before_ms = 0;
    int64_t not_after_ms = 0;
    uint64_t cert_serial = 0;  // the certificate that signed it
  };
  struct Peer {
    v1::EpochKeyDetails details;
    std::string signed_key;
  };

  explicit EpochBook(Options options) : options_(options) {}
  const Options& options() const { return options_; }

  void RestoreOwn(Own own);
  // An epoch number that was ours but whose secret is gone: the next key
  // is numbered after it, so no peer confuses the two.
  void NoteLost(uint64_t epoch) { lost_floor_ = std::max(lost_floor_, epoch); }
  // A new epoch key is due: none in use, the newest ends within the lead
  // time or was signed under another certificate than `cert_serial` (ours
  // was renewed), or a rotation was asked for.
  bool Due(int64_t now_ms, uint64_t cert_serial) const;
  // The next epoch key (the caller stores it durably, then Adopts it).
  Own Make(int64_t now_ms, v1::Nation nation, uint64_t cert_serial,
           const Ed25519KeyPair& signing) const;
  void Adopt(Own own);
  // A suspected compromise: a key made at or after `now_ms` is due at once
  // (one already being made does not count).
  void RotateNow(int64_t now_ms) { rotate_from_ms_ = now_ms; }
  // Our epochs whose retention has passed: to destroy.
  std::vector<uint64_t> Expired(int64_t now_ms) const;
  void Destroy(uint64_t epoch) { own_.erase(epoch); }
  const std::map<uint64_t, Own>& own() const { return own_; }
  uint64_t newest() const { return own_.empty() ? 0 : own_.rbegin()->first; }
  uint64_t next_epoch() const { return std::max(newest(), lost_floor_) + 1; }

  // A peer's epoch key, verified by the caller under the peer's current
  // certificate (announced, or carried by an envelope or receipt): taken
  // if it is under another certificate than the one known, or newer
  // (later not_before; then higher epoch) — not by the bare epoch number,
  // so a node that lost its database and counts from 1 again is heard.
  bool OfferPeer(v1::Nation nation, const v1::EpochKeyDetails& details,
                 const std::string& signed_key);
  const std::map<v1::Nation, Peer>& peers() const { return peers_; }
  void DropPeer(v1::Nation nation) { peers_.erase(nation); }

  // What EnvelopeKeys needs: every own key not yet destroyed (the newest
  // seals if signed under `cert_serial`; else none does), and each peer's newest, usable until its
  // not_after plus half the retention (the recipient keeps the secret a whole retention, so a
  // message has at least half of it to be delivered).
  std::vector<EnvelopeKeys::OwnEpoch> OwnForKeys() const;
  uint64_t SealingEpoch(uint64_t cert_serial) const;
  EnvelopeKeys::PeerEpoch PeerForKeys(const Peer& peer) const;

 private:
  Options options_;
  std::map<uint64_t, Own> own_;
  uint64_t lost_floor_ = 0;
  std::map<v1::Nation, Peer> peers_;
  int64_t rotate_from_ms_ =
      -1;  // a rotation asked for at this time, until a key made since is adopted
};

}  // namespace hotline::node

#endif  // HOTLINE_CLIENT_NODE_EPOCH_BOOK_H_
