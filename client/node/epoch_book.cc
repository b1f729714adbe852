#include "node/epoch_book.h"

#include <algorithm>

namespace hotline::node {

void EpochBook::RestoreOwn(Own own) { own_[own.epoch] = std::move(own); }

bool EpochBook::Due(int64_t now_ms, uint64_t cert_serial) const {
  if (rotate_from_ms_ >= 0 || own_.empty()) return true;
  const Own& newest = own_.rbegin()->second;
  if (newest.cert_serial != cert_serial) return true;
  return now_ms + options_.lead_ms >= newest.not_after_ms ||
         now_ms < newest.not_before_ms - options_.lead_ms;
}

EpochBook::Own EpochBook::Make(int64_t now_ms, v1::Nation nation, uint64_t cert_serial,
                               const Ed25519KeyPair& signing) const {
  Own own;
  own.epoch = next_epoch();
  own.keys = GenerateX25519();
  own.not_before_ms = now_ms;
  own.not_after_ms = now_ms + options_.epoch_ms;
  own.cert_serial = cert_serial;
  v1::EpochKeyDetails d;
  d.set_keep_until_ms(own.not_after_ms + options_.retention_ms);
  d.set_version(1);
  d.set_nation(nation);
  d.set_epoch(own.epoch);
  d.set_public_key(ToString(own.keys.public_key));
  d.set_not_before_ms(own.not_before_ms);
  d.set_not_after_ms(own.not_after_ms);
  d.set_cert_serial(cert_serial);
  own.signed_key = SignEpochKey(d, signing);
  return own;
}

void EpochBook::Adopt(Own own) {
  if (rotate_from_ms_ >= 0 && own.not_before_ms >= rotate_from_ms_) rotate_from_ms_ = -1;
  own_[own.epoch] = std::move(own);
}

std::vector<uint64_t> EpochBook::Expired(int64_t now_ms) const {
  std::vector<uint64_t> out;
  for (const auto& [epoch, own] : own_) {
    // The newest is never destroyed before a successor exists.
    if (epoch != newest() && now_ms > own.not_after_ms + options_.retention_ms)
      out.push_back(epoch);
  }
  return out;
}

bool EpochBook::OfferPeer(v1::Nation nation, const v1::EpochKeyDetails& details,
                          const std::string& signed_key) {
  auto it = peers_.find(nation);
  if (it != peers_.end() && it->second.details.cert_serial() == details.cert_serial()) {
    const auto& known = it->second.details;
    bool newer =
        details.not_before_ms() > known.not_before_ms() ||
        (details.not_before_ms() == known.not_before_ms() && details.epoch() > known.epoch());
    if (!newer) return false;
  }
  peers_[nation] = {details, signed_key};
  return true;
}

std::vector<EnvelopeKeys::OwnEpoch> EpochBook::OwnForKeys() const {
  std::vector<EnvelopeKeys::OwnEpoch> out;
  for (const auto& [epoch, own] : own_) {
    out.push_back({epoch, own.keys, own.signed_key, own.not_before_ms, own.not_after_ms});
  }
  return out;
}

uint64_t EpochBook::SealingEpoch(uint64_t cert_serial) const {
  if (own_.empty() || own_.rbegin()->second.cert_serial != cert_serial) return 0;
  return own_.rbegin()->first;
}

EnvelopeKeys::PeerEpoch EpochBook::PeerForKeys(const Peer& peer) const {
  EnvelopeKeys::PeerEpoch e;
  e.epoch = peer.details.epoch();
  std::copy_n(peer.details.public_key().begin(), kX25519Len, e.public_key.begin());
  e.usable_until_ms = EpochUsableUntil(peer.details);
  return e;
}

}  // namespace hotline::node
