// What the load generator's modes share (docs/BENCHMARKS.md): arguments, a
// cluster of real relay and node processes on loopback, a pipelined
// control-socket client and percentiles.
#ifndef HOTLINE_BENCH_LOAD_COMMON_H_
#define HOTLINE_BENCH_LOAD_COMMON_H_

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "../tests/support/child_process.h"
#include "../tests/unit/test_util.h"
#include "hotline/asio.h"
#include "hotline/control_codec.h"
#include "hotline/envelope.h"
#include "hotline/link_connection.h"
#include "hotline/net_util.h"
#include "hotline/trust_dir.h"
#include "hotline/v1/control.pb.h"

namespace hotline::bench {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using testing::ChildProcess;

struct Args {
  std::string mode;
  size_t messages = 100000;
  size_t window = 2000;
  std::string bin = HOTLINE_BIN_DIR;
  bool fifo = false;
  bool accept_only = false;         // no recipient connected: measure the accept path alone
  std::string background = "none";  // flash-latency: none, small (256 B) or large (64 KiB)
  size_t kills = 20;                // failover: relay kills
  bool freeze = false;              // failover: SIGSTOP instead of SIGKILL
  bool consoles = false;  // latency: every node serves a console, an emulated page watching each
  bool flash = false;     // latency: FLASH on the crisis channel instead of ROUTINE
  size_t tracks = 20;     // tracks: tracks at once in the load phase
  double rate = 50;       // tracks: updates per second per track
  size_t seconds = 10;    // tracks: length of each phase
  std::string phase = "all";  // tracks: unloaded, backlog, load, kill, freeze, slow or all
};

inline double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

inline bool WaitFile(const fs::path& p, std::chrono::seconds limit = std::chrono::seconds(20)) {
  auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    std::error_code ec;
    if (fs::is_socket(p, ec) || (fs::is_regular_file(p, ec) && fs::file_size(p, ec) > 0))
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

struct Cluster {
  testing::TempDir dir;
  fs::path certs = dir.path() / "certs";
  std::map<int, std::unique_ptr<ChildProcess>> relays;
  std::map<int, std::string> addresses;
  std::vector<std::unique_ptr<ChildProcess>> nodes;
  std::string relay_addr;  // relay 1
  Args args;

  explicit Cluster(const Args& a, int relay_count = 1) : args(a) {
    if (!InitTrustDirectory(certs, {relay_count, NowUnix() - 60, 30}).ok())
      throw std::runtime_error("certs");
    for (int r = 1; r <= relay_count; ++r) StartRelay(r);
    relay_addr = addresses[1];
  }

  void StartRelay(int r) {
    fs::path ready = dir.path() / ("relay-" + std::to_string(r) + ".addr");
    fs::remove(ready);
    std::string listen = addresses.count(r) ? addresses[r] : "127.0.0.1:0";
    std::vector<std::string> argv = {args.bin + "/server/hotline-relay",
                                     "--certs",
                                     certs.string(),
                                     "--name",
                                     "relay-" + std::to_string(r),
                                     "--listen",
                                     listen,
                                     "--data",
                                     (dir.path() / ("relay-" + std::to_string(r))).string(),
                                     "--ready-file",
                                     ready.string()};
    if (args.fifo) argv.push_back("--fifo");
    relays[r] = std::make_unique<ChildProcess>(
        argv, (dir.path() / ("relay-" + std::to_string(r) + ".log")).string());
    if (!WaitFile(ready)) throw std::runtime_error("relay did not start");
    std::string addr = testing::ReadFileOrDie(ready);
    addr.erase(addr.find_last_not_of('\n') + 1);
    addresses[r] = addr;
  }

  fs::path StartNode(const std::string& nation) {
    fs::path data = dir.path() / ("node-" + nation);
    std::vector<std::string> argv = {args.bin + "/client/hotline-node",
                                     "--nation",
                                     nation,
                                     "--certs",
                                     certs.string(),
                                     "--data",
                                     data.string()};
    for (const auto& [r, addr] : addresses) {
      argv.push_back("--relay");
      argv.push_back(addr);
    }
    if (args.fifo) argv.push_back("--fifo");
    if (args.consoles) {
      argv.push_back("--console");
      argv.push_back("127.0.0.1:0");
    }
    nodes.push_back(
        std::make_unique<ChildProcess>(argv, (dir.path() / (nation + ".log")).string()));
    if (!WaitFile(data / "control.sock")) throw std::runtime_error("node did not start");
    return data / "control.sock";
  }
};

inline SecureChannelConfig ChannelFor(const Identity& id, const TrustStore& trust) {
  return ChannelConfigFor(id, trust, /*initiator=*/true, v1::ROLE_RELAY);
}

inline PeerKeys KeysOf(const Identity& id) { return *PeerKeysOf(id.details); }

// A pipelined control-socket client.
class Control {
 public:
  Control(asio::io_context& io, const fs::path& path) : socket_(io) {
    socket_.connect(asio::local::stream_protocol::endpoint(path.string()));
  }
  void Send(const v1::ControlRequest& r) {
    Bytes wire = EncodeControlMessage(r);
    asio::write(socket_, asio::buffer(wire));
  }
  // Ends a blocked Next() on another thread (it throws).
  void Close() {
    boost::system::error_code ec;
    socket_.shutdown(asio::socket_base::shutdown_both, ec);
  }
  // Blocking read of the next response.
  v1::ControlResponse Next() {
    v1::ControlResponse r;
    for (;;) {
      auto ready = decoder_.Next(r);
      if (!ready.ok()) throw std::runtime_error("bad control response");
      if (*ready) return r;
      uint8_t buf[65536];
      size_t n = socket_.read_some(asio::buffer(buf));
      if (!decoder_.Feed(ByteView(buf, n)).ok()) throw std::runtime_error("bad control stream");
    }
  }

 private:
  asio::local::stream_protocol::socket socket_;
  ControlDecoder decoder_;
};

inline v1::ControlRequest SendRequest(const std::string& text,
                                      v1::Channel channel = v1::CHANNEL_GENERAL) {
  v1::ControlRequest r;
  r.mutable_send()->add_to(v1::NATION_JP);
  r.mutable_send()->set_channel(channel);
  r.mutable_send()->mutable_body()->mutable_text()->set_text(text);
  return r;
}

inline std::string Percentiles(std::vector<double>& us) {
  std::sort(us.begin(), us.end());
  auto pct = [&](double p) {
    return us[static_cast<size_t>(p * static_cast<double>(us.size() - 1))];
  };
  char buf[160];
  std::snprintf(buf, sizeof buf, "p50 %.0f us  p90 %.0f us  p99 %.0f us  max %.0f us", pct(0.5),
                pct(0.9), pct(0.99), us.back());
  return buf;
}

inline int LinksUp(Control& c) {
  v1::ControlRequest st;
  st.mutable_status()->set_limit(0);
  c.Send(st);
  v1::ControlResponse r = c.Next();
  int up = 0;
  for (const auto& relay : r.status().relays()) up += relay.connected();
  return up;
}

inline int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace hotline::bench

#endif  // HOTLINE_BENCH_LOAD_COMMON_H_
