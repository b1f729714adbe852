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

}  // namespace hotline
