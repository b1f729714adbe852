// Load generator for the hotline's system benchmarks (docs/BENCHMARKS.md).
// Starts real hotline-relay / hotline-node processes on loopback and drives
// them:
//   relay-throughput  pre-sealed 256-byte envelopes KR->US straight to the
//                     relay over Noise; counts durable RelayAccepted acks
//   e2e-throughput    US node sends to JP through the relay; counts signed
//                     delivery receipts verified back at US
//   latency           one message at a time, send -> receipt back at sender
// Usage: hotline_load MODE [--messages N] [--window W] [--bin BUILD_DIR]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "console_watchers.h"
#include "hotline/asio.h"
#include "hotline/control_codec.h"
#include "hotline/envelope.h"
#include "hotline/link_connection.h"
#include "hotline/net_util.h"
#include "hotline/trust_dir.h"
#include "hotline/v1/control.pb.h"
#include "load_common.h"
#include "track_load.h"

namespace hotline::bench {
namespace {

int RelayThroughput(const Args& args) {
  Cluster cluster(args);
  auto trust = *LoadTrustStore(cluster.certs);
  Identity kr = *LoadIdentity(cluster.certs, "node-kr");
  Identity us = *LoadIdentity(cluster.certs, "node-us");
  EnvelopeKeys sealer(v1::NATION_KR, kr.keys.signing, *kr.keys.e2e, {{v1::NATION_US, KeysOf(us)}});
  std::vector<std::string> envelopes;
  envelopes.reserve(args.messages);
  v1::Body body;
  body.mutable_text()->set_text(std::string(250, 'x'));  // 256-byte body
  for (size_t i = 0; i < args.messages; ++i) {
    v1::EnvelopeHeader h;
    h.set_version(kEnvelopeVersion);
    h.set_message_id(ToString(RandomBytes(kMessageIdLen)));
    h.set_sender(v1::NATION_KR);
    h.add_recipients(v1::NATION_US);
    h.set_channel(v1::CHANNEL_GENERAL);
    h.set_precedence(v1::PRECEDENCE_ROUTINE);
    h.set_sequence(i + 1);
    envelopes.push_back(ToString(*sealer.Seal(h, body)));
  }
  std::printf("pre-sealed %zu envelopes of %zu bytes\n", envelopes.size(), envelopes[0].size());

  asio::io_context io(1);
  size_t submitted = 0, accepted = 0, delivered = 0;
  Clock::time_point start, accepted_done, delivered_done;
  LinkConnection::Ptr sender;
  auto submit_more = [&] {
    while (submitted < envelopes.size() && submitted - accepted < args.window) {
      v1::LinkFrame f;
      f.mutable_submit()->set_envelope(envelopes[submitted]);
      if (!sender->Send(f, v1::PRECEDENCE_ROUTINE).ok()) break;
      ++submitted;
    }
  };
  auto finish_if_done = [&] {
    if (accepted == envelopes.size() && (args.accept_only || delivered == envelopes.size())) io.stop();
  };
  // Receiver: US takes every delivery.
  LinkConnection::Callbacks rcb;
  rcb.frame = [&](const LinkConnection::Ptr& link, v1::LinkFrame& f) {
    if (!f.has_deliver()) return;
    v1::LinkFrame taken;
    taken.mutable_taken()->set_delivery_id(f.deliver().delivery_id());
    (void)link->Send(taken, LinkConnection::kControlPrecedence, true);
    if (++delivered == envelopes.size()) delivered_done = Clock::now();
    finish_if_done();
  };
  rcb.closed = [&](const LinkConnection::Ptr&, const std::string& why, bool) {
    std::fprintf(stderr, "receiver closed: %s\n", why.c_str());
    io.stop();
  };
  asio::ip::tcp::socket rs(io);
  rs.connect(*ParseEndpoint(cluster.relay_addr));
  LinkOptions options;
  options.heartbeat_interval = std::chrono::milliseconds(250);
  options.idle_timeout = std::chrono::seconds(30);
  options.max_queue_bytes = 64 * 1024 * 1024;
  auto receiver = LinkConnection::Create(std::move(rs), ChannelFor(us, trust), rcb, options);
  if (!args.accept_only) receiver->Start();

  LinkConnection::Callbacks scb;
  scb.established = [&](const LinkConnection::Ptr&) {
    start = Clock::now();
    submit_more();
  };
  scb.frame = [&](const LinkConnection::Ptr&, v1::LinkFrame& f) {
    if (f.has_error()) {
      std::fprintf(stderr, "relay error: %s\n", f.error().message().c_str());
      io.stop();
    }
    if (!f.has_accepted()) return;
    if (++accepted == envelopes.size()) accepted_done = Clock::now();
    submit_more();
    finish_if_done();
  };
  scb.closed = rcb.closed;
  asio::ip::tcp::socket ss(io);
  ss.connect(*ParseEndpoint(cluster.relay_addr));
  sender = LinkConnection::Create(std::move(ss), ChannelFor(kr, trust), scb, options);
  sender->Start();
  io.run_for(std::chrono::minutes(5));
  if (accepted != envelopes.size()) {
    std::printf("FAILED: only %zu of %zu accepted\n", accepted, envelopes.size());
    return 1;
  }
  double acc = Seconds(accepted_done - start), del = Seconds(delivered_done - start);
  std::printf("relay-throughput: %zu envelopes, window %zu\n", envelopes.size(), args.window);
  std::printf("  accepted (durable): %.0f msg/s  (%.2f s)\n", static_cast<double>(envelopes.size()) / acc, acc);
  if (!args.accept_only) {
    std::printf("  delivered+taken:    %.0f msg/s  (%.2f s)\n", static_cast<double>(envelopes.size()) / del, del);
  }
  return 0;
}

// FLASH send -> signed receipt back at the sender (US -> JP), one probe at
// a time. With --background small|large, KR first queues a ROUTINE backlog
// for JP at the relay while JP is offline; JP then starts and the probes run
// while the relay drains that backlog into the relay->JP link and JP.
int FlashLatency(const Args& args) {
  Cluster cluster(args);
  fs::path us = cluster.StartNode("us");
  fs::path kr = cluster.StartNode("kr");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // links up (bench only)
  asio::io_context io;
  size_t backlog = 0;
  if (args.background != "none") {
    size_t size = args.background == "large" ? 64 * 1024 : 250;
    backlog = args.background == "large" ? 3000 : 60000;
    Control bulk(io, kr);
    std::string text(size, 'b');
    size_t sent = 0, answered = 0;
    while (answered < backlog) {
      while (sent < backlog && sent - answered < args.window) {
        bulk.Send(SendRequest(text));
        ++sent;
      }
      if (!bulk.Next().ok()) throw std::runtime_error("background send failed");
      ++answered;
    }
    // Wait until KR has handed the whole backlog to the relay.
    v1::ControlRequest st;
    st.mutable_status()->set_limit(1);
    for (int i = 0; i < 6000; ++i) {
      bulk.Send(st);
      v1::ControlResponse r = bulk.Next();
      if (r.status().messages_size() && r.status().messages(0).recipients(0).accepted_at_ms() > 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  Control flash(io, us), watch(io, us);
  v1::ControlRequest w;
  w.mutable_watch();
  watch.Send(w);
  cluster.StartNode("jp");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // JP's link comes up; the drain starts
  std::vector<double> samples;
  for (size_t i = 0; i < args.messages; ++i) {
    // Latency = the node's own timestamp of the "delivered" event (receipt
    // verified and recorded) minus the send time.
    int64_t t0_us = std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    flash.Send(SendRequest("FLASH " + std::to_string(i), v1::CHANNEL_CRISIS));
    v1::ControlResponse sent = flash.Next();
    if (!sent.ok()) throw std::runtime_error(sent.error());
    for (;;) {
      v1::ControlResponse r = watch.Next();
      if (r.has_event() && r.event().kind() == "delivered" &&
          r.event().message_id() == sent.send().message_id()) {
        samples.push_back(static_cast<double>(r.event().at_us() - t0_us));
        break;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // pacing between probes
  }
  // How much of the backlog had drained when the last probe finished.
  size_t drained = 0;
  if (backlog) {
    Control probe(io, kr);
    v1::ControlRequest last;
    last.mutable_status()->set_limit(1);
    probe.Send(last);
    v1::ControlResponse r = probe.Next();
    bool last_done = r.status().messages_size() && r.status().messages(0).recipients(0).delivered_at_ms() > 0;
    drained = last_done ? backlog : 0;
  }
  std::printf("flash-latency: %zu FLASH probes US->JP, %s%s, %s: %s\n", samples.size(),
              backlog ? std::to_string(backlog).c_str() : "no",
              args.background == "large" ? " x 64 KiB ROUTINE backlog KR->JP draining"
              : backlog ? " x 256 B ROUTINE backlog KR->JP draining" : " background",
              args.fifo ? "FIFO (precedence off)" : "precedence on", Percentiles(samples).c_str());
  if (backlog) {
    std::printf("  backlog fully drained before the last probe finished: %s\n",
                drained == backlog ? "yes (the probes outlasted the backlog)" : "no");
  }
  return 0;
}

int EndToEndThroughput(const Args& args) {
  Cluster cluster(args);
  fs::path us = cluster.StartNode("us");
  cluster.StartNode("jp");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // let both links come up (bench only)
  asio::io_context io;
  Control sends(io, us), watch(io, us);
  v1::ControlRequest w;
  w.mutable_watch();
  watch.Send(w);
  std::string text(250, 'e');
  size_t sent = 0, acked = 0, delivered = 0;
  auto start = Clock::now();
  std::thread sender([&] {
    // Keep at most `window` sends unanswered.
    while (sent < args.messages) {
      while (sent < args.messages && sent - acked < args.window) {
        sends.Send(SendRequest(text));
        ++sent;
      }
      v1::ControlResponse r = sends.Next();
      if (!r.ok()) throw std::runtime_error(r.error());
      ++acked;
    }
    while (acked < sent) {
      sends.Next();
      ++acked;
    }
  });
  while (delivered < args.messages) {
    v1::ControlResponse r = watch.Next();
    if (r.has_event() && r.event().kind() == "delivered") ++delivered;
  }
  auto elapsed = Seconds(Clock::now() - start);
  sender.join();
  std::printf("e2e-throughput: %zu messages US->JP (sealed, relayed, opened, receipt signed and verified)\n",
              args.messages);
  std::printf("  %.0f msg/s  (%.2f s)\n", static_cast<double>(args.messages) / elapsed, elapsed);
  return 0;
}

int Latency(const Args& args) {
  Cluster cluster(args);
  fs::path us = cluster.StartNode("us");
  cluster.StartNode("jp");
  cluster.StartNode("kr");  // three nodes either way: only the consoles differ
  std::unique_ptr<ConsoleWatchers> pages;
  if (args.consoles) {
    std::vector<std::string> links;
    for (const char* n : {"us", "jp", "kr"}) {
      fs::path url = cluster.dir.path() / (std::string("node-") + n) / "console-url";
      if (!WaitFile(url)) throw std::runtime_error("no console at " + url.string());
      std::string link = testing::ReadFileOrDie(url);
      links.push_back(link.substr(0, link.find('\n')));
    }
    pages = std::make_unique<ConsoleWatchers>(links);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  asio::io_context io;
  Control sends(io, us), watch(io, us);
  v1::ControlRequest w;
  w.mutable_watch();
  watch.Send(w);
  std::vector<double> us_samples;
  std::string text(250, 'l');
  for (size_t i = 0; i < args.messages + 50; ++i) {
    auto t0 = Clock::now();
    sends.Send(SendRequest(text, args.flash ? v1::CHANNEL_CRISIS : v1::CHANNEL_GENERAL));
    if (!sends.Next().ok()) return 1;
    for (;;) {
      v1::ControlResponse r = watch.Next();
      if (r.has_event() && r.event().kind() == "delivered") break;
    }
    if (i >= 50) us_samples.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  std::sort(us_samples.begin(), us_samples.end());
  auto pct = [&](double p) { return us_samples[static_cast<size_t>(p * static_cast<double>(us_samples.size() - 1))]; };
  std::printf("latency: %zu sequential %s messages US->JP, send -> signed receipt verified at US%s\n",
              us_samples.size(), args.flash ? "FLASH" : "ROUTINE",
              args.consoles ? ", three consoles open and watching" : "");
  if (pages) {
    std::printf("  consoles: %zu live-feed frames followed, %zu page requests answered, %zu failures\n",
                pages->events(), pages->requests(), pages->failures());
  }
  std::printf("  p50 %.0f us  p90 %.0f us  p99 %.0f us  max %.0f us\n", pct(0.5), pct(0.9), pct(0.99),
              us_samples.back());
  return 0;
}

// Relay in use killed (or frozen) -> the next message's signed receipt back
// at the sender, delivered through the other relay.
int Failover(const Args& args) {
  Cluster cluster(args, 2);
  fs::path us = cluster.StartNode("us");
  fs::path jp = cluster.StartNode("jp");
  asio::io_context io;
  Control sender(io, us), watch(io, us), us_status(io, us), jp_status(io, jp);
  v1::ControlRequest w;
  w.mutable_watch();
  watch.Send(w);
  auto wait_delivered = [&](const std::string& id) -> int64_t {
    for (;;) {
      v1::ControlResponse r = watch.Next();
      if (r.has_event() && r.event().kind() == "delivered" && r.event().message_id() == id) {
        return r.event().at_us();
      }
    }
  };
  auto send = [&](const std::string& text) {
    sender.Send(SendRequest(text, v1::CHANNEL_CRISIS));
    v1::ControlResponse r = sender.Next();
    if (!r.ok()) throw std::runtime_error(r.error());
    return r.send().message_id();
  };
  std::vector<double> samples;
  for (size_t k = 0; k < args.kills; ++k) {
    auto deadline = Clock::now() + std::chrono::seconds(20);
    while (LinksUp(us_status) < 2 || LinksUp(jp_status) < 2) {
      if (Clock::now() > deadline) throw std::runtime_error("links did not come back");
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    wait_delivered(send("warm-up " + std::to_string(k)));  // flowing through relay-1
    int64_t t0 = NowMicros();
    cluster.relays[1]->Signal(args.freeze ? SIGSTOP : SIGKILL);
    std::string id = send("after failure " + std::to_string(k));
    samples.push_back(static_cast<double>(wait_delivered(id) - t0));
    if (args.freeze) {
      cluster.relays[1]->Signal(SIGCONT);
    } else {
      cluster.relays[1]->WaitFor(std::chrono::seconds(5));
      cluster.StartRelay(1);
    }
  }
  std::printf("failover: %zu %s of the relay in use; relay failure -> next message's receipt back: %s\n",
              samples.size(), args.freeze ? "freezes (SIGSTOP)" : "kills (SIGKILL)",
              Percentiles(samples).c_str());
  return 0;
}

}  // namespace
}  // namespace hotline::bench

int main(int argc, char** argv) {
  using namespace hotline::bench;
  if (!hotline::InitCrypto().ok()) return 1;
  Args args;
  if (argc < 2) {
    std::cerr << "usage: hotline_load "
                 "relay-throughput|e2e-throughput|latency|flash-latency|failover|tracks\n"
                 "       tracks: [--phase unloaded|backlog|load|kill|freeze|slow|all] [--tracks N] "
                 "[--rate HZ] "
                 "[--seconds S]\n"
                 "       [--kills N] [--freeze]\n"
                 "       [--messages N] [--window W] [--accept-only] [--fifo]\n"
                 "       latency: [--flash] [--consoles]\n"
                 "       [--background none|small|large]\n";
    return 2;
  }
  args.mode = argv[1];
  for (int i = 2; i < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--consoles" || k == "--flash") {
      (k == "--flash" ? args.flash : args.consoles) = true;
      --i;
      continue;
    }
    if (k == "--accept-only" || k == "--fifo" || k == "--freeze") {
      (k == "--fifo" ? args.fifo : k == "--freeze" ? args.freeze : args.accept_only) = true;
      --i;
      continue;
    }
    if (i + 1 >= argc) { std::cerr << "missing value for " << k << "\n"; return 2; }
    std::string v = argv[i + 1];
    if (k == "--messages") args.messages = std::stoul(v);
    else if (k == "--window") args.window = std::stoul(v);
    else if (k == "--bin") args.bin = v;
    else if (k == "--background") args.background = v;
    else if (k == "--kills") args.kills = std::stoul(v);
    else if (k == "--tracks")
      args.tracks = std::stoul(v);
    else if (k == "--rate")
      args.rate = std::stod(v);
    else if (k == "--seconds")
      args.seconds = std::stoul(v);
    else if (k == "--phase")
      args.phase = v;
    else { std::cerr << "unknown option " << k << "\n"; return 2; }
  }
  try {
    if (args.mode == "relay-throughput") return RelayThroughput(args);
    if (args.mode == "e2e-throughput") return EndToEndThroughput(args);
    if (args.mode == "latency") return Latency(args);
    if (args.mode == "flash-latency") return FlashLatency(args);
    if (args.mode == "failover") return Failover(args);
    if (args.mode == "tracks") return TrackFeeds(args);
  } catch (const std::exception& e) {
    std::cerr << "hotline_load: " << e.what() << "\n";
    return 1;
  }
  std::cerr << "unknown mode " << args.mode << "\n";
  return 2;
}
