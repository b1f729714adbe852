// Live interop: our Noise XX against Debian's python3-dissononce over a real
// loopback socket, with the C++ side as initiator and as responder.
#include <gtest/gtest.h>

#include "../support/child_process.h"
#include "hotline/asio.h"
#include "hotline/frame_codec.h"
#include "hotline/noise_handshake.h"
#include "hotline/secure_channel.h"

namespace hotline {
namespace {

using asio::ip::tcp;

awaitable<Bytes> ReadFrame(tcp::socket& s) {
  uint8_t len_be[2];
  co_await asio::async_read(s, asio::buffer(len_be), use_awaitable);
  Bytes msg(static_cast<size_t>(len_be[0]) << 8 | len_be[1]);
  co_await asio::async_read(s, asio::buffer(msg), use_awaitable);
  co_return msg;
}

awaitable<void> WriteFrame(tcp::socket& s, ByteView msg) {
  Bytes wire;
  if (!AppendWireFrame(wire, msg).ok()) throw std::runtime_error("bad frame");
  co_await asio::async_write(s, asio::buffer(wire), use_awaitable);
}

struct Outcome {
  bool done = false;
  std::string error;
  std::vector<std::string> payloads_seen;
};

awaitable<void> RunPeer(tcp::acceptor& acceptor, bool initiator, Outcome& outcome) {
  try {
    tcp::socket s = co_await acceptor.async_accept(use_awaitable);
    noise::HandshakeConfig config;
    config.initiator = initiator;
    config.prologue = ToBytes(kLinkPrologue);
    config.local_static = GenerateX25519();
    auto hs = noise::HandshakeState::Create(std::move(config));
    if (!hs.ok()) throw std::runtime_error(hs.status().ToString());
    const std::string ours[3] = {"", "cpp-msg-1", "cpp-msg-2"};
    for (int i = 0; i < 3; ++i) {
      if (hs->IsMyTurn()) {
        Bytes out;
        Status st = hs->WriteMessage(AsBytes(ours[i]), out);
        if (!st.ok()) throw std::runtime_error(st.ToString());
        co_await WriteFrame(s, out);
      } else {
        Bytes in = co_await ReadFrame(s), payload;
        Status st = hs->ReadMessage(in, payload);
        if (!st.ok()) throw std::runtime_error(st.ToString());
        outcome.payloads_seen.push_back(ToString(payload));
      }
    }
    auto t = hs->Split();
    if (!t.ok()) throw std::runtime_error(t.status().ToString());
    for (int round = 0; round < 3; ++round) {
      Bytes wire, plain;
      if (initiator) {
        std::string msg = "ping " + std::to_string(round) + " from C++";
        if (!t->send.EncryptWithAd({}, AsBytes(msg), wire).ok()) throw std::runtime_error("enc");
        co_await WriteFrame(s, wire);
        Bytes reply = co_await ReadFrame(s);
        if (!t->receive.DecryptWithAd({}, reply, plain).ok()) throw std::runtime_error("dec");
        if (ToString(plain) != "pong:" + msg) throw std::runtime_error("bad pong " + ToString(plain));
      } else {
        Bytes in = co_await ReadFrame(s);
        if (!t->receive.DecryptWithAd({}, in, plain).ok()) throw std::runtime_error("dec");
        std::string reply = "pong:" + ToString(plain);
        if (!t->send.EncryptWithAd({}, AsBytes(reply), wire).ok()) throw std::runtime_error("enc");
        co_await WriteFrame(s, wire);
      }
    }
    Bytes hash_msg, bye;
    if (!t->send.EncryptWithAd({}, hs->handshake_hash(), hash_msg).ok()) throw std::runtime_error("enc");
    co_await WriteFrame(s, hash_msg);
    Bytes last = co_await ReadFrame(s);
    if (!t->receive.DecryptWithAd({}, last, bye).ok() || ToString(bye) != "bye") {
      throw std::runtime_error("no authenticated goodbye from dissononce");
    }
    outcome.done = true;
  } catch (const std::exception& e) {
    outcome.error = e.what();
  }
}

void RunInterop(bool cpp_initiator) {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  Outcome outcome;
  asio::co_spawn(io, RunPeer(acceptor, cpp_initiator, outcome), LogExceptions{"interop"});
  std::string script = std::string(HOTLINE_SOURCE_DIR) + "/tests/interop/dissononce_peer.py";
  testing::ChildProcess python({"/usr/bin/python3", script, "--port",
                                std::to_string(acceptor.local_endpoint().port()), "--role",
                                cpp_initiator ? "responder" : "initiator"});
  io.run_for(std::chrono::seconds(30));
  auto exit = python.WaitFor(std::chrono::seconds(10));
  ASSERT_TRUE(outcome.done) << "C++ side: " << outcome.error;
  ASSERT_TRUE(exit.has_value()) << "dissononce peer did not finish";
  EXPECT_EQ(*exit, 0) << "dissononce peer failed (is python3-dissononce installed?)";
  std::vector<std::string> expected = cpp_initiator ? std::vector<std::string>{"py-msg-1"}
                                                    : std::vector<std::string>{"", "py-msg-2"};
  EXPECT_EQ(outcome.payloads_seen, expected);
}

TEST(DissononceInteropTest, CppInitiatorWithDissononceResponder) { RunInterop(true); }
TEST(DissononceInteropTest, CppResponderWithDissononceInitiator) { RunInterop(false); }

}  // namespace
}  // namespace hotline
