#include "hotline/logging.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace hotline {

void InitLogging(const std::string& process_name, const std::string& log_file, bool json) {
  std::shared_ptr<spdlog::logger> logger;
  if (log_file.empty()) {
    logger = spdlog::stderr_logger_mt(process_name);
  } else {
    logger = spdlog::basic_logger_mt(process_name, log_file);
  }
  if (json) {
    logger->set_pattern(
        R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","process":"%n","level":"%l","message":"%v"})",
        spdlog::pattern_time_type::utc);
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %n %^%l%$: %v", spdlog::pattern_time_type::utc);
  }
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

}  // namespace hotline
