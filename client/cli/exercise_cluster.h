// The processes an exercise plays with (`hotline exercise run`): demo
// trust material, relays and the three national nodes on loopback, each a
// child process with its log in the run folder; and the faults a scenario
// injects into them (kill -9, freeze, restart on the same address or
// from the same store).
//
// Thread safety: one thread. Error contract: Status naming the process
// and the log to read.
#ifndef HOTLINE_CLIENT_CLI_EXERCISE_CLUSTER_H_
#define HOTLINE_CLIENT_CLI_EXERCISE_CLUSTER_H_

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "hotline/child_process.h"
#include "hotline/status.h"
#include "hotline/v1/common.pb.h"

namespace hotline::cli {

struct ExerciseClusterOptions {
  std::filesystem::path run;      // the run folder: certs/, relay-N/, node-xx/
  std::filesystem::path bin_dir;  // where hotline-node and hotline-relay are (or ../server)
  int relays = 2;
  int console_port = 0;  // >0: consoles on this port, +1, +2 (US, JP, KR)
  const std::atomic<bool>* stop = nullptr;  // set: give up waiting (Ctrl-C)
};

class ExerciseCluster {
 public:
  // Trust material (made once, kept between runs), fresh stores, every
  // relay listening and every node linked to one.
  static StatusOr<std::unique_ptr<ExerciseCluster>> Start(const ExerciseClusterOptions& options);
  ~ExerciseCluster() { StopAll(); }

  std::filesystem::path NodeDir(v1::Nation nation) const;
  bool NodeRunning(v1::Nation nation);
  bool RelayRunning(int relay);

  // Each says whether it acted (false: the process was not running).
  bool KillRelay(int relay);
  bool FreezeRelay(int relay);
  bool ThawRelay(int relay);
  Status RestartRelay(int relay);  // on its old address, once it listens
  bool KillNode(v1::Nation nation);
  Status RestartNode(v1::Nation nation);  // from its store; it links by itself
  // SIGTERM to all (nodes first, so their last checkpoints reach a relay).
  void StopAll();

 private:
  explicit ExerciseCluster(ExerciseClusterOptions options) : o_(std::move(options)) {}
  Status StartRelay(int relay, const std::string& listen);
  Status StartNode(v1::Nation nation);
  Status WaitNodeLinked(v1::Nation nation);

  ExerciseClusterOptions o_;
  std::filesystem::path node_bin_, relay_bin_;
  std::map<int, std::string> relay_addresses_;  // by relay number
  std::map<int, std::unique_ptr<ChildProcess>> relays_;
  std::map<v1::Nation, std::unique_ptr<ChildProcess>> nodes_;
};

// The folder of the running `hotline` program.
std::filesystem::path OwnBinDir();

}  // namespace hotline::cli

#endif  // HOTLINE_CLIENT_CLI_EXERCISE_CLUSTER_H_
