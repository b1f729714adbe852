// Small, careful file helpers: bounded reads and atomic, durable writes.
//
// Thread safety: reentrant. Error contract: Status with the path named.
#ifndef HOTLINE_FILE_UTIL_H_
#define HOTLINE_FILE_UTIL_H_

#include <sys/types.h>

#include <filesystem>

#include "hotline/bytes.h"

namespace hotline {

// Reads the whole file; fails if it is larger than `max_bytes`.
StatusOr<Bytes> ReadFileBytes(const std::filesystem::path& path, size_t max_bytes);

// Certificates, public keys, root documents and revocation lists: anyone
// may read them (services under other users do).
inline constexpr mode_t kPublicFileMode = 0644;

// Writes to a temporary file in the same folder with `mode`, fsyncs it,
// renames it over `path` and fsyncs the folder. With `exclusive`, fails if
// `path` already exists.
Status WriteFileAtomic(const std::filesystem::path& path, ByteView data, mode_t mode,
                       bool exclusive = false);

// The permission bits of `path` (e.g. 0600).
StatusOr<mode_t> FileMode(const std::filesystem::path& path);

}  // namespace hotline

#endif  // HOTLINE_FILE_UTIL_H_
