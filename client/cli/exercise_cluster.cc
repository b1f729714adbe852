#include "cli/exercise_cluster.h"

#include <atomic>
#include <chrono>
#include <thread>

#include "cli/control_client.h"
#include "hotline/certs.h"
#include "hotline/file_util.h"
#include "hotline/trust_dir.h"

namespace hotline::cli {
namespace {

namespace fs = std::filesystem;
constexpr v1::Nation kNations[] = {v1::NATION_US, v1::NATION_JP, v1::NATION_KR};

std::string Lower(v1::Nation n) {
  std::string code = NationCode(n);
  for (char& c : code) c = static_cast<char>(c - 'A' + 'a');
  return code;
}

// Polls `ready` up to `limit` (bounded; 20 ms apart), or until `stop` says so.
template <typename Ready>
bool WaitUntil(Ready ready, std::chrono::milliseconds limit, const std::atomic<bool>* stop) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!ready()) {
    if (std::chrono::steady_clock::now() >= deadline || (stop && *stop)) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

int64_t NowS() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

fs::path OwnBinDir() {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path(".") : self.parent_path();
}

StatusOr<std::unique_ptr<ExerciseCluster>> ExerciseCluster::Start(
    const ExerciseClusterOptions& options) {
  std::unique_ptr<ExerciseCluster> c(new ExerciseCluster(options));
  for (const fs::path& dir : {options.bin_dir, options.bin_dir / ".." / "server"}) {
    if (c->node_bin_.empty() && fs::exists(dir / "hotline-node"))
      c->node_bin_ = dir / "hotline-node";
    if (c->relay_bin_.empty() && fs::exists(dir / "hotline-relay")) {
      c->relay_bin_ = dir / "hotline-relay";
    }
  }
  if (c->node_bin_.empty() || c->relay_bin_.empty()) {
    return NotFoundError("hotline-node and hotline-relay not found in " + options.bin_dir.string() +
                         " (or ../server): build them, or pass --bin DIR");
  }
  std::error_code ec;
  fs::create_directories(options.run, ec);
  if (ec) return InternalError("cannot create " + options.run.string() + ": " + ec.message());
  fs::path certs = options.run / "certs";
  bool have_certs = fs::exists(certs / "root.doc");
  for (int r = 1; r <= options.relays; ++r) {
    have_certs = have_certs && fs::exists(certs / ("relay-" + std::to_string(r) + ".cert"));
  }
  if (!have_certs) {
    fs::remove_all(certs, ec);
    HOTLINE_RETURN_IF_ERROR(InitTrustDirectory(certs, {options.relays, NowS(), 365}));
  }
  // A fresh run: the stores, logs and records of the last one go.
  for (const auto& entry : fs::directory_iterator(options.run, ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind("relay-", 0) == 0 || name.rfind("node-", 0) == 0 || name == "exercise.json" ||
        name == "report.json" || name == "report.html") {
      fs::remove_all(entry.path(), ec);
    }
  }
  for (int r = 1; r <= options.relays; ++r) {
    HOTLINE_RETURN_IF_ERROR(c->StartRelay(r, "127.0.0.1:0"));
  }
  for (v1::Nation n : kNations) HOTLINE_RETURN_IF_ERROR(c->StartNode(n));
  for (v1::Nation n : kNations) HOTLINE_RETURN_IF_ERROR(c->WaitNodeLinked(n));
  return c;
}

Status ExerciseCluster::StartRelay(int r, const std::string& listen) {
  std::string name = "relay-" + std::to_string(r);
  fs::path dir = o_.run / name;
  fs::path ready = o_.run / (name + ".addr");
  std::error_code ec;
  fs::create_directories(dir, ec);
  fs::remove(ready, ec);
  relays_[r] = std::make_unique<ChildProcess>(
      std::vector<std::string>{relay_bin_.string(), "--certs", (o_.run / "certs").string(),
                               "--name", name, "--listen", listen, "--data", dir.string(),
                               "--ready-file", ready.string(), "--log-file",
                               (dir / "relay.log").string()},
      (dir / "stderr.log").string());
  auto& p = *relays_[r];
  bool up =
      p.started() &&
      WaitUntil([&] { return (fs::exists(ready) && fs::file_size(ready, ec) > 0) || !p.running(); },
                std::chrono::seconds(15), o_.stop) &&
      p.running();
  if (!up) {
    return UnavailableError(name + " did not start listening: see " + (dir / "relay.log").string());
  }
  auto address = ReadFileBytes(ready, 256);
  if (!address.ok()) return address.status();
  std::string text = ToString(*address);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  relay_addresses_[r] = text;
  return Status::Ok();
}

Status ExerciseCluster::StartNode(v1::Nation n) {
  fs::path dir = NodeDir(n);
  std::error_code ec;
  fs::create_directories(dir, ec);
  std::vector<std::string> argv = {
      node_bin_.string(),          "--nation", NationCode(n), "--certs",
      (o_.run / "certs").string(), "--data",   dir.string(),  "--log-file",
      (dir / "node.log").string()};
  for (const auto& [r, a] : relay_addresses_) argv.insert(argv.end(), {"--relay", a});
  if (o_.console_port > 0) {
    int index = static_cast<int>(n) - 1;
    argv.insert(argv.end(), {"--console", "127.0.0.1:" + std::to_string(o_.console_port + index)});
    for (int i = 0; i < 3; ++i) {  // any console may be framed by a situation room
      argv.insert(argv.end(), {"--console-frame-ancestor",
                               "http://127.0.0.1:" + std::to_string(o_.console_port + i)});
    }
  }
  nodes_[n] = std::make_unique<ChildProcess>(argv, (dir / "stderr.log").string());
  if (!nodes_[n]->started()) return UnavailableError("cannot start " + node_bin_.string());
  return Status::Ok();
}

Status ExerciseCluster::WaitNodeLinked(v1::Nation n) {
  fs::path socket = NodeSocketPath(NodeDir(n).string());
  bool linked = WaitUntil(
      [&] {
        if (!nodes_[n]->running()) return true;  // reported below
        auto client = ControlClient::Connect(socket);
        if (!client.ok()) return false;
        v1::ControlRequest req;
        req.mutable_status()->set_limit(1);
        auto r = (*client)->Call(req, std::chrono::seconds(2));
        if (!r.ok()) return false;
        for (const auto& relay : r->status().relays()) {
          if (relay.connected()) return true;
        }
        return false;
      },
      std::chrono::seconds(20), o_.stop);
  if (!linked || !nodes_[n]->running()) {
    return UnavailableError("node " + NationCode(n) + " did not link to a relay: see " +
                            (NodeDir(n) / "node.log").string());
  }
  return Status::Ok();
}

fs::path ExerciseCluster::NodeDir(v1::Nation n) const { return o_.run / ("node-" + Lower(n)); }

bool ExerciseCluster::NodeRunning(v1::Nation n) {
  auto it = nodes_.find(n);
  return it != nodes_.end() && it->second->running();
}

bool ExerciseCluster::RelayRunning(int r) {
  auto it = relays_.find(r);
  return it != relays_.end() && it->second->running();
}

bool ExerciseCluster::KillRelay(int r) {
  if (!RelayRunning(r)) return false;
  relays_[r]->Signal(SIGKILL);
  relays_[r]->WaitFor(std::chrono::seconds(5));
  return true;
}

bool ExerciseCluster::FreezeRelay(int r) {
  if (!RelayRunning(r)) return false;
  relays_[r]->Signal(SIGSTOP);
  return true;
}

bool ExerciseCluster::ThawRelay(int r) {
  if (!RelayRunning(r)) return false;
  relays_[r]->Signal(SIGCONT);
  return true;
}

Status ExerciseCluster::RestartRelay(int r) {
  if (RelayRunning(r)) return Status::Ok();
  return StartRelay(r, relay_addresses_.at(r));
}

bool ExerciseCluster::KillNode(v1::Nation n) {
  if (!NodeRunning(n)) return false;
  nodes_[n]->Signal(SIGKILL);
  nodes_[n]->WaitFor(std::chrono::seconds(5));
  return true;
}

Status ExerciseCluster::RestartNode(v1::Nation n) {
  if (NodeRunning(n)) return Status::Ok();
  return StartNode(n);  // it links by itself; responses wait for it
}

void ExerciseCluster::StopAll() {
  for (auto& [n, p] : nodes_) p->Stop();
  for (auto& [r, p] : relays_) p->Stop();
}

}  // namespace hotline::cli
