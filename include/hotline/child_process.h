// A child process that is always stopped: SIGTERM, then SIGKILL after a
// grace period, in the destructor at the latest. Used by `hotline exercise
// run` for the relays and nodes it plays with, and by the tests.
//
// Thread safety: one thread. Error contract: started() is false (and
// nothing runs) if the program could not be started.
#ifndef HOTLINE_CHILD_PROCESS_H_
#define HOTLINE_CHILD_PROCESS_H_

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace hotline {

class ChildProcess {
 public:
  // Runs argv[0] (a path) with its output appended to `log_path` (or inherited).
  explicit ChildProcess(const std::vector<std::string>& argv, const std::string& log_path = "") {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (!log_path.empty()) {
      posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                       0644);
      posix_spawn_file_actions_adddup2(&actions, 1, 2);
    }
    if (posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~ChildProcess() { Stop(); }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool started() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  bool running() { return started() && !WaitFor(std::chrono::milliseconds(0)); }

  // Polls for exit up to `timeout`; returns the exit status if it ended.
  std::optional<int> WaitFor(std::chrono::milliseconds timeout) {
    if (exit_status_ || !started()) return exit_status_.value_or(-1);
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      int status = 0;
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return exit_status_;
      }
      if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(
          std::chrono::milliseconds(5));  // poll interval, not a wait-for-result
    }
  }

  void Signal(int sig) {
    if (started() && !exit_status_) ::kill(pid_, sig);
  }

  // SIGTERM (after SIGCONT, in case it is frozen), wait up to `grace`, then
  // SIGKILL. Returns the exit status.
  int Stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000)) {
    if (exit_status_ || !started()) return exit_status_.value_or(-1);
    ::kill(pid_, SIGCONT);
    ::kill(pid_, SIGTERM);
    if (auto s = WaitFor(grace)) return *s;
    ::kill(pid_, SIGKILL);
    return WaitFor(std::chrono::milliseconds(5000)).value_or(-1);
  }

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_status_;
};

}  // namespace hotline

#endif  // HOTLINE_CHILD_PROCESS_H_
