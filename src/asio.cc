#include "hotline/asio.h"

#include <spdlog/spdlog.h>

namespace hotline {

void LogExceptions::operator()(std::exception_ptr e) const {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    spdlog::error("coroutine '{}' ended with an exception (a bug): {}", what, ex.what());
  } catch (...) {
    spdlog::error("coroutine '{}' ended with an unknown exception (a bug)", what);
  }
}

int RunUntilSignalled(asio::io_context& io, const std::string& process,
                      const std::function<void(const std::string& why)>& stop) {
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    stop(sig == SIGINT ? "SIGINT" : "SIGTERM");
    io.stop();
  });
  try {
    io.run();
  } catch (const std::exception& e) {
    spdlog::critical("{} crashed (a bug): {}", process, e.what());
    return 1;
  }
  return 0;
}

}  // namespace hotline
