// Emulated operator pages for benchmarks: each signs in to a node's console
// with a one-time link, follows the live feed (/api/events) and, on every
// event, asks for what the real page asks for (the inbox and the sent
// view), so that a benchmark can compare a node with consoles open and
// watching against one without.
#ifndef HOTLINE_BENCH_CONSOLE_WATCHERS_H_
#define HOTLINE_BENCH_CONSOLE_WATCHERS_H_

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace hotline::bench {

class ConsoleWatchers {
 public:
  explicit ConsoleWatchers(const std::vector<std::string>& login_urls);
  ~ConsoleWatchers();
  size_t events() const { return events_; }
  size_t requests() const { return requests_; }
  size_t failures() const { return failures_; }

 private:
  void Watch(const std::string& login_url);
  std::atomic<bool> stop_{false};
  std::atomic<size_t> events_{0}, requests_{0}, failures_{0};
  std::vector<std::thread> threads_;
};

}  // namespace hotline::bench

#endif  // HOTLINE_BENCH_CONSOLE_WATCHERS_H_
