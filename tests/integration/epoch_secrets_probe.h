// What a thief finds in a node's files: the epoch secrets in its secret
// file and store, and the epoch key inside an announcement. Shared by the
// forward secrecy tests.
#ifndef HOTLINE_TESTS_INTEGRATION_EPOCH_SECRETS_PROBE_H_
#define HOTLINE_TESTS_INTEGRATION_EPOCH_SECRETS_PROBE_H_

#include <gtest/gtest.h>

#include <filesystem>
#include <vector>

#include "hotline/bytes.h"
#include "hotline/file_util.h"
#include "hotline/sqlite_db.h"
#include "hotline/v1/envelope.pb.h"

namespace hotline::testing {

namespace fs = std::filesystem;

// The epoch secrets in a node's epoch-secrets file (PROTOCOL.md §4: 64-byte
// slots, u64 epoch ‖ 32-byte secret ‖ check), read as a thief would: every
// slot naming an epoch (`epoch`, or any if 0).
inline std::vector<Bytes> SecretsInFile(const fs::path& node_dir, uint64_t epoch = 0) {
  std::vector<Bytes> out;
  auto bytes = ReadFileBytes(node_dir / "epoch-secrets", 1 << 20);
  if (!bytes.ok()) return out;
  for (size_t at = 0; at + 64 <= bytes->size(); at += 64) {
    uint64_t e = 0;
    for (size_t i = 0; i < 8; ++i) e = e << 8 | (*bytes)[at + i];
    if (e != 0 && (epoch == 0 || e == epoch))
      out.emplace_back(bytes->begin() + static_cast<ptrdiff_t>(at + 8),
                       bytes->begin() + static_cast<ptrdiff_t>(at + 40));
  }
  return out;
}

// Any secret left in the store's epoch_keys table (stores from before the
// epoch secret file kept them there).
inline std::vector<Bytes> SecretsInStore(const fs::path& db) {
  std::vector<Bytes> out;
  auto store = Database::OpenReadOnly(db);
  if (!store.ok()) return out;
  (void)(*store)->ForEachRow("SELECT secret FROM epoch_keys WHERE length(secret) > 0",
                             [&](Statement& s) {
                               out.push_back(s.ColumnBlob(0));
                               return Status::Ok();
                             });
  return out;
}
// The epoch key details inside a serialized SignedEpochKey.
inline v1::EpochKeyDetails DetailsOf(const std::string& signed_key) {
  v1::SignedEpochKey sk;
  v1::EpochKeyDetails d;
  EXPECT_TRUE(sk.ParseFromString(signed_key) && d.ParseFromString(sk.details()));
  return d;
}

}  // namespace hotline::testing

#endif  // HOTLINE_TESTS_INTEGRATION_EPOCH_SECRETS_PROBE_H_
