// Endpoint parsing and small helpers shared by the binaries.
//
// Thread safety: reentrant. Error contract: StatusOr with the bad text named.
#ifndef HOTLINE_NET_UTIL_H_
#define HOTLINE_NET_UTIL_H_

#include <string>

#include "hotline/asio.h"
#include "hotline/status.h"

namespace hotline {

// "127.0.0.1:7401", "[::1]:7401", "localhost:7401" (numeric hosts only
// resolve without DNS; "localhost" maps to 127.0.0.1).
StatusOr<asio::ip::tcp::endpoint> ParseEndpoint(std::string_view text);
std::string FormatEndpoint(const asio::ip::tcp::endpoint& ep);

int64_t NowUnixUs();
int64_t NowUnixMs();
int64_t NowUnix();

}  // namespace hotline

#endif  // HOTLINE_NET_UTIL_H_
