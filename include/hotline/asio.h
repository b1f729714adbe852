// The one way to include Boost.Asio in this project. Boost 1.74's
// awaitable.hpp misses <utility> with g++ 12, so it comes first; coroutine
// helpers that 1.74 lacks live here too.
//
// Thread safety: as Asio's.
#ifndef HOTLINE_ASIO_H_
#define HOTLINE_ASIO_H_

// clang-format off
#include <utility>  // must precede boost/asio (see above)
#include <boost/asio.hpp>
// clang-format on
#include <exception>
#include <functional>
#include <string>

namespace hotline {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;

// A completion handler for co_spawn that reports an escaped exception (a
// bug) instead of swallowing it, as `detached` does in Asio 1.18.
struct LogExceptions {
  std::string what;
  void operator()(std::exception_ptr e) const;
};

// A daemon's main loop: runs `io` until SIGINT or SIGTERM, then calls
// `stop` with the signal's name and lets the loop end. Returns the exit
// code: 0, or 1 if an exception escaped (a bug, logged as such).
int RunUntilSignalled(asio::io_context& io, const std::string& process,
                      const std::function<void(const std::string& why)>& stop);

}  // namespace hotline

#endif  // HOTLINE_ASIO_H_
