#include "hotline/net_util.h"

#include <charconv>
#include <chrono>

namespace hotline {

StatusOr<asio::ip::tcp::endpoint> ParseEndpoint(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return InvalidArgumentError("bad address '" + std::string(text) + "': " + why +
                                " (expected HOST:PORT, e.g. 127.0.0.1:7401 or [::1]:7401)");
  };
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return bad("no port");
  std::string host(text.substr(0, colon));
  std::string_view port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host == "localhost") host = "127.0.0.1";
  unsigned port = 0;
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port > 65535) {
    return bad("port is not a number from 0 to 65535");
  }
  boost::system::error_code aec;
  auto address = asio::ip::make_address(host, aec);
  if (aec) return bad("host is not a numeric IPv4 or IPv6 address");
  return asio::ip::tcp::endpoint(address, static_cast<unsigned short>(port));
}

std::string FormatEndpoint(const asio::ip::tcp::endpoint& ep) {
  std::string host = ep.address().to_string();
  if (ep.address().is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(ep.port());
}

int64_t NowUnixUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t NowUnixMs() { return NowUnixUs() / 1000; }

int64_t NowUnix() { return NowUnixMs() / 1000; }

}  // namespace hotline
