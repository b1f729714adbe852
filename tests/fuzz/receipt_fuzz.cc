// Fuzz target: signed receipts arriving at a sender.
#include "fuzz_common.h"
#include "hotline/receipt.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto& w = hotline::fuzz::World::Get();
  auto r = hotline::ParseReceipt(hotline::ByteView(data, size));
  if (r.ok()) {
    (void)hotline::VerifyReceiptSignature(*r, hotline::AsBytes(w.jp->details.signing_public_key()));
    (void)hotline::ReceiptId(r->signed_receipt);
  }
  return 0;
}
