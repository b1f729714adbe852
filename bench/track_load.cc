#include "track_load.h"

#include <atomic>
#include <mutex>
#include <set>

#include "hotline/track_sim.h"

namespace hotline::bench {

namespace {

std::string TrackName(size_t k) { return "LOAD-" + std::to_string(k + 1); }

// Follows a node's watch feed on a thread: per applied update, its latency
// (applied at the recipient minus measured at the publisher, one machine
// clock) and which tracks have ended.
class Recipient {
 public:
  Recipient(asio::io_context& io, const fs::path& socket, size_t tracks)
      : control_(io, socket), tracks_(tracks) {
    v1::ControlRequest w;
    w.mutable_watch();
    control_.Send(w);
    thread_ = std::thread([this] {
      try {
        for (;;) {
          v1::ControlResponse r = control_.Next();
          if (!r.has_event() || r.event().kind() != "track") continue;
          const auto& u = r.event().track().update();
          std::lock_guard lock(mu_);
          latencies_us_.push_back(static_cast<double>(r.event().at_us() - u.measured_at_us()));
          applied_at_us_.push_back(r.event().at_us());
          if (u.ended()) ended_.insert(u.track_id());
        }
      } catch (const std::exception&) {  // closed
      }
    });
  }
  ~Recipient() {
    control_.Close();
    thread_.join();
  }
  bool AllEnded() {
    std::lock_guard lock(mu_);
    return ended_.size() >= tracks_;
  }
  std::vector<double> Latencies() {
    std::lock_guard lock(mu_);
    return latencies_us_;
  }
  // The longest wait between two applied updates, in µs.
  int64_t LongestGapUs() {
    std::lock_guard lock(mu_);
    int64_t gap = 0;
    for (size_t i = 1; i < applied_at_us_.size(); ++i) {
      gap = std::max(gap, applied_at_us_[i] - applied_at_us_[i - 1]);
    }
    return gap;
  }

 private:
  Control control_;
  size_t tracks_;
  std::mutex mu_;
  std::vector<double> latencies_us_;
  std::vector<int64_t> applied_at_us_;
  std::set<std::string> ended_;
  std::thread thread_;
};

// Publishes `tracks` simulated tracks at `rate` Hz each for `seconds`, the
// last update of each ended; pipelined on one control connection. Returns
// how many were published.
// `latest` (if given) follows each track's newest published sequence, by track key.
struct Latest {
  std::mutex mu;
  std::map<std::string, uint64_t> seq;
};

size_t Publish(Control& publisher, size_t tracks, double rate, size_t seconds,
               Latest* latest = nullptr, const std::vector<v1::Nation>& to = {}) {
  auto steps = static_cast<size_t>(rate * static_cast<double>(seconds));
  auto start = Clock::now();
  size_t published = 0;
  track::BallisticFlight flight;
  for (size_t i = 0; i <= steps; ++i) {
    std::this_thread::sleep_until(
        start + std::chrono::duration_cast<Clock::duration>(
                    std::chrono::duration<double>(static_cast<double>(i) / rate)));
    for (size_t k = 0; k < tracks; ++k) {
      v1::ControlRequest r;
      for (v1::Nation n : to) r.mutable_track_publish()->add_to(n);
      *r.mutable_track_publish()->mutable_update() = track::SimulatedUpdate(
          flight, static_cast<double>(i) / static_cast<double>(steps), TrackName(k), "load",
          v1::MissileWarning::STATUS_TEST, NowMicros());
      publisher.Send(r);
    }
    for (size_t k = 0; k < tracks; ++k) {
      v1::ControlResponse r = publisher.Next();
      if (!r.ok()) throw std::runtime_error("track publish failed: " + r.error());
      if (latest) {
        std::lock_guard lock(latest->mu);
        latest->seq[r.track_publish().track_key()] = r.track_publish().update_seq();
      }
      ++published;
    }
  }
  return published;
}

void WaitEnded(std::initializer_list<Recipient*> recipients) {
  auto deadline = Clock::now() + std::chrono::seconds(30);
  for (Recipient* r : recipients) {
    while (!r->AllEnded() && Clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void Report(const char* phase, const char* who, Recipient& r, size_t published) {
  auto l = r.Latencies();
  if (l.empty()) {
    std::printf("  %-9s %s: nothing applied\n", phase, who);
    return;
  }
  std::printf("  %-9s %s: %zu of %zu applied (%.1f%%)  latency %s\n", phase, who, l.size(),
              published, 100.0 * static_cast<double>(l.size()) / static_cast<double>(published),
              Percentiles(l).c_str());
}

// Publisher KR -> US and JP through one relay.
void Phase(const Args& args, const std::string& phase) {
  bool failover = phase == "kill" || phase == "freeze";
  Cluster cluster(args, failover ? 2 : 1);
  fs::path kr = cluster.StartNode("kr");
  fs::path us = cluster.StartNode("us");
  fs::path jp = cluster.StartNode("jp");
  asio::io_context io;
  for (const fs::path& node : {kr, us, jp}) {
    Control c(io, node);
    auto deadline = Clock::now() + std::chrono::seconds(20);
    while (LinksUp(c) < 1 && Clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  size_t tracks = phase == "load" ? args.tracks : 1;
  double rate = phase == "load" ? args.rate : 20;
  Recipient at_us(io, us, tracks), at_jp(io, jp, tracks);
  std::atomic<bool> stop{false};
  std::atomic<size_t> routine{0};
  std::thread flood;
  if (phase == "backlog") {
    // US keeps 1000 ROUTINE messages in flight to JP throughout: the relay
    // and JP drain a standing backlog while the track runs.
    flood = std::thread([&] {
      Control bulk(io, us);
      std::string text(250, 'r');
      size_t sent = 0, answered = 0;
      while (!stop || answered < sent) {
        while (!stop && sent - answered < 1000) {
          bulk.Send(SendRequest(text));
          ++sent;
        }
        if (answered < sent) {
          bulk.Next();
          ++answered;
        }
      }
      routine = answered;
    });
    std::this_thread::sleep_for(std::chrono::seconds(2));  // the backlog builds (bench only)
  }
  std::thread failure;
  if (failover) {
    // Relay-1 dies (or freezes) half-way through the flight.
    failure = std::thread([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<long>(args.seconds) * 500));
      cluster.relays[1]->Signal(phase == "kill" ? SIGKILL : SIGSTOP);
    });
  }
  Control publisher(io, kr);
  size_t published = Publish(publisher, tracks, rate, args.seconds);
  if (failure.joinable()) failure.join();
  WaitEnded({&at_us, &at_jp});
  stop = true;
  if (flood.joinable()) flood.join();
  char what[160];
  std::snprintf(what, sizeof what, "%zu track%s x %.0f Hz, %zu s%s", tracks, tracks == 1 ? "" : "s",
                rate, args.seconds,
                phase == "backlog" ? (", while US->JP ROUTINE (" + std::to_string(routine.load()) +
                                      " sent, 1000 in flight) drains")
                                         .c_str()
                                   : "");
  std::printf("tracks %s: KR -> US, JP, %s; %zu published (%.0f/s)\n", phase.c_str(), what,
              published, static_cast<double>(published) / static_cast<double>(args.seconds));
  Report(phase.c_str(), "at US", at_us, published);
  Report(phase.c_str(), "at JP", at_jp, published);
  if (failover) {
    std::printf(
        "  relay-1 %s half-way: longest wait between applied updates %.1f ms at US, %.1f ms at JP "
        "(one update every %.0f ms)\n",
        phase == "kill" ? "killed (SIGKILL)" : "frozen (SIGSTOP)",
        static_cast<double>(at_us.LongestGapUs()) / 1000,
        static_cast<double>(at_jp.LongestGapUs()) / 1000, 1000 / rate);
    if (phase == "freeze") cluster.relays[1]->Signal(SIGCONT);
  }
}

// A recipient that handles 10 updates a second: a link client as JP that
// takes 100 ms per frame and reads nothing meanwhile. How far behind the
// publisher is each update it gets, in updates of its track?
void Slow(const Args& args) {
  Cluster cluster(args);
  fs::path kr = cluster.StartNode("kr");
  auto trust = *LoadTrustStore(cluster.certs);
  Identity jp = *LoadIdentity(cluster.certs, "node-jp");
  asio::io_context io;
  std::mutex mu;
  std::vector<std::pair<double, uint64_t>> behind;  // (seconds since start, updates behind)
  Latest latest;
  auto start = Clock::now();
  LinkConnection::Callbacks cb;
  cb.frame = [&](const LinkConnection::Ptr&, v1::LinkFrame& f) {
    if (!f.has_track()) return;
    auto routed = ParseEnvelopeForRouting(AsBytes(f.track().envelope()));
    if (!routed.ok()) return;
    const auto& stamp = routed->header.track();
    uint64_t now_latest = 0;
    {
      std::lock_guard lock(latest.mu);
      auto it = latest.seq.find(stamp.track_key());
      if (it != latest.seq.end()) now_latest = it->second;
    }
    if (now_latest > 0) {
      std::lock_guard lock(mu);
      behind.emplace_back(Seconds(Clock::now() - start),
                          now_latest > stamp.update_seq() ? now_latest - stamp.update_seq() : 0);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the slow recipient
  };
  cb.closed = [](const LinkConnection::Ptr&, const std::string& why, bool) {
    std::fprintf(stderr, "slow recipient's link closed: %s\n", why.c_str());
  };
  asio::ip::tcp::socket s(io);
  s.open(asio::ip::tcp::v4());
  s.set_option(asio::socket_base::receive_buffer_size(limits::kLinkReceiveBuffer));
  s.connect(*ParseEndpoint(cluster.relay_addr));
  LinkOptions options;
  options.heartbeat_interval =
      limits::kHeartbeatInterval;  // as a node: the relay drops a silent link
  options.idle_timeout = std::chrono::seconds(30);
  auto link = LinkConnection::Create(
      std::move(s), ChannelConfigFor(jp, trust, true, v1::ROLE_RELAY), cb, options);
  link->Start();
  std::thread loop([&] { io.run_for(std::chrono::seconds(static_cast<long>(args.seconds) + 30)); });
  asio::io_context cio;
  Control publisher(cio, kr);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // links up (bench only)
  start = Clock::now();
  // Tracks keep their own numbering: the first update of track k is seq 1.
  size_t published = 0;
  std::string failed;
  try {
    published = Publish(publisher, args.tracks, args.rate, args.seconds, &latest, {v1::NATION_JP});
  } catch (const std::exception& e) {
    failed = e.what();
  }
  io.stop();
  loop.join();
  if (!failed.empty()) throw std::runtime_error(failed);
  std::lock_guard lock(mu);
  std::vector<double> first, last;
  double half = static_cast<double>(args.seconds) / 2;
  for (const auto& [t, b] : behind) (t < half ? first : last).push_back(static_cast<double>(b));
  auto summary = [](std::vector<double> v) {
    if (v.empty()) return std::string("none");
    std::sort(v.begin(), v.end());
    char buf[96];
    std::snprintf(buf, sizeof buf, "median %.0f, p99 %.0f, max %.0f", v[v.size() / 2],
                  v[static_cast<size_t>(0.99 * static_cast<double>(v.size() - 1))], v.back());
    return std::string(buf);
  };
  std::printf(
      "tracks slow: KR -> JP, %zu track%s x %.0f Hz for %zu s (%zu published), JP handles 10 "
      "updates/s\n",
      args.tracks, args.tracks == 1 ? "" : "s", args.rate, args.seconds, published);
  std::printf(
      "  updates behind its track's newest, first half: %s; second half: %s (%zu received)\n",
      summary(first).c_str(), summary(last).c_str(), behind.size());
  std::printf("  without latest-value queues it would end %.0f updates behind per track\n",
              args.rate * static_cast<double>(args.seconds) -
                  10.0 * static_cast<double>(args.seconds) / static_cast<double>(args.tracks));
}

}  // namespace

int TrackFeeds(const Args& args) {
  for (const char* phase : {"unloaded", "backlog", "load", "kill", "freeze"}) {
    if (args.phase == "all" || args.phase == phase) Phase(args, phase);
  }
  if (args.phase == "all" || args.phase == "slow") Slow(args);
  return 0;
}

}  // namespace hotline::bench
