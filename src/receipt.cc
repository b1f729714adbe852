#include "hotline/receipt.h"

#include "hotline/envelope.h"
#include "hotline/limits.h"

namespace hotline {

v1::SignedReceipt SignReceipt(const v1::ReceiptDetails& details, const Ed25519Secret& signer) {
  v1::SignedReceipt out;
  out.set_details(details.SerializeAsString());
  Ed25519Signature sig = Ed25519Sign(signer, DomainSeparated(kReceiptTag, {AsBytes(out.details())}));
  out.set_signature(ToString(sig));
  return out;
}

StatusOr<ParsedReceipt> ParseReceipt(ByteView encoded) {
  if (encoded.size() > limits::kMaxReceiptBytes) return InvalidArgumentError("receipt too large");
  ParsedReceipt r;
  if (!r.signed_receipt.ParseFromArray(encoded.data(), static_cast<int>(encoded.size())) ||
      !r.details.ParseFromString(r.signed_receipt.details())) {
    return InvalidArgumentError("receipt is not a valid hotline.v1.SignedReceipt");
  }
  const auto& d = r.details;
  if (d.version() != 1 || d.message_id().size() != kMessageIdLen ||
      d.envelope_digest().size() != kSha256Len ||
      (d.kind() != v1::RECEIPT_KIND_DELIVERED && d.kind() != v1::RECEIPT_KIND_ACKNOWLEDGED) ||
      d.recipient() == v1::NATION_UNSPECIFIED || !v1::Nation_IsValid(d.recipient()) ||
      d.sender() == v1::NATION_UNSPECIFIED || !v1::Nation_IsValid(d.sender()) ||
      d.sender() == d.recipient() || r.signed_receipt.signature().size() != kEd25519SignatureLen) {
    return InvalidArgumentError("receipt fields are malformed");
  }
  return r;
}

bool VerifyReceiptSignature(const ParsedReceipt& receipt, ByteView signer_public_key) {
  return Ed25519Verify(signer_public_key,
                       DomainSeparated(kReceiptTag, {AsBytes(receipt.signed_receipt.details())}),
                       AsBytes(receipt.signed_receipt.signature()));
}

Bytes ReceiptId(const v1::SignedReceipt& receipt) {
  Sha256Digest d = Sha256({AsBytes(receipt.details())});
  return Bytes(d.begin(), d.begin() + kReceiptIdLen);
}

}  // namespace hotline
