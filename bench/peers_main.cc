// The peers beside us (issue 16): NATS (nats-server with JetStream) and
// Mosquitto, started from Debian's packages on loopback, driven by minimal
// clients of their wire protocols, on the two workloads hotline_load runs
// for the hotline:
//
//   urgent  a high-priority message sent into a low-priority flood on the
//           same path: its one-way latency p50/p99, the urgent message on
//           the flood's own connection and on a connection of its own;
//   acked   acknowledged, persisted publish throughput: each publish waits
//           for its acknowledgement (NATS JetStream, file storage; Mosquitto
//           QoS 1 with persistence on).
//
// Prints one line per figure, `peer workload value unit`, for
// bench/peers.sh to put beside the hotline's. Run through bench/peers.sh.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "../tests/support/child_process.h"
#include "../tests/unit/test_util.h"

namespace {

using Clock = std::chrono::steady_clock;
using hotline::testing::ChildProcess;
using hotline::testing::TempDir;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), len);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  int port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

// A blocking loopback TCP connection; -1 until the server listens (10 s).
int Connect(int port) {
  auto deadline = Clock::now() + std::chrono::seconds(10);
  while (Clock::now() < deadline) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
      int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      timeval tv{20, 0};  // no read blocks forever
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      return fd;
    }
    ::close(fd);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return -1;
}

bool WriteAll(int fd, const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    ssize_t n = ::send(fd, s.data() + done, s.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// Buffered reads from a socket.
class Reader {
 public:
  explicit Reader(int fd) : fd_(fd) {}
  bool Fill() {
    if (pos_ > 0 && pos_ == buf_.size()) buf_.clear(), pos_ = 0;
    char tmp[65536];
    ssize_t n = ::read(fd_, tmp, sizeof tmp);
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }
  std::optional<std::string> Line() {  // up to \r\n, without it
    for (;;) {
      size_t end = buf_.find("\r\n", pos_);
      if (end != std::string::npos) {
        std::string line = buf_.substr(pos_, end - pos_);
        pos_ = end + 2;
        return line;
      }
      Compact();
      if (!Fill()) return std::nullopt;
    }
  }
  std::optional<std::string> Bytes(size_t n) {
    while (buf_.size() - pos_ < n) {
      Compact();
      if (!Fill()) return std::nullopt;
    }
    std::string out = buf_.substr(pos_, n);
    pos_ += n;
    return out;
  }

 private:
  void Compact() {
    if (pos_ > 0) {
      buf_.erase(0, pos_);
      pos_ = 0;
    }
  }
  int fd_;
  std::string buf_;
  size_t pos_ = 0;
};

struct Percentiles {
  double p50_ms = 0, p99_ms = 0;
};
Percentiles Summarize(std::vector<int64_t> ns) {
  if (ns.empty()) return {};
  std::sort(ns.begin(), ns.end());
  auto at = [&](size_t permille) {
    return static_cast<double>(ns[std::min(ns.size() - 1, permille * ns.size() / 1000)]) / 1e6;
  };
  return {at(500), at(990)};
}

std::string Payload(size_t size, char tag, int64_t ns) {
  std::string p = std::string(1, tag) + std::to_string(ns) + " ";
  p.resize(size, 'x');
  return p;
}

int64_t StampOf(const std::string& payload) { return std::stoll(payload.substr(1)); }

// --- NATS ------------------------------------------------------------------

int NatsConnect(int port, Reader*& reader_out, std::vector<std::unique_ptr<Reader>>& keep) {
  int fd = Connect(port);
  if (fd < 0) return -1;
  keep.push_back(std::make_unique<Reader>(fd));
  Reader& r = *keep.back();
  if (!r.Line()) return -1;  // INFO
  WriteAll(fd, "CONNECT {\"verbose\":false,\"pedantic\":false,\"echo\":false}\r\nPING\r\n");
  for (auto line = r.Line(); line; line = r.Line()) {
    if (*line == "PONG") break;
  }
  reader_out = &r;
  return fd;
}

// Reads MSG frames on `r` until `want` urgent ones arrived; answers PINGs.
void NatsSubscriber(int fd, Reader& r, int want, std::vector<int64_t>& latencies) {
  int got = 0;
  while (got < want) {
    auto line = r.Line();
    if (!line) return;
    if (*line == "PING") {
      WriteAll(fd, "PONG\r\n");
      continue;
    }
    if (line->rfind("MSG ", 0) != 0) continue;
    size_t size = std::stoul(line->substr(line->rfind(' ') + 1));
    auto payload = r.Bytes(size + 2);
    if (!payload) return;
    if ((*payload)[0] == 'U') {
      latencies.push_back(NowNs() - StampOf(*payload));
      ++got;
    }
  }
}

Percentiles NatsUrgent(int port, bool own_connection, int probes) {
  std::vector<std::unique_ptr<Reader>> keep;
  Reader *sub_r = nullptr, *pub_r = nullptr, *urgent_r = nullptr;
  int sub = NatsConnect(port, sub_r, keep);
  int pub = NatsConnect(port, pub_r, keep);
  int urgent = own_connection ? NatsConnect(port, urgent_r, keep) : pub;
  int urgent_sub = sub;
  Reader* urgent_sub_r = sub_r;
  Reader* extra_r = nullptr;
  if (own_connection) urgent_sub = NatsConnect(port, extra_r, keep), urgent_sub_r = extra_r;
  WriteAll(sub, "SUB flood 1\r\nPING\r\n");
  while (auto l = sub_r->Line())
    if (*l == "PONG") break;
  WriteAll(urgent_sub, "SUB urgent 2\r\nPING\r\n");
  while (auto l = urgent_sub_r->Line())
    if (*l == "PONG") break;
  std::vector<int64_t> latencies;
  std::atomic<bool> stop{false};
  std::mutex pub_mu;  // the flood and the probes share `pub` when on one connection
  // The flood's subscriber reads and discards (counting nothing).
  std::thread drain;
  if (own_connection) {
    drain = std::thread([&] {
      while (!stop) {
        auto line = sub_r->Line();
        if (!line) return;
        if (*line == "PING") WriteAll(sub, "PONG\r\n");
      }
    });
  }
  std::thread flood([&] {
    std::string batch;
    std::string body = Payload(256, 'F', 0);
    for (int i = 0; i < 64; ++i) batch += "PUB flood 256\r\n" + body + "\r\n";
    while (!stop) {
      std::lock_guard lock(pub_mu);
      if (!WriteAll(pub, batch)) return;
    }
  });
  std::thread probe([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the flood is on
    for (int i = 0; i < probes && !stop; ++i) {
      std::string msg = "PUB urgent 256\r\n" + Payload(256, 'U', NowNs()) + "\r\n";
      if (own_connection) {
        WriteAll(urgent, msg);
      } else {
        std::lock_guard lock(pub_mu);
        WriteAll(urgent, msg);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  NatsSubscriber(urgent_sub, *urgent_sub_r, probes, latencies);
  stop = true;
  probe.join();
  flood.join();
  for (auto& r : keep) (void)r;
  for (int fd : {sub, pub, urgent, urgent_sub}) ::shutdown(fd, SHUT_RDWR);
  if (drain.joinable()) drain.join();
  for (int fd : {sub, pub, urgent, urgent_sub}) ::close(fd);
  return Summarize(latencies);
}

double NatsJetStreamAcked(int port, int messages) {
  std::vector<std::unique_ptr<Reader>> keep;
  Reader* r = nullptr;
  int fd = NatsConnect(port, r, keep);
  std::string create = R"({"name":"HOT","subjects":["hot.>"],"storage":"file"})";
  WriteAll(fd, "SUB _INBOX.acks 1\r\nPUB $JS.API.STREAM.CREATE.HOT _INBOX.acks " +
                   std::to_string(create.size()) + "\r\n" + create + "\r\n");
  auto wait_reply = [&]() -> bool {
    for (;;) {
      auto line = r->Line();
      if (!line) return false;
      if (*line == "PING") {
        WriteAll(fd, "PONG\r\n");
        continue;
      }
      if (line->rfind("MSG ", 0) != 0) continue;
      size_t size = std::stoul(line->substr(line->rfind(' ') + 1));
      auto body = r->Bytes(size + 2);
      return body && body->find("error") == std::string::npos;
    }
  };
  if (!wait_reply()) return -1;
  std::string body = Payload(256, 'J', 0);
  auto start = Clock::now();
  for (int i = 0; i < messages; ++i) {
    WriteAll(fd, "PUB hot.x _INBOX.acks 256\r\n" + body + "\r\n");
    if (!wait_reply()) return -1;
  }
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  ::close(fd);
  return messages / seconds;
}

// --- MQTT 3.1.1 (Mosquitto) ------------------------------------------------

std::string RemainingLength(size_t n) {
  std::string out;
  do {
    unsigned b = static_cast<unsigned>(n % 128);
    n /= 128;
    if (n > 0) b |= 0x80u;
    out.push_back(static_cast<char>(b));
  } while (n > 0);
  return out;
}
std::string Str16(const std::string& s) {
  return std::string{static_cast<char>(s.size() >> 8), static_cast<char>(s.size() & 0xff)} + s;
}
std::string Packet(uint8_t type, const std::string& body) {
  return std::string(1, static_cast<char>(type)) + RemainingLength(body.size()) + body;
}
// Reads one packet: its first byte and body.
std::optional<std::pair<uint8_t, std::string>> ReadPacket(Reader& r) {
  auto first = r.Bytes(1);
  if (!first) return std::nullopt;
  size_t length = 0, shift = 0;
  for (int i = 0; i < 4; ++i) {
    auto b = r.Bytes(1);
    if (!b) return std::nullopt;
    length |= static_cast<size_t>(static_cast<uint8_t>((*b)[0]) & 0x7f) << shift;
    shift += 7;
    if (!(static_cast<uint8_t>((*b)[0]) & 0x80)) break;
  }
  auto body = r.Bytes(length);
  if (!body) return std::nullopt;
  return std::make_pair(static_cast<uint8_t>((*first)[0]), *body);
}

int MqttConnect(int port, const std::string& id, std::vector<std::unique_ptr<Reader>>& keep,
                Reader*& out) {
  int fd = Connect(port);
  if (fd < 0) return -1;
  keep.push_back(std::make_unique<Reader>(fd));
  out = keep.back().get();
  WriteAll(fd, Packet(0x10, Str16("MQTT") + std::string{4, 0x02, 0, 60} + Str16(id)));
  auto ack = ReadPacket(*out);
  return ack && ack->first == 0x20 ? fd : -1;
}

void MqttSubscribe(int fd, Reader& r, const std::string& topic) {
  WriteAll(fd, Packet(0x82, std::string{0, 1} + Str16(topic) + std::string(1, 0)));
  (void)ReadPacket(r);  // SUBACK
}

Percentiles MqttUrgent(int port, bool own_connection, int probes) {
  std::vector<std::unique_ptr<Reader>> keep;
  Reader *sub_r = nullptr, *pub_r = nullptr, *urgent_r = nullptr, *usub_r = nullptr;
  int sub = MqttConnect(port, "sub", keep, sub_r);
  int pub = MqttConnect(port, "pub", keep, pub_r);
  int urgent = own_connection ? MqttConnect(port, "urgent", keep, urgent_r) : pub;
  int usub = own_connection ? MqttConnect(port, "usub", keep, usub_r) : sub;
  if (!own_connection) usub_r = sub_r;
  MqttSubscribe(sub, *sub_r, "flood");
  MqttSubscribe(usub, *usub_r, "urgent");
  std::atomic<bool> stop{false};
  std::mutex pub_mu;
  std::thread drain;
  if (own_connection) {
    drain = std::thread([&] {
      while (!stop && ReadPacket(*sub_r)) {
      }
    });
  }
  std::thread flood([&] {
    std::string one = Packet(0x30, Str16("flood") + Payload(256, 'F', 0));
    std::string batch;
    for (int i = 0; i < 64; ++i) batch += one;
    while (!stop) {
      std::lock_guard lock(pub_mu);
      if (!WriteAll(pub, batch)) return;
    }
  });
  std::thread probe([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    for (int i = 0; i < probes && !stop; ++i) {
      std::string msg = Packet(0x30, Str16("urgent") + Payload(256, 'U', NowNs()));
      if (own_connection) {
        WriteAll(urgent, msg);
      } else {
        std::lock_guard lock(pub_mu);
        WriteAll(urgent, msg);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  std::vector<int64_t> latencies;
  while (static_cast<int>(latencies.size()) < probes) {
    auto p = ReadPacket(*usub_r);
    if (!p) break;
    if ((p->first & 0xf0) != 0x30) continue;
    const std::string& b = p->second;
    size_t topic_len =
        static_cast<size_t>(static_cast<uint8_t>(b[0])) << 8 | static_cast<uint8_t>(b[1]);
    std::string payload = b.substr(2 + topic_len);
    if (!payload.empty() && payload[0] == 'U') latencies.push_back(NowNs() - StampOf(payload));
  }
  stop = true;
  probe.join();
  flood.join();
  for (int fd : {sub, pub, urgent, usub}) ::shutdown(fd, SHUT_RDWR);
  if (drain.joinable()) drain.join();
  for (int fd : {sub, pub, urgent, usub}) ::close(fd);
  return Summarize(latencies);
}

double MqttQos1Acked(int port, int messages) {
  std::vector<std::unique_ptr<Reader>> keep;
  Reader* r = nullptr;
  int fd = MqttConnect(port, "acked", keep, r);
  if (fd < 0) return -1;
  std::string payload = Payload(256, 'Q', 0);
  auto start = Clock::now();
  for (int i = 0; i < messages; ++i) {
    uint16_t id = static_cast<uint16_t>(i % 65535 + 1);
    WriteAll(
        fd, Packet(0x32, Str16("acked") +
                             std::string{static_cast<char>(id >> 8), static_cast<char>(id & 0xff)} +
                             payload));
    auto ack = ReadPacket(*r);
    if (!ack || ack->first != 0x40) return -1;
  }
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  ::close(fd);
  return messages / seconds;
}

}  // namespace

int main(int argc, char** argv) {
  int probes = 200, acked = 20000;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--probes") probes = std::stoi(argv[i + 1]);
    if (a == "--acked") acked = std::stoi(argv[i + 1]);
  }
  TempDir dir;
  int nats_port = FreePort(), mqtt_port = FreePort();
  std::filesystem::create_directories(dir.path() / "js");
  std::filesystem::create_directories(dir.path() / "mqtt");
  {
    std::ofstream conf(dir.path() / "mosquitto.conf");
    conf << "listener " << mqtt_port << " 127.0.0.1\nallow_anonymous true\npersistence true\n"
         << "persistence_location " << (dir.path() / "mqtt").string() << "/\n";
  }
  ChildProcess nats({"/usr/sbin/nats-server", "-a", "127.0.0.1", "-p", std::to_string(nats_port),
                     "-js", "-sd", (dir.path() / "js").string()},
                    (dir.path() / "nats.log").string());
  ChildProcess mosquitto({"/usr/sbin/mosquitto", "-c", (dir.path() / "mosquitto.conf").string()},
                         (dir.path() / "mosquitto.log").string());
  auto line = [](const char* peer, const char* what, double value, const char* unit) {
    std::cout << peer << " " << what << " " << value << " " << unit << std::endl;  // NOLINT
  };
  Percentiles p = NatsUrgent(nats_port, false, probes);
  line("nats", "urgent-same-connection-p50", p.p50_ms, "ms");
  line("nats", "urgent-same-connection-p99", p.p99_ms, "ms");
  p = NatsUrgent(nats_port, true, probes);
  line("nats", "urgent-own-connection-p50", p.p50_ms, "ms");
  line("nats", "urgent-own-connection-p99", p.p99_ms, "ms");
  p = MqttUrgent(mqtt_port, false, probes);
  line("mosquitto", "urgent-same-connection-p50", p.p50_ms, "ms");
  line("mosquitto", "urgent-same-connection-p99", p.p99_ms, "ms");
  p = MqttUrgent(mqtt_port, true, probes);
  line("mosquitto", "urgent-own-connection-p50", p.p50_ms, "ms");
  line("mosquitto", "urgent-own-connection-p99", p.p99_ms, "ms");
  line("nats", "acked-jetstream-sync", NatsJetStreamAcked(nats_port, acked / 4), "msg/s");
  line("mosquitto", "acked-qos1-sync", MqttQos1Acked(mqtt_port, acked), "msg/s");
  return 0;
}
