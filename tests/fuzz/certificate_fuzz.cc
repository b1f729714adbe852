// Fuzz target: certificates and revocation lists.
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto& w = hotline::fuzz::World::Get();
  hotline::CertExpectations e;
  e.now_unix = 1'800'000'100;
  (void)w.trust->Verify(hotline::ByteView(data, size), e);
  hotline::TrustStore copy = *w.trust;
  (void)copy.SetRevocationList(hotline::ByteView(data, size));
  (void)hotline::TrustStore::Create(hotline::ByteView(data, size));
  return 0;
}
