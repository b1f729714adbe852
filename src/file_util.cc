#include "hotline/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace hotline {
namespace {

std::string ErrnoText(const std::string& what, const std::filesystem::path& path) {
  return what + " " + path.string() + ": " + std::strerror(errno);
}

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

StatusOr<Bytes> ReadFileBytes(const std::filesystem::path& path, size_t max_bytes) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return NotFoundError(ErrnoText("cannot open", path));
    return UnavailableError(ErrnoText("cannot open", path));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return UnavailableError(ErrnoText("cannot stat", path));
  if (static_cast<size_t>(st.st_size) > max_bytes) {
    return InvalidArgumentError(path.string() + " is larger than " + std::to_string(max_bytes) +
                                " bytes");
  }
  Bytes out(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::read(fd.get(), out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return UnavailableError(ErrnoText("cannot read", path));
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  out.resize(done);
  return out;
}

Status WriteFileAtomic(const std::filesystem::path& path, ByteView data, mode_t mode,
                       bool exclusive) {
  if (exclusive && std::filesystem::exists(path)) {
    return AlreadyExistsError(path.string() + " already exists; refusing to overwrite");
  }
  std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    FileDescriptor fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
    if (fd.get() < 0) return UnavailableError(ErrnoText("cannot create", tmp));
    // The umask may have narrowed or the file may have pre-existed: set exactly.
    if (::fchmod(fd.get(), mode) != 0) return UnavailableError(ErrnoText("cannot chmod", tmp));
    size_t done = 0;
    while (done < data.size()) {
      ssize_t n = ::write(fd.get(), data.data() + done, data.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return ResourceExhaustedError(ErrnoText("cannot write", tmp));
      done += static_cast<size_t>(n);
    }
    if (::fsync(fd.get()) != 0) return UnavailableError(ErrnoText("cannot fsync", tmp));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return UnavailableError(ErrnoText("cannot rename onto", path));
  }
  FileDescriptor dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd.get() >= 0) ::fsync(dfd.get());
  return Status::Ok();
}

StatusOr<mode_t> FileMode(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return NotFoundError(ErrnoText("cannot stat", path));
  return static_cast<mode_t>(st.st_mode & 07777);
}

}  // namespace hotline
