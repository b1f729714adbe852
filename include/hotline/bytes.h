// Byte strings, hex, and typed secrets.
//
// Thread safety: values. Error contract: parsing returns StatusOr.
// Secret<N> holds key material: wiped with sodium_memzero on destruction,
// compared in constant time, and never converted to std::string or logged.
#ifndef HOTLINE_BYTES_H_
#define HOTLINE_BYTES_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "hotline/status.h"

namespace hotline {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;

inline ByteView AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string_view AsChars(ByteView b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}
inline Bytes ToBytes(std::string_view s) {
  ByteView v = AsBytes(s);
  return Bytes(v.begin(), v.end());
}
inline std::string ToString(ByteView b) { return std::string(AsChars(b)); }
inline void Append(Bytes& out, ByteView more) { out.insert(out.end(), more.begin(), more.end()); }
void AppendU16BE(Bytes& out, uint16_t v);
void AppendU32BE(Bytes& out, uint32_t v);
void AppendU64BE(Bytes& out, uint64_t v);

std::string ToHex(ByteView bytes);
StatusOr<Bytes> FromHex(std::string_view hex);

// Overwrites `bytes` with zeros in a way the compiler cannot elide.
void Wipe(std::span<uint8_t> bytes);
void Wipe(std::string& s);
// Constant-time equality for equal-length inputs; false if lengths differ.
bool ConstantTimeEqual(ByteView a, ByteView b);

template <size_t N>
class Secret {
 public:
  static constexpr size_t kSize = N;
  Secret() { data_.fill(0); }
  explicit Secret(ByteView from) { Assign(from); }
  Secret(const Secret& o) : data_(o.data_) {}
  Secret& operator=(const Secret& o) {
    data_ = o.data_;
    return *this;
  }
  ~Secret() { Wipe(std::span<uint8_t>(data_)); }

  // Copies exactly N bytes from `from` (which must hold at least N).
  void Assign(ByteView from) {
    for (size_t i = 0; i < N; ++i) data_[i] = from[i];
  }
  uint8_t* data() { return data_.data(); }
  const uint8_t* data() const { return data_.data(); }
  static constexpr size_t size() { return N; }
  ByteView view() const { return ByteView(data_); }
  std::span<uint8_t> mutable_view() { return std::span<uint8_t>(data_); }
  bool operator==(const Secret& o) const { return ConstantTimeEqual(view(), o.view()); }

 private:
  std::array<uint8_t, N> data_;
};

}  // namespace hotline

#endif  // HOTLINE_BYTES_H_
