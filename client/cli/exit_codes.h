// The command line's one error contract: what it prints and the exit code
// it returns (README "Exit codes"):
//   0  the operation succeeded
//   1  it failed: the node refused it, a check failed, a file is missing...
//   2  bad usage: the command line itself is wrong (every parse error too)
//   3  a wait timed out (`wait --timeout`, or a node that did not answer)
//
// Thread safety: pure functions. Error contract: this is it.
#ifndef HOTLINE_CLIENT_CLI_EXIT_CODES_H_
#define HOTLINE_CLIENT_CLI_EXIT_CODES_H_

#include <iostream>

#include "hotline/status.h"

namespace hotline::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitTimedOut = 3;

inline int ExitCodeFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return kExitOk;
    case StatusCode::kInvalidArgument:
      return kExitUsage;
    case StatusCode::kDeadlineExceeded:
      return kExitTimedOut;
    default:
      return kExitFailed;
  }
}

// Prints "hotline: <message>" on stderr (nothing on success); returns the exit code.
inline int Fail(const Status& status) {
  if (!status.ok()) std::cerr << "hotline: " << status.message() << "\n";
  return ExitCodeFor(status);
}

inline constexpr const char* kExitCodesHelp =
    "Exit codes: 0 success; 1 the operation failed (the node refused it, a check failed); "
    "2 bad usage (the command line is wrong); 3 a wait timed out.";

}  // namespace hotline::cli

#endif  // HOTLINE_CLIENT_CLI_EXIT_CODES_H_
