// hotline::ChildProcess for tests: one that cannot start throws, so the
// test fails at once with the program's name.
#ifndef HOTLINE_TESTS_SUPPORT_CHILD_PROCESS_H_
#define HOTLINE_TESTS_SUPPORT_CHILD_PROCESS_H_

#include <stdexcept>

#include "hotline/child_process.h"

namespace hotline::testing {

class ChildProcess : public hotline::ChildProcess {
 public:
  explicit ChildProcess(const std::vector<std::string>& argv, const std::string& log_path = "")
      : hotline::ChildProcess(argv, log_path) {
    if (!started()) throw std::runtime_error("cannot start " + argv.at(0));
  }
};

}  // namespace hotline::testing

#endif  // HOTLINE_TESTS_SUPPORT_CHILD_PROCESS_H_
