// Where a node keeps its epoch secrets (docs/PROTOCOL.md §4 "Forward
// secrecy"): a file of fixed 64-byte slots, `epoch-secrets` in the data
// folder (mode 0600), written and erased in place. SQLite cannot promise
// that a deleted value is overwritten everywhere it was (its write-ahead
// log is freed, not overwritten); this file can: destroying a key writes
// zeros over the very bytes that held it and syncs them.
//
// Slot: u64 epoch (0 = free) ‖ 32-byte secret ‖ 16-byte BLAKE2b check of
// (tag, epoch, secret) ‖ 8 zero bytes. A slot is aligned to 64 bytes, so a
// write never spans a disk sector; a torn or corrupt slot fails its check
// and reads as lost.
//
// Thread safety: one thread. Error contract: I/O failures are Status;
// Put and Erase are durable (fdatasync) when they return Ok, and may be
// repeated.
#ifndef HOTLINE_CLIENT_NODE_EPOCH_SECRETS_H_
#define HOTLINE_CLIENT_NODE_EPOCH_SECRETS_H_

#include <filesystem>
#include <functional>
#include <map>
#include <memory>

#include "hotline/crypto.h"

namespace hotline::node {

class EpochSecretFile {
 public:
  static constexpr size_t kSlotBytes = 64;
  static constexpr size_t kMaxSlots = 4096;  // 30 days of hourly keys, rotations besides

  // Opens or creates the file; a slot that fails its check is wiped.
  // `read_only` (tools, tests): never creates or writes; such slots are skipped.
  static StatusOr<std::unique_ptr<EpochSecretFile>> Open(const std::filesystem::path& path,
                                                         bool read_only = false);
  ~EpochSecretFile();
  EpochSecretFile(const EpochSecretFile&) = delete;
  EpochSecretFile& operator=(const EpochSecretFile&) = delete;

  // Stores `secret` for `epoch` (in its existing slot, or a free one).
  Status Put(uint64_t epoch, ByteView secret);
  // Overwrites `epoch`'s slot with zeros; Ok if there is none.
  Status Erase(uint64_t epoch);
  // Reads `epoch`'s secret into `out`; false if it is not held.
  StatusOr<bool> Get(uint64_t epoch, X25519Secret& out) const;
  // The epochs held, ascending.
  std::vector<uint64_t> epochs() const;
  // How many corrupt slots Open wiped.
  int wiped_at_open() const { return wiped_at_open_; }

 private:
  EpochSecretFile(int fd, std::filesystem::path path, bool read_only)
      : fd_(fd), path_(std::move(path)), read_only_(read_only) {}
  Status WriteSlot(size_t slot, ByteView bytes);
  int fd_;
  std::filesystem::path path_;
  bool read_only_;
  std::map<uint64_t, size_t> slots_;  // epoch -> slot index
  size_t slot_count_ = 0;
  int wiped_at_open_ = 0;
};

}  // namespace hotline::node

#endif  // HOTLINE_CLIENT_NODE_EPOCH_SECRETS_H_
