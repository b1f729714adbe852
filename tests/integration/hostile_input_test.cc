// TESTING.md B-cases against the real relay and nodes: each bad input gets
// a clear log line and an audit record, nothing crashes, and honest traffic
// carries on.
#include <gtest/gtest.h>
#include <sodium.h>
#include <sys/un.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "cluster.h"
#include "hotline/asio.h"
#include "hotline/control_codec.h"
#include "hotline/envelope.h"
#include "hotline/link_connection.h"
#include "hotline/receipt.h"
#include "hotline/sqlite_db.h"
#include "hotline/v1/audit.pb.h"
#include "rogue_peers.h"

namespace hotline::testing {
namespace {

using asio::ip::tcp;

class HostileInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    c_.relay_extra = {"--handshake-timeout-ms", "500"};
    relay_ = c_.StartRelay(1);
    c_.StartNode("us");
    c_.StartNode("jp");
    ASSERT_TRUE(c_.WaitLinksUp("us"));
    ASSERT_TRUE(c_.WaitLinksUp("jp"));
  }
  // Honest traffic still flows.
  void ExpectHonestTrafficFlows() {
    std::string id = c_.CliOk("us", {"send", "--to", "JP", "--text", "still here"});
    c_.CliOk("us", {"wait", id, "--tier", "delivered", "--timeout", "20"});
  }
  fs::path RelayDb() { return c_.RelayData(1) / "relay.db"; }

  Cluster c_{2};
  std::string relay_;
};

TEST_F(HostileInputTest, B1TruncatedFrameThenStallIsClosedAndAudited) {
  int fd = RawConnect(relay_);
  ASSERT_GE(fd, 0);
  SendRaw(fd, {0x00, 0x40, 1, 2, 3});  // says 64 bytes, sends 3, then stalls
  EXPECT_EQ(DrainUntilClosed(fd), 0u) << "an unauthenticated peer gets nothing back";
  ExpectHonestTrafficFlows();
  c_.StopAll();
  EXPECT_EQ(CountAudit(RelayDb(), v1::AUDIT_EVENT_HANDSHAKE_REJECTED, "truncated frame"), 1);
}

TEST_F(HostileInputTest, B2HugeLengthAndB3GarbageAreRejectedBeforeAnyReply) {
  int fd = RawConnect(relay_);
  ASSERT_GE(fd, 0);
  Bytes huge = {0xff, 0xff};
  huge.resize(2 + 65535, 0x41);  // the largest frame the u16 allows, all garbage
  SendRaw(fd, huge);
  EXPECT_EQ(DrainUntilClosed(fd), 0u);
  int zero = RawConnect(relay_);
  SendRaw(zero, {0x00, 0x00, 0x00});  // a zero-length frame
  EXPECT_EQ(DrainUntilClosed(zero), 0u);
  ExpectHonestTrafficFlows();
  c_.StopAll();
  EXPECT_GE(CountAudit(RelayDb(), v1::AUDIT_EVENT_HANDSHAKE_REJECTED, "handshake"), 1);
  EXPECT_EQ(CountAudit(RelayDb(), v1::AUDIT_EVENT_HANDSHAKE_REJECTED, "zero-length"), 1);
}

TEST_F(HostileInputTest, B4HalfOpenFloodDoesNotStopARealNode) {
  std::vector<int> flood;
  for (int i = 0; i < 40; ++i) flood.push_back(RawConnect(relay_, "127.0.0.2"));
  // A real node, from another address, still connects at once.
  c_.StartNode("kr");
  EXPECT_TRUE(c_.WaitLinksUp("kr")) << "kr could not connect during the flood";
  std::string id = c_.CliOk("kr", {"send", "--to", "US", "--text", "through the flood"});
  c_.CliOk("kr", {"wait", id, "--tier", "delivered", "--timeout", "20"});
  size_t replied = 0;
  for (int fd : flood) {
    if (fd >= 0) replied += DrainUntilClosed(fd);
  }
  EXPECT_EQ(replied, 0u);
  c_.StopAll();
  EXPECT_GE(CountAudit(RelayDb(), v1::AUDIT_EVENT_INPUT_REJECTED, "too many unauthenticated"), 1);
}

// B4, slow variant: slow-loris peers trickle a handshake one byte every
// 50 ms and reconnect whenever closed. The handshake deadline (500 ms here)
// closes each; a real node connects and delivers meanwhile.
TEST_F(HostileInputTest, B4SlowLorisFloodIsTimedOutAndDoesNotStopARealNode) {
  Bytes framed = {static_cast<uint8_t>(limits::kHandshakeInitiationBytes >> 8),
                  static_cast<uint8_t>(limits::kHandshakeInitiationBytes & 0xff)};
  framed.resize(2 + limits::kHandshakeInitiationBytes, 0x09);
  std::atomic<bool> stop{false};
  std::atomic<size_t> replied{0}, closed{0};
  std::vector<std::thread> lorises;
  // Stops and joins the attackers on every way out, failed assertions included.
  struct Joiner {
    std::atomic<bool>& stop;
    std::vector<std::thread>& threads;
    ~Joiner() {
      stop = true;
      for (auto& t : threads) t.join();
    }
  } joiner{stop, lorises};
  for (int i = 0; i < 8; ++i) {
    lorises.emplace_back([&] {
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
      while (!stop && std::chrono::steady_clock::now() < deadline) {
        int fd = RawConnect(relay_, "127.0.0.3");
        if (fd < 0) continue;
        for (size_t b = 0; b < framed.size() && !stop; ++b) {
          if (::send(fd, &framed[b], 1, MSG_NOSIGNAL) != 1) break;
          uint8_t buf[64];
          ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
          if (n > 0) replied += static_cast<size_t>(n);
          if (n == 0) break;                                           // closed by the relay
          std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the attacker's pace
        }
        ++closed;
        ::close(fd);
      }
    });
  }
  ASSERT_TRUE(WaitUntil([&] { return closed >= 8; })) << "no slow connection was closed";
  c_.StartNode("kr");
  EXPECT_TRUE(c_.WaitLinksUp("kr")) << "kr could not connect during the slow-loris flood";
  std::string id = c_.CliOk("kr", {"send", "--to", "US", "--text", "past the lorises"});
  c_.CliOk("kr", {"wait", id, "--tier", "delivered", "--timeout", "20"});
  stop = true;
  for (auto& t : lorises) t.join();
  lorises.clear();
  EXPECT_EQ(replied, 0u) << "a slow unauthenticated peer got bytes back";
  c_.StopAll();
  EXPECT_GE(CountAudit(RelayDb(), v1::AUDIT_EVENT_HANDSHAKE_REJECTED, "handshake timed out"), 8);
}

TEST_F(HostileInputTest, B9ReplayedEnvelopeIsDeliveredOnceAndB12BadReceiptsAreRejected) {
  // An honest message US -> JP; keep its bytes from the relay's store.
  c_.StartRelay(2);
  std::string id = c_.CliOk("us", {"send", "--to", "JP", "--text", "once only"});
  c_.CliOk("us", {"wait", id, "--tier", "delivered", "--timeout", "20"});
  auto us_db = Database::Open(c_.NodeData("us") / "node.db", "");
  auto s = (*us_db)->Prepare("SELECT envelope FROM outbox WHERE hex(message_id)=upper(?)");
  s->BindText(1, id);
  ASSERT_TRUE(*s->Step());
  Bytes envelope = s->ColumnBlob(0);

  // Re-inject it later through relay-2, authenticated as US.
  auto trust = LoadTrustStore(c_.certs());
  Identity us = *LoadIdentity(c_.certs(), "node-us");
  Identity jp = *LoadIdentity(c_.certs(), "node-jp");
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect(*ParseEndpoint(c_.RelayAddress(2)));
  SecureChannelConfig cfg = ChannelConfigFor(us, *trust, /*initiator=*/true, v1::ROLE_RELAY);
  int accepted = 0;
  LinkConnection::Callbacks cb;
  cb.established = [&](const LinkConnection::Ptr& link) {
    v1::LinkFrame f;
    f.mutable_submit()->set_envelope(ToString(envelope));
    (void)link->Send(f, v1::PRECEDENCE_FLASH);
  };
  cb.frame = [&](const LinkConnection::Ptr& link, v1::LinkFrame& f) {
    if (f.has_accepted()) ++accepted;
    if (accepted) link->Close("done");
  };
  cb.closed = [&](const LinkConnection::Ptr&, const std::string&, bool) { io.stop(); };
  auto link = LinkConnection::Create(std::move(socket), cfg, cb, LinkOptions{});
  link->Start();
  io.run_for(std::chrono::seconds(10));
  ASSERT_EQ(accepted, 1);
  // JP takes it from relay-2 only if it is linked there: restart JP on both relays.
  c_.StopNode("jp");
  c_.StartNode("jp", {1, 2});
  ASSERT_TRUE(c_.WaitLinksUp("jp", 2));

  // B12: receipts for an unknown message and with a bad signature, to US.
  c_.StopNode("us");
  c_.StartNode("us", {1, 2});
  ASSERT_TRUE(c_.WaitLinksUp("us", 2));
  auto make_receipt = [&](const std::string& message_id, bool tamper) {
    v1::ReceiptDetails d;
    d.set_version(1);
    d.set_kind(v1::RECEIPT_KIND_DELIVERED);
    d.set_message_id(message_id);
    d.set_envelope_digest(std::string(32, 'd'));
    d.set_recipient(v1::NATION_JP);
    d.set_sender(v1::NATION_US);
    d.set_recipient_cert_serial(jp.details.serial());
    d.set_at_ms(NowUnixMs());
    v1::SignedReceipt r = SignReceipt(d, jp.keys.signing.secret);
    if (tamper) r.mutable_signature()->at(0) ^= 1;
    return r;
  };
  asio::io_context io2;
  tcp::socket socket2(io2);
  socket2.connect(*ParseEndpoint(c_.RelayAddress(2)));
  cfg.noise_static = jp.keys.noise;
  cfg.certificate = jp.certificate;
  int receipts_accepted = 0;
  LinkConnection::Callbacks cb2;
  cb2.established = [&](const LinkConnection::Ptr& l) {
    for (auto r : {make_receipt(std::string(16, 'u'), false), make_receipt(ToString(*FromHex(id)), true)}) {
      v1::LinkFrame f;
      f.mutable_submit_receipt()->set_receipt(r.SerializeAsString());
      f.mutable_submit_receipt()->set_to(v1::NATION_US);
      f.mutable_submit_receipt()->set_receipt_id(ToString(ReceiptId(r)));
      (void)l->Send(f, v1::PRECEDENCE_FLASH);
    }
  };
  cb2.frame = [&](const LinkConnection::Ptr& l, v1::LinkFrame& f) {
    if (f.has_receipt_accepted() && ++receipts_accepted == 2) l->Close("done");
  };
  cb2.closed = [&](const LinkConnection::Ptr&, const std::string&, bool) { io2.stop(); };
  // The real JP node is connected to relay-2 too; the rogue link replaces it briefly.
  auto link2 = LinkConnection::Create(std::move(socket2), cfg, cb2, LinkOptions{});
  link2->Start();
  io2.run_for(std::chrono::seconds(10));
  ASSERT_EQ(receipts_accepted, 2);
  ASSERT_TRUE(WaitUntil([&] {
    return CountAudit(c_.NodeData("us") / "node.db", v1::AUDIT_EVENT_INPUT_REJECTED, "unknown message id") >= 1 &&
           CountAudit(c_.NodeData("us") / "node.db", v1::AUDIT_EVENT_INPUT_REJECTED, "signature does not verify") >= 1;
  }));
  ExpectHonestTrafficFlows();
  c_.StopAll();
  // B9: JP has the replayed message once.
  auto jp_db = Database::Open(c_.NodeData("jp") / "node.db", "");
  auto q = (*jp_db)->Prepare("SELECT count(*) FROM inbox WHERE hex(message_id)=upper(?)");
  q->BindText(1, id);
  ASSERT_TRUE(*q->Step());
  EXPECT_EQ(q->ColumnInt(0), 1);
  EXPECT_EQ(CountAuditOfMessage(c_.NodeData("jp") / "node.db", v1::AUDIT_EVENT_DELIVERED, id), 1);
  // The replay made JP send its receipt again; US recorded it once (item 7).
  EXPECT_EQ(
      CountAuditOfMessage(c_.NodeData("us") / "node.db", v1::AUDIT_EVENT_RECEIPT_RECEIVED, id), 1);
}

// Sends `bytes` on the node's control socket; returns what came back.
std::string ControlExchange(const fs::path& socket_path, const Bytes& bytes) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", socket_path.c_str());
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return "<cannot connect>";
  }
  timeval tv{20, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  (void)WriteAll(fd, bytes);
  ::shutdown(fd, SHUT_WR);
  std::string got;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) got.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return got;
}

// Malformed requests on the local control socket: a clear error back, an
// audit record, and the node carries on.
TEST_F(HostileInputTest, MalformedControlRequestsGetAnErrorAndAreAudited) {
  fs::path sock = c_.NodeData("us") / "control.sock";
  std::string oversized = ControlExchange(sock, {0xff, 0xff, 0xff, 0xff, 1, 2, 3});
  EXPECT_NE(oversized.find("bad control request"), std::string::npos) << oversized;
  std::string garbage = ControlExchange(sock, {0, 0, 0, 3, 0xff, 0xff, 0xff});
  EXPECT_NE(garbage.find("bad control request"), std::string::npos) << garbage;
  std::string empty = ControlExchange(sock, {0, 0, 0, 0});  // a request of no kind
  EXPECT_NE(empty.find("unknown control request"), std::string::npos) << empty;
  ExpectHonestTrafficFlows();
  c_.StopAll();
  fs::path db = c_.NodeData("us") / "node.db";
  EXPECT_EQ(CountAudit(db, v1::AUDIT_EVENT_INPUT_REJECTED, "control socket: bad control request"),
            2);
  EXPECT_EQ(
      CountAudit(db, v1::AUDIT_EVENT_INPUT_REJECTED, "control socket: unknown control request"), 1);
}

// A control client that asks and never reads (a stalled `watch` or
// script): once more than 4 MiB of answers wait for it, the node closes it
// and audits why; other clients and the node's traffic carry on.
TEST_F(HostileInputTest, AControlClientThatStopsReadingIsClosedAndOthersCarryOn) {
  fs::path big = c_.path() / "big.txt";
  std::ofstream(big) << std::string(900 * 1024, 'x');
  std::string id = c_.CliOk("us", {"send", "--to", "JP", "--file", big.string()});
  c_.CliOk("us", {"wait", id, "--tier", "delivered", "--timeout", "20"});

  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  int small = 4096;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s",
                (c_.NodeData("jp") / "control.sock").c_str());
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  v1::ControlRequest watch;
  watch.set_version(1);
  watch.mutable_watch();
  Bytes requests = EncodeControlMessage(watch);
  v1::ControlRequest show;
  show.set_version(1);
  show.mutable_show()->set_id_prefix(id);
  for (int i = 0; i < 40; ++i) {  // 40 x 900 KiB of answers, far beyond any buffer
    Bytes one = EncodeControlMessage(show);
    requests.insert(requests.end(), one.begin(), one.end());
  }
  ASSERT_TRUE(WriteAll(fd, requests));

  EXPECT_TRUE(Audited(c_.NodeData("jp") / "node.db", v1::AUDIT_EVENT_INPUT_REJECTED,
                      "control socket: client stopped reading"));
  // Another operator's commands still work, and messages still arrive.
  EXPECT_EQ(c_.Cli({"status", "--node", c_.NodeData("jp").string()}).exit_code, 0);
  ExpectHonestTrafficFlows();
  ::close(fd);
}

// Every private key of the trust folder `certs`: raw bytes.
std::vector<Bytes> PrivateKeys(const fs::path& certs, const std::vector<std::string>& subjects) {
  std::vector<Bytes> secrets;
  for (v1::Nation n : {v1::NATION_US, v1::NATION_JP, v1::NATION_KR}) {  // the national roots
    auto root = LoadRootKey(RootKeyPath(certs, n));
    EXPECT_TRUE(root.ok()) << RootSubject(n);
    if (root.ok()) secrets.emplace_back(root->seed().begin(), root->seed().end());
  }
  for (const auto& subject : subjects) {
    auto id_or = LoadIdentity(certs, subject);
    EXPECT_TRUE(id_or.ok()) << subject;
    if (!id_or.ok()) continue;
    auto v = id_or->keys.noise.secret.view();
    secrets.emplace_back(v.begin(), v.end());
    auto seed = id_or->keys.signing.seed();
    secrets.emplace_back(seed.begin(), seed.end());
    if (id_or->keys.e2e) {
      auto e = id_or->keys.e2e->secret.view();
      secrets.emplace_back(e.begin(), e.end());
    }
  }
  return secrets;
}

std::string Base64(const Bytes& b) {
  std::string out(sodium_base64_ENCODED_LEN(b.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), b.data(), b.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);
  return out;
}

// Scans every file under `tree` except the .key files for each secret, raw,
// in hex and in base64 (as JSON exports write bytes). Returns where any was
// found; `scanned` counts the files read.
std::vector<std::string> FindKeyMaterial(const fs::path& tree, const std::vector<Bytes>& secrets,
                                         int& scanned) {
  std::vector<std::string> found;
  for (const auto& e : fs::recursive_directory_iterator(tree)) {
    if (!e.is_regular_file() || e.path().extension() == ".key") continue;
    std::string content = ReadFileOrDie(e.path());
    ++scanned;
    for (const auto& secret : secrets) {
      if (content.find(AsChars(secret)) != std::string::npos)
        found.push_back("raw key in " + e.path().string());
      if (content.find(ToHex(secret)) != std::string::npos)
        found.push_back("hex key in " + e.path().string());
      if (content.find(Base64(secret).substr(0, 40)) != std::string::npos) {
        found.push_back("base64 key in " + e.path().string());
      }
    }
  }
  return found;
}

// The scanner itself finds a key written in any of the three forms.
TEST(KeyMaterialTest, ScannerFindsPlantedKeys) {
  TempDir dir;
  Bytes secret = RandomBytes(32);
  std::ofstream(dir.path() / "raw.db", std::ios::binary) << "x" << AsChars(secret) << "y";
  std::ofstream(dir.path() / "hex.log") << "key=" << ToHex(secret) << "\n";
  std::ofstream(dir.path() / "b64.jsonl") << "{\"k\":\"" << Base64(secret) << "\"}\n";
  std::ofstream(dir.path() / "ignored.key", std::ios::binary) << AsChars(secret);
  int scanned = 0;
  EXPECT_EQ(FindKeyMaterial(dir.path(), {secret}, scanned).size(), 3u);
  EXPECT_EQ(scanned, 3);
}

// Private keys appear in no log, store or output of a run (issue 7 item 5).
TEST(KeyMaterialTest, NoPrivateKeyAppearsOutsideItsKeyFile) {
  Cluster c;
  c.StartRelay(1);
  for (const char* n : {"us", "jp", "kr"}) c.StartNode(n);
  for (const char* n : {"us", "jp", "kr"}) ASSERT_TRUE(c.WaitLinksUp(n));
  std::string id =
      c.CliOk("kr", {"send", "--to", "all", "--channel", "crisis", "--text", "scan me"});
  c.CliOk("kr", {"wait", id, "--tier", "delivered", "--timeout", "20"});
  c.CliOk("us", {"ack", id});
  c.CliOk("kr", {"status"});
  c.StopAll();
  auto secrets = PrivateKeys(c.certs(), {"node-us", "node-jp", "node-kr", "relay-1"});
  ASSERT_EQ(secrets.size(), 3u + 3 * 3 + 2);  // national roots, nodes (3 keys each), a relay
  int scanned = 0;
  auto found = FindKeyMaterial(c.path(), secrets, scanned);
  EXPECT_TRUE(found.empty()) << found.front();
  EXPECT_GT(scanned, 10);
}

// The same over the full demo (scripts/demo.sh --kill-relay: exercise 2, relay-1
// killed mid-crisis, at 4x speed): its logs,
// stores, certificates folder, audit exports and everything it printed.
TEST(KeyMaterialTest, FullDemoRunLeavesNoPrivateKeyOutsideItsKeyFile) {
  TempDir dir;
  fs::path demo = dir.path() / "demo";
  fs::path output = dir.path() / "demo-output.txt";
  ChildProcess run(
      {"/usr/bin/env", "HOTLINE_DEMO_DIR=" + demo.string(), "HOTLINE_DEMO_BIN=" + BinDir(), "bash",
       std::string(HOTLINE_SOURCE_DIR) + "/scripts/demo.sh", "--no-build", "--kill-relay",
       "--speed", "4"},
      output.string());
  ASSERT_EQ(run.WaitFor(std::chrono::seconds(120)).value_or(-1), 0) << ReadFileOrDie(output);
  ASSERT_NE(ReadFileOrDie(output).find("CLEAN"), std::string::npos) << ReadFileOrDie(output);
  // What an auditor would also produce from the run.
  for (const char* store : {"node-us/node.db", "relay-1/relay.db"}) {
    CommandResult r = Cluster().Cli({"audit", "export", "--jsonl", (demo / store).string()});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    std::ofstream(dir.path() / (std::string(store).substr(0, 6) + "-export.jsonl")) << r.output;
  }
  auto secrets =
      PrivateKeys(demo / "certs", {"node-us", "node-jp", "node-kr", "relay-1", "relay-2"});
  ASSERT_EQ(secrets.size(), 3u + 3 * 3 + 2 * 2);
  int scanned = 0;
  auto found = FindKeyMaterial(dir.path(), secrets, scanned);
  EXPECT_TRUE(found.empty()) << found.front();
  EXPECT_GT(scanned, 15);
}

}  // namespace
}  // namespace hotline::testing
