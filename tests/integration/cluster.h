// A local hotline cluster of real processes for integration tests: a trust
// folder, relays and nodes started from the built binaries on loopback, and
// the CLI run as a command. Every process started is stopped by the
// destructor at the latest.
#ifndef HOTLINE_TESTS_INTEGRATION_CLUSTER_H_
#define HOTLINE_TESTS_INTEGRATION_CLUSTER_H_

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "../support/child_process.h"
#include "../unit/test_util.h"
#include "hotline/certs.h"
#include "hotline/net_util.h"
#include "hotline/trust_dir.h"

namespace hotline::testing {

namespace fs = std::filesystem;

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

inline std::string BinDir() { return HOTLINE_BIN_DIR; }

// Polls `condition` until true or `timeout`; never sleeps past the deadline.
template <typename F>
bool WaitUntil(F condition, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}

class Cluster {
 public:
  explicit Cluster(int relays = 1) {
    certs_ = dir_.path() / "certs";
    if (!InitTrustDirectory(certs_, {relays, NowUnix() - 60, 30}).ok()) {
      throw std::runtime_error("cannot create trust folder");
    }
  }
  ~Cluster() { StopAll(); }

  // From now on each relay and node gets its own copy of the trust folder
  // (certs-<host>/, without national root keys), as on separate machines:
  // a file written to certs() reaches none of them.
  void SeparateTrustFolders() { separate_folders_ = true; }
  fs::path HostCerts(const std::string& host) {
    if (!separate_folders_) return certs_;
    fs::path dir = dir_.path() / ("certs-" + host);
    if (fs::exists(dir)) return dir;
    fs::create_directories(dir);
    for (const auto& entry : fs::directory_iterator(certs_)) {
      std::string name = entry.path().filename().string();
      if (!entry.is_regular_file() ||
          (name.rfind("root-", 0) == 0 && entry.path().extension() == ".key"))
        continue;
      fs::copy_file(entry.path(), dir / name);
    }
    return dir;
  }

  const fs::path& certs() const { return certs_; }
  fs::path path() const { return dir_.path(); }
  fs::path RelayData(int r) const { return dir_.path() / ("relay-" + std::to_string(r)); }
  fs::path NodeData(const std::string& n) const { return dir_.path() / ("node-" + n); }
  fs::path RelayLog(int r) const { return dir_.path() / ("relay-" + std::to_string(r) + ".log"); }
  fs::path NodeLog(const std::string& n) const { return dir_.path() / ("node-" + n + ".log"); }

  // Starts relay `r`; on restart it reuses its first address.
  std::vector<std::string> relay_extra;  // extra hotline-relay arguments

  std::string StartRelay(int r) {
    std::string listen = addresses_.count(r) ? addresses_[r] : "127.0.0.1:0";
    fs::path ready = dir_.path() / ("relay-" + std::to_string(r) + ".addr");
    fs::remove(ready);
    std::vector<std::string> argv = {BinDir() + "/server/hotline-relay",
                                     "--certs",
                                     HostCerts("relay-" + std::to_string(r)).string(),
                                     "--name",
                                     "relay-" + std::to_string(r),
                                     "--listen",
                                     listen,
                                     "--data",
                                     RelayData(r).string(),
                                     "--ready-file",
                                     ready.string()};
    argv.insert(argv.end(), relay_extra.begin(), relay_extra.end());
    relays_[r] = std::make_unique<ChildProcess>(argv, RelayLog(r).string());
    if (!WaitUntil([&] { return fs::exists(ready) && fs::file_size(ready) > 0; })) {
      throw std::runtime_error("relay did not start: " + ReadFileOrDie(RelayLog(r)));
    }
    std::string addr = ReadFileOrDie(ready);
    addr.erase(addr.find_last_not_of("\n") + 1);
    addresses_[r] = addr;
    return addr;
  }

  ChildProcess& relay(int r) { return *relays_.at(r); }
  ChildProcess& node(const std::string& n) { return *nodes_.at(n); }

  void StartNode(const std::string& nation, const std::vector<int>& relays = {1},
                 const std::vector<std::string>& extra = {}) {
    std::vector<std::string> addresses;
    for (int r : relays) addresses.push_back(addresses_.at(r));
    StartNodeAt(nation, addresses, extra);
  }

  // A node reaching its relays at explicit addresses (e.g. through proxies).
  void StartNodeAt(const std::string& nation, const std::vector<std::string>& addresses,
                   const std::vector<std::string>& extra = {}) {
    fs::remove(NodeData(nation) / "control.sock");
    std::vector<std::string> argv = {BinDir() + "/client/hotline-node",
                                     "--nation",
                                     nation,
                                     "--certs",
                                     HostCerts("node-" + nation).string(),
                                     "--data",
                                     NodeData(nation).string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    for (const auto& a : addresses) {
      argv.push_back("--relay");
      argv.push_back(a);
    }
    nodes_[nation] = std::make_unique<ChildProcess>(argv, NodeLog(nation).string());
    if (!WaitUntil([&] { return fs::exists(NodeData(nation) / "control.sock"); })) {
      throw std::runtime_error("node did not start: " + ReadFileOrDie(NodeLog(nation)));
    }
  }

  // Waits until node `nation` reports `count` relay links up.
  bool WaitLinksUp(const std::string& nation, int count = 1) {
    return WaitUntil([&] {
      auto r = Cli({"status", "--node", NodeData(nation).string(), "--limit", "0"});
      size_t up = 0, pos = 0;
      while ((pos = r.output.find(" UP ", pos)) != std::string::npos) {
        ++up;
        ++pos;
      }
      return r.exit_code == 0 && up >= static_cast<size_t>(count);
    });
  }

  CommandResult Cli(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {BinDir() + "/client/hotline"};
    argv.insert(argv.end(), args.begin(), args.end());
    fs::path out = dir_.path() / ("cli-" + std::to_string(cli_runs_++) + ".out");
    ChildProcess p(argv, out.string());
    CommandResult r;
    r.exit_code = p.WaitFor(std::chrono::seconds(60)).value_or(-1);
    r.output = fs::exists(out) ? ReadFileOrDie(out) : "";
    return r;
  }

  // `hotline <command> --node N <rest of args>`; returns trimmed stdout on success.
  std::string CliOk(const std::string& nation, const std::vector<std::string>& args) {
    std::vector<std::string> full = args;
    full.insert(full.begin() + (args.empty() ? 0 : 1), {"--node", NodeData(nation).string()});
    CommandResult r = Cli(full);
    if (r.exit_code != 0) throw std::runtime_error("hotline failed: " + r.output);
    std::string s = r.output;
    s.erase(s.find_last_not_of("\n") + 1);
    return s;
  }

  // Starts a fault proxy in front of relay `r`; returns its address.
  std::string StartProxy(const std::string& name, int r, const std::vector<std::string>& faults) {
    fs::path ready = dir_.path() / ("proxy-" + name + ".addr");
    fs::remove(ready);
    std::vector<std::string> argv = {BinDir() + "/tests/hotline-faultproxy", "--target", addresses_.at(r),
                                     "--ready-file", ready.string()};
    argv.insert(argv.end(), faults.begin(), faults.end());
    proxies_[name] = std::make_unique<ChildProcess>(argv, (dir_.path() / ("proxy-" + name + ".log")).string());
    if (!WaitUntil([&] { return fs::exists(ready); })) throw std::runtime_error("proxy did not start");
    std::string addr = ReadFileOrDie(ready);
    addr.erase(addr.find_last_not_of("\n") + 1);
    return addr;
  }
  ChildProcess& proxy(const std::string& name) { return *proxies_.at(name); }
  bool HasNode(const std::string& n) const { return nodes_.count(n) > 0; }
  const std::string& RelayAddress(int r) const { return addresses_.at(r); }

  void StopNode(const std::string& n) { nodes_.erase(n); }
  void StopRelay(int r) { relays_.erase(r); }
  void StopAll() {
    nodes_.clear();
    relays_.clear();
    proxies_.clear();
  }

 private:
  TempDir dir_;
  fs::path certs_;
  bool separate_folders_ = false;
  std::map<int, std::unique_ptr<ChildProcess>> relays_;
  std::map<std::string, std::unique_ptr<ChildProcess>> nodes_;
  std::map<std::string, std::unique_ptr<ChildProcess>> proxies_;
  std::map<int, std::string> addresses_;
  int cli_runs_ = 0;
};

// A node's and a relay's store (and audit log) in a cluster.
inline fs::path NodeDb(Cluster& c, const std::string& n) { return c.NodeData(n) / "node.db"; }
inline fs::path RelayDb(Cluster& c, int r = 1) { return c.RelayData(r) / "relay.db"; }

inline bool Contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

}  // namespace hotline::testing

#endif  // HOTLINE_TESTS_INTEGRATION_CLUSTER_H_
