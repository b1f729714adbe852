// Fuzz target: decrypted link-frame bytes into the fragment reassembler.
#include "hotline/link_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hotline::Reassembler r;
  hotline::v1::LinkFrame out;
  // Split the input into pieces at 0xff bytes: several frames per run.
  size_t start = 0;
  for (size_t i = 0; i <= size; ++i) {
    if (i == size || data[i] == 0xff) {
      auto st = r.Accept(hotline::ByteView(data + start, i - start), out);
      if (!st.ok()) return 0;
      start = i + 1;
    }
  }
  return 0;
}
