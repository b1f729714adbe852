// Signed receipts (tiers 2 and 3): a recipient node signs ReceiptDetails
// binding the message id and envelope digest under the domain tag
// "hotline.v1.receipt"; anyone with the certificates can verify it later.
//
// Thread safety: pure functions. Error contract: StatusOr naming the check
// that failed.
#ifndef HOTLINE_RECEIPT_H_
#define HOTLINE_RECEIPT_H_

#include "hotline/crypto.h"
#include "hotline/v1/receipt.pb.h"

namespace hotline {

inline constexpr std::string_view kReceiptTag = "hotline.v1.receipt";
inline constexpr size_t kReceiptIdLen = 16;

v1::SignedReceipt SignReceipt(const v1::ReceiptDetails& details, const Ed25519Secret& signer);

// Parses a serialized SignedReceipt and its details, structure only.
struct ParsedReceipt {
  v1::SignedReceipt signed_receipt;
  v1::ReceiptDetails details;
};
StatusOr<ParsedReceipt> ParseReceipt(ByteView encoded);

// Verifies the signature with the signer's Ed25519 public key.
bool VerifyReceiptSignature(const ParsedReceipt& receipt, ByteView signer_public_key);

// First 16 bytes of SHA-256(details): the relay's deduplication key.
Bytes ReceiptId(const v1::SignedReceipt& receipt);

}  // namespace hotline

#endif  // HOTLINE_RECEIPT_H_
