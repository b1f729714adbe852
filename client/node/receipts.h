// Receipts (docs/PROTOCOL.md §6): the ones a node signs as a recipient and
// keeps sending until a relay has stored them, and the checks it makes as
// a sender on the ones it receives. Sans-I/O.
//
// Thread safety: none; the daemon's thread. Error contract: CheckReceipt
// returns a Status naming the first rule the receipt broke (kNotFound when
// the signer's certificate is unknown: the caller may re-read its trust
// folder and check again).
#ifndef HOTLINE_CLIENT_NODE_RECEIPTS_H_
#define HOTLINE_CLIENT_NODE_RECEIPTS_H_

#include <map>

#include "hotline/receipt.h"
#include "node/node_store.h"
#include "node/peer_directory.h"

namespace hotline::node {

struct ReceiptFor {
  v1::ReceiptKind kind = v1::RECEIPT_KIND_DELIVERED;
  Bytes message_id;
  Bytes digest;  // the envelope digest (§4) it binds
  v1::Nation sender = v1::NATION_UNSPECIFIED;
  v1::Precedence precedence = v1::PRECEDENCE_FLASH;  // of the message: the receipt travels at it
  Bytes reply_id = {};  // acknowledgments: the reply sent with it, if any
  std::string operator_name = {};  // acknowledgments: who acknowledged
  std::string epoch_key = {};      // our newest SignedEpochKey, for the sender
};

// Signs a receipt as `self` (certificate `serial`) at `at_ms`.
PendingReceipt MakeReceipt(const ReceiptFor& what, v1::Nation self, uint64_t serial,
                           const Ed25519Secret& key, int64_t at_ms);

// Signed receipts not yet stored by a relay: sent again on every new link.
class ReceiptBook {
 public:
  void Add(const PendingReceipt& receipt) { pending_[receipt.receipt_id] = receipt; }
  // True if it was pending (the relay's ReceiptAccepted for it).
  bool Accepted(const Bytes& receipt_id) { return pending_.erase(receipt_id) > 0; }
  const std::map<Bytes, PendingReceipt>& pending() const { return pending_; }

 private:
  std::map<Bytes, PendingReceipt> pending_;  // by receipt id
};

// The checks a sender makes on a receipt for a message it sent (`sent`,
// null if not in its outbox).
Status CheckReceipt(const ParsedReceipt& receipt, v1::Nation self, const PeerDirectory& peers,
                    const TrustStore& trust, const OutboxRow* sent, int64_t now_ms);

}  // namespace hotline::node

#endif  // HOTLINE_CLIENT_NODE_RECEIPTS_H_
