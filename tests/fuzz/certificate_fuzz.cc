// Fuzz target: certificates, revocation lists and root documents.
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto& w = hotline::fuzz::World::Get();
  hotline::CertExpectations e;
  e.now_unix = 1'800'000'100;
  hotline::ByteView input(data, size);
  (void)w.trust->Verify(input, e);
  hotline::TrustStore copy = *w.trust;
  (void)copy.AddRevocationList(input);
  (void)hotline::TrustStore::Create(input, e.now_unix);
  if (auto next = hotline::ParseRootDocument(input); next.ok()) {
    (void)hotline::CheckRootUpdate(w.trust->root(), *next, e.now_unix);
  }
  return 0;
}
