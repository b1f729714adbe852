// hotline-faultproxy: a seeded fault-injecting TCP proxy for tests (tc netem
// does not exist on these machines). Every accepted connection is forwarded
// to --target; bytes are re-chunked and may be delayed, stalled, dropped,
// duplicated or the connection reset, each decided by a PRNG seeded from
// --seed and the connection number, so a failing run replays.
// SIGUSR1 partitions (closes every connection and refuses new ones);
// SIGUSR2 heals.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>
#include <random>

#include "hotline/asio.h"
#include "hotline/net_util.h"

namespace hotline::faultproxy {
namespace {

using asio::ip::tcp;

struct Faults {
  uint64_t seed = 1;
  size_t max_chunk = 0;      // 0 = keep reads whole
  int max_delay_ms = 0;      // per chunk
  double stall = 0;          // probability per chunk of a stall
  int stall_ms = 500;
  double reset = 0;          // probability per chunk of resetting the connection
  double drop = 0;           // probability per chunk of dropping it (corrupts the stream)
  double duplicate = 0;      // probability per chunk of sending it twice
  std::string direction = "both";  // both, to-target, from-target
};

struct Proxy {
  asio::io_context& io;
  tcp::acceptor acceptor;
  tcp::endpoint target;
  Faults faults;
  bool partitioned = false;
  uint64_t connections = 0;
  std::vector<std::weak_ptr<tcp::socket>> live;

  void CloseAll() {
    for (auto& w : live) {
      if (auto s = w.lock()) {
        boost::system::error_code ec;
        s->close(ec);
      }
    }
    live.clear();
  }
};

awaitable<void> Pump(Proxy& p, std::shared_ptr<tcp::socket> from, std::shared_ptr<tcp::socket> to,
                     std::mt19937_64 rng, bool faulty) {
  std::vector<uint8_t> buf(64 * 1024);
  std::uniform_real_distribution<double> coin(0, 1);
  asio::steady_timer timer(p.io);
  for (;;) {
    boost::system::error_code ec;
    size_t n = co_await from->async_read_some(asio::buffer(buf), asio::redirect_error(use_awaitable, ec));
    if (ec) break;
    size_t off = 0;
    while (off < n) {
      size_t len = n - off;
      if (faulty && p.faults.max_chunk > 0) {
        len = std::min(len, std::uniform_int_distribution<size_t>(1, p.faults.max_chunk)(rng));
      }
      int wait_ms = 0;
      if (faulty && p.faults.max_delay_ms > 0) {
        wait_ms = std::uniform_int_distribution<int>(0, p.faults.max_delay_ms)(rng);
      }
      if (faulty && coin(rng) < p.faults.stall) wait_ms += p.faults.stall_ms;
      if (wait_ms > 0) {
        timer.expires_after(std::chrono::milliseconds(wait_ms));
        co_await timer.async_wait(asio::redirect_error(use_awaitable, ec));
      }
      if (faulty && coin(rng) < p.faults.reset) {
        from->close(ec);
        to->close(ec);
        co_return;
      }
      bool drop = faulty && coin(rng) < p.faults.drop;
      int copies = drop ? 0 : (faulty && coin(rng) < p.faults.duplicate ? 2 : 1);
      for (int i = 0; i < copies; ++i) {
        co_await asio::async_write(*to, asio::buffer(buf.data() + off, len),
                                   asio::redirect_error(use_awaitable, ec));
        if (ec) break;
      }
      if (ec) break;
      off += len;
    }
    if (ec) break;
  }
  boost::system::error_code ignored;
  from->close(ignored);
  to->close(ignored);
}

awaitable<void> Accept(Proxy& p) {
  for (;;) {
    boost::system::error_code ec;
    auto client = std::make_shared<tcp::socket>(co_await p.acceptor.async_accept(
        asio::redirect_error(use_awaitable, ec)));
    if (ec) co_return;
    if (p.partitioned) {
      client->close(ec);
      continue;
    }
    auto upstream = std::make_shared<tcp::socket>(p.io);
    co_await upstream->async_connect(p.target, asio::redirect_error(use_awaitable, ec));
    if (ec) {
      client->close(ec);
      continue;
    }
    client->set_option(tcp::no_delay(true), ec);
    upstream->set_option(tcp::no_delay(true), ec);
    p.live.push_back(client);
    p.live.push_back(upstream);
    uint64_t n = ++p.connections;
    std::mt19937_64 up_rng(p.faults.seed * 1000003 + n * 2), down_rng(p.faults.seed * 1000003 + n * 2 + 1);
    bool to_target = p.faults.direction != "from-target";
    bool from_target = p.faults.direction != "to-target";
    asio::co_spawn(p.io, Pump(p, client, upstream, up_rng, to_target), LogExceptions{"proxy up"});
    asio::co_spawn(p.io, Pump(p, upstream, client, down_rng, from_target), LogExceptions{"proxy down"});
  }
}

}  // namespace
}  // namespace hotline::faultproxy

int main(int argc, char** argv) {
  using namespace hotline::faultproxy;
  std::string listen = "127.0.0.1:0", target, ready_file;
  Faults f;
  CLI::App app{"Seeded fault-injecting TCP proxy for tests", "hotline-faultproxy"};
  app.add_option("--listen", listen)->capture_default_str();
  app.add_option("--target", target)->required();
  app.add_option("--ready-file", ready_file, "Write HOST:PORT here once listening");
  app.add_option("--seed", f.seed)->capture_default_str();
  app.add_option("--max-chunk", f.max_chunk, "Re-chunk into pieces of 1..N bytes");
  app.add_option("--max-delay-ms", f.max_delay_ms, "Delay each chunk by 0..N ms");
  app.add_option("--stall", f.stall, "Probability per chunk of a stall");
  app.add_option("--stall-ms", f.stall_ms)->capture_default_str();
  app.add_option("--reset", f.reset, "Probability per chunk of a connection reset");
  app.add_option("--drop", f.drop, "Probability per chunk of dropping it");
  app.add_option("--duplicate", f.duplicate, "Probability per chunk of duplicating it");
  app.add_option("--direction", f.direction, "both, to-target or from-target")
      ->check(CLI::IsMember({"both", "to-target", "from-target"}));
  CLI11_PARSE(app, argc, argv);

  hotline::asio::io_context io(1);
  auto listen_ep = hotline::ParseEndpoint(listen);
  auto target_ep = hotline::ParseEndpoint(target);
  if (!listen_ep.ok() || !target_ep.ok()) {
    std::fprintf(stderr, "hotline-faultproxy: bad address\n");
    return 2;
  }
  Proxy p{io, tcp::acceptor(io, *listen_ep), *target_ep, f, false, 0, {}};
  std::string bound = hotline::FormatEndpoint(p.acceptor.local_endpoint());
  if (!ready_file.empty()) {
    std::FILE* out = std::fopen((ready_file + ".tmp").c_str(), "w");
    if (!out) return 1;
    std::fprintf(out, "%s\n", bound.c_str());
    std::fclose(out);
    std::rename((ready_file + ".tmp").c_str(), ready_file.c_str());
  }
  hotline::asio::signal_set partition(io, SIGUSR1, SIGUSR2);
  std::function<void()> arm = [&] {
    partition.async_wait([&](const boost::system::error_code& ec, int sig) {
      if (ec) return;
      p.partitioned = sig == SIGUSR1;
      if (p.partitioned) p.CloseAll();
      arm();
    });
  };
  arm();
  hotline::asio::signal_set stop(io, SIGINT, SIGTERM);
  stop.async_wait([&](const boost::system::error_code&, int) { io.stop(); });
  hotline::asio::co_spawn(io, Accept(p), hotline::LogExceptions{"proxy accept"});
  io.run();
  return 0;
}
