#include "node/epoch_secrets.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "hotline/bytes.h"

namespace hotline::node {
namespace {

constexpr std::string_view kSlotTag = "hotline.v1.epoch-secret";
constexpr size_t kCheckBytes = 16;

Status IoError(const std::string& what, const std::filesystem::path& path) {
  return UnavailableError(what + " " + path.string() + ": " + std::strerror(errno));
}

// The 16-byte check that tells a written slot from a torn or foreign one.
std::array<uint8_t, kCheckBytes> Check(uint64_t epoch, ByteView secret) {
  Bytes e;
  AppendU64BE(e, epoch);
  Bytes tag(kSlotTag.begin(), kSlotTag.end());
  Blake2bDigest d = Blake2b({tag, e, secret});
  std::array<uint8_t, kCheckBytes> out{};
  std::copy_n(d.begin(), kCheckBytes, out.begin());
  return out;
}

uint64_t ReadU64BE(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | p[i];
  return v;
}

}  // namespace

StatusOr<std::unique_ptr<EpochSecretFile>> EpochSecretFile::Open(const std::filesystem::path& path,
                                                                 bool read_only) {
  int fd = read_only ? ::open(path.c_str(), O_RDONLY | O_CLOEXEC)
                     : ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return IoError("cannot open", path);
  std::unique_ptr<EpochSecretFile> file(new EpochSecretFile(fd, path, read_only));
  if (!read_only) {
    // Ours alone, and its name durable in the folder before any key row
    // depends on it (a new file's entry is not synced with its data).
    if (::fchmod(fd, 0600) != 0) return IoError("cannot restrict", path);
    int dir = ::open(path.parent_path().empty() ? "." : path.parent_path().c_str(),
                     O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) return IoError("cannot open the folder of", path);
    int synced = ::fsync(dir);
    ::close(dir);
    if (synced != 0) return IoError("cannot sync the folder of", path);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) return IoError("cannot stat", path);
  if (st.st_size % static_cast<off_t>(kSlotBytes) != 0 ||
      st.st_size > static_cast<off_t>(kSlotBytes * kMaxSlots)) {
    return DataLossError(path.string() + " is not an epoch secret file (size " +
                         std::to_string(st.st_size) + ")");
  }
  file->slot_count_ = static_cast<size_t>(st.st_size) / kSlotBytes;
  Secret<kSlotBytes> slot;
  const std::array<uint8_t, kSlotBytes> zeros{};
  for (size_t i = 0; i < file->slot_count_; ++i) {
    if (::pread(fd, slot.data(), kSlotBytes, static_cast<off_t>(i * kSlotBytes)) !=
        static_cast<ssize_t>(kSlotBytes)) {
      return IoError("cannot read", path);
    }
    uint64_t epoch = ReadU64BE(slot.data());
    ByteView secret(slot.data() + 8, kX25519Len);
    auto check = Check(epoch, secret);
    bool valid = epoch != 0 &&
                 std::equal(check.begin(), check.end(), slot.data() + 8 + kX25519Len) &&
                 !file->slots_.count(epoch);
    if (valid) {
      file->slots_[epoch] = i;
    } else if (!read_only && !std::equal(zeros.begin(), zeros.end(), slot.data())) {
      HOTLINE_RETURN_IF_ERROR(file->WriteSlot(i, zeros));  // torn, or a duplicate
      ++file->wiped_at_open_;
    }
  }
  return file;
}

EpochSecretFile::~EpochSecretFile() { ::close(fd_); }

Status EpochSecretFile::WriteSlot(size_t slot, ByteView bytes) {
  if (read_only_) return FailedPreconditionError(path_.string() + " is open read-only");
  if (::pwrite(fd_, bytes.data(), kSlotBytes, static_cast<off_t>(slot * kSlotBytes)) !=
      static_cast<ssize_t>(kSlotBytes)) {
    return IoError("cannot write", path_);
  }
  if (::fdatasync(fd_) != 0) return IoError("cannot sync", path_);
  return Status::Ok();
}

Status EpochSecretFile::Put(uint64_t epoch, ByteView secret) {
  if (epoch == 0 || secret.size() != kX25519Len)
    return InvalidArgumentError("an epoch secret needs an epoch and 32 bytes");
  size_t slot = slot_count_;
  if (auto it = slots_.find(epoch); it != slots_.end()) {
    slot = it->second;
  } else {
    std::vector<bool> used(slot_count_, false);
    for (const auto& [e, s] : slots_) used[s] = true;
    for (size_t i = 0; i < slot_count_; ++i) {
      if (!used[i]) {
        slot = i;
        break;
      }
    }
  }
  if (slot >= kMaxSlots) return ResourceExhaustedError(path_.string() + " is full");
  Secret<kSlotBytes> bytes;
  Bytes e;
  AppendU64BE(e, epoch);
  std::copy(e.begin(), e.end(), bytes.data());
  std::copy(secret.begin(), secret.end(), bytes.data() + 8);
  auto check = Check(epoch, secret);
  std::copy(check.begin(), check.end(), bytes.data() + 8 + kX25519Len);
  // Counted as held before the write: if the write or its sync fails, the
  // bytes may be on disk anyway, and Erase must still find them.
  slots_[epoch] = slot;
  slot_count_ = std::max(slot_count_, slot + 1);
  return WriteSlot(slot, bytes.view());
}

Status EpochSecretFile::Erase(uint64_t epoch) {
  auto it = slots_.find(epoch);
  if (it == slots_.end()) return Status::Ok();
  const std::array<uint8_t, kSlotBytes> zeros{};
  HOTLINE_RETURN_IF_ERROR(WriteSlot(it->second, zeros));
  slots_.erase(it);
  return Status::Ok();
}

StatusOr<bool> EpochSecretFile::Get(uint64_t epoch, X25519Secret& out) const {
  auto it = slots_.find(epoch);
  if (it == slots_.end()) return false;
  Secret<kSlotBytes> slot;
  if (::pread(fd_, slot.data(), kSlotBytes, static_cast<off_t>(it->second * kSlotBytes)) !=
      static_cast<ssize_t>(kSlotBytes)) {
    return IoError("cannot read", path_);
  }
  std::copy_n(slot.data() + 8, kX25519Len, out.data());
  return true;
}

std::vector<uint64_t> EpochSecretFile::epochs() const {
  std::vector<uint64_t> out;
  for (const auto& [e, s] : slots_) out.push_back(e);
  return out;
}

}  // namespace hotline::node
