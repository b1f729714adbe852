#include "node/receipts.h"

#include "hotline/crypto.h"
#include "hotline/envelope.h"

namespace hotline::node {

PendingReceipt MakeReceipt(const ReceiptFor& what, v1::Nation self, uint64_t serial,
                           const Ed25519Secret& key, int64_t at_ms) {
  v1::ReceiptDetails d;
  d.set_version(1);
  d.set_kind(what.kind);
  d.set_message_id(ToString(what.message_id));
  d.set_envelope_digest(ToString(what.digest));
  d.set_recipient(self);
  d.set_sender(what.sender);
  d.set_at_ms(at_ms);
  if (!what.reply_id.empty()) d.set_reply_message_id(ToString(what.reply_id));
  d.set_recipient_cert_serial(serial);
  d.set_operator_name(what.operator_name);
  d.set_recipient_epoch_key(what.epoch_key);
  v1::SignedReceipt signed_receipt = SignReceipt(d, key);
  return PendingReceipt{ReceiptId(signed_receipt), what.sender,
                        ToBytes(signed_receipt.SerializeAsString()), what.precedence};
}

Status CheckReceipt(const ParsedReceipt& receipt, v1::Nation self, const PeerDirectory& peers,
                    const TrustStore& trust, const OutboxRow* sent, int64_t now_ms) {
  const auto& d = receipt.details;
  v1::Nation signer = d.recipient();
  if (d.sender() != self) return PermissionDeniedError("addressed to another nation");
  const PeerCertificate* cert = peers.Find(signer, d.recipient_cert_serial());
  if (!cert) {
    return NotFoundError("signed under certificate serial " +
                         std::to_string(d.recipient_cert_serial()) + " of " + NationCode(signer) +
                         ", which is not known here");
  }
  if (!VerifyReceiptSignature(receipt, cert->keys.signing_public_key)) {
    return PermissionDeniedError("signature does not verify for " + NationCode(signer));
  }
  HOTLINE_RETURN_IF_ERROR(
      peers.CheckUse(signer, d.recipient_cert_serial(), d.at_ms(), now_ms, trust));
  if (!sent) return InvalidArgumentError("unknown message id " + ToHex(AsBytes(d.message_id())));
  bool is_recipient = false;
  for (int r : sent->header.recipients()) is_recipient |= r == signer;
  if (!is_recipient) return PermissionDeniedError(NationCode(signer) + " was not a recipient");
  // Recomputed from the envelope as sent, so that a digest stored under an
  // older definition cannot fail a genuine receipt.
  v1::Envelope envelope;
  if (!envelope.ParseFromArray(sent->envelope.data(), static_cast<int>(sent->envelope.size()))) {
    return DataLossError("the stored envelope of " + ToHex(AsBytes(d.message_id())) +
                         " does not parse");
  }
  Sha256Digest digest = EnvelopeDigest(envelope);
  if (!ConstantTimeEqual(AsBytes(d.envelope_digest()), digest)) {
    return PermissionDeniedError("envelope digest differs from what was sent");
  }
  return Status::Ok();
}

}  // namespace hotline::node
