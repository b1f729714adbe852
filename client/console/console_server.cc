#include "console/console_server.h"

#include <google/protobuf/util/json_util.h>
#include <spdlog/spdlog.h>

#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>

#include "console/operator_accounts.h"
#include "hotline/file_util.h"
#include "hotline/net_util.h"

namespace hotline::console {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
using asio::ip::tcp;

namespace {
constexpr size_t kMaxEventBacklog = 1 << 20;  // unsent live-feed bytes per console
constexpr auto kReadTimeout = std::chrono::seconds(30);
constexpr auto kGatherEvents = std::chrono::milliseconds(25);
}  // namespace

struct ConsoleServer::Connection {
  explicit Connection(tcp::socket socket) : stream(std::move(socket)) {}
  beast::tcp_stream stream;
  std::unique_ptr<websocket::stream<beast::tcp_stream>> ws;  // after an upgrade
  std::string peer;
  void Close() {
    boost::system::error_code ec;
    if (ws) {
      ws->next_layer().socket().close(ec);
    } else {
      stream.socket().close(ec);
    }
  }
};

struct ConsoleServer::Feed {
  explicit Feed(asio::any_io_executor e) : wake(e, asio::steady_timer::time_point::max()) {}
  std::deque<v1::WatchEvent> queue;  // rendered as JSON by the writer, off the event's path
  size_t bytes = 0;
  bool overflow = false;
  bool closed = false;
  asio::steady_timer wake;
};

// Reads only to notice the page closing (and to answer pings).
awaitable<void> ConsoleServer::ReadUntilClosed(std::shared_ptr<Connection> c,
                                               std::shared_ptr<Feed> feed) {
  beast::flat_buffer in;
  boost::system::error_code ec;
  while (!ec) {
    co_await c->ws->async_read(in, asio::redirect_error(use_awaitable, ec));
    in.clear();
  }
  feed->closed = true;
  feed->wake.cancel();
}

ConsoleServer::ConsoleServer(asio::io_context& io, node::NodeDaemon& daemon,
                             ConsoleServerConfig config)
    : io_(io), daemon_(daemon), config_(std::move(config)), acceptor_(io) {}

ConsoleServer::~ConsoleServer() = default;

std::string ConsoleServer::origin() const {
  return router_ ? router_->options().origins.front() : "";
}

Status ConsoleServer::Start() {
  HOTLINE_ASSIGN_OR_RETURN(tcp::endpoint endpoint, ParseEndpoint(config_.listen));
  if (!endpoint.address().is_loopback() && !config_.allow_remote) {
    return InvalidArgumentError(
        "refusing to serve the console on " + config_.listen +
        ": not a loopback address. Put it behind TLS or an SSH tunnel, or pass "
        "--console-allow-remote (docs/CONSOLE.md)");
  }
  boost::system::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return UnavailableError("cannot serve the console on " + config_.listen + ": " + ec.message());
  tcp::endpoint bound = acceptor_.local_endpoint();
  std::string address = FormatEndpoint(bound);
  ConsoleOptions options;
  options.nation = daemon_.config().nation;
  options.origins.push_back("http://" + address);
  if (bound.address().is_loopback()) {
    options.origins.push_back("http://localhost:" + std::to_string(bound.port()));
  }
  for (const auto& o : config_.extra_origins) options.origins.push_back(o);
  options.frame_ancestors = config_.frame_ancestors;
  options.secure_cookie = config_.secure_cookie;
  router_ = std::make_unique<ConsoleRouter>(std::move(options), *this);
  workers_ = std::make_unique<asio::thread_pool>(1);
  renderers_ = std::make_unique<asio::thread_pool>(1);  // never queued behind a password check
  daemon_.SetConsoleLinks([this](const std::string& name, const std::string& issued_by) {
    return router_->IssueLink(name, issued_by);
  });

  HOTLINE_ASSIGN_OR_RETURN(v1::ConsoleLinkResponse link,
                           router_->IssueLink("", "the node at start (console-url)"));
  std::string addr_text = address + "\n";
  HOTLINE_RETURN_IF_ERROR(
      WriteFileAtomic(config_.data_dir / "console.addr", AsBytes(addr_text), 0644));
  std::string url_text = link.url() + "\n";
  HOTLINE_RETURN_IF_ERROR(
      WriteFileAtomic(config_.data_dir / "console-url", AsBytes(url_text), 0600));
  spdlog::info("console at http://{} (one-time login link in {})", address,
               (config_.data_dir / "console-url").string());
  asio::co_spawn(io_, AcceptLoop(), LogExceptions{"console accept loop"});
  return Status::Ok();
}

void ConsoleServer::Stop() {
  if (stopping_) return;
  stopping_ = true;
  boost::system::error_code ec;
  acceptor_.close(ec);
  for (auto& weak : connections_) {
    if (auto c = weak.lock()) c->Close();
  }
  if (workers_) workers_->stop();  // pending password checks are abandoned
  if (renderers_) renderers_->stop();
}

awaitable<void> ConsoleServer::AcceptLoop() {
  while (!stopping_) {
    boost::system::error_code ec;
    tcp::socket socket =
        co_await acceptor_.async_accept(asio::redirect_error(use_awaitable, ec));
    if (ec) {
      if (stopping_ || ec == asio::error::operation_aborted) co_return;
      continue;
    }
    std::erase_if(connections_, [](const auto& w) { return w.expired(); });
    if (connections_.size() >= config_.max_connections) {
      Refused("connection limit (" + std::to_string(config_.max_connections) + ") reached");
      socket.close(ec);
      continue;
    }
    auto c = std::make_shared<Connection>(std::move(socket));
    c->peer = c->stream.socket().remote_endpoint(ec).address().to_string();
    connections_.push_back(c);
    asio::co_spawn(io_, Serve(c), LogExceptions{"console connection"});
  }
}

awaitable<void> ConsoleServer::Serve(std::shared_ptr<Connection> c) {
  beast::flat_buffer buffer;
  while (!stopping_) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(8 * 1024);
    parser.body_limit(64 * 1024);
    c->stream.expires_after(kReadTimeout);
    boost::system::error_code ec;
    co_await http::async_read(c->stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
    if (ec) {
      bool malformed = ec.category() == http::make_error_code(http::error::bad_target).category() &&
                       ec != http::error::end_of_stream && ec != http::error::partial_message;
      if (malformed) {
        Refused("bad HTTP request from " + c->peer + ": " + ec.message());
      }
      break;
    }
    HttpRequest request = parser.release();
    c->stream.expires_never();
    if (websocket::is_upgrade(request) && request.target() == "/api/events") {
      auto allowed = router_->AuthorizeEvents(request, c->peer);
      if (auto* name = std::get_if<std::string>(&allowed)) {
        co_await StreamEvents(c, std::move(request), *name);
        co_return;
      }
      auto& refusal = std::get<HttpResponse>(allowed);
      refusal.keep_alive(false);
      co_await http::async_write(c->stream, refusal, asio::redirect_error(use_awaitable, ec));
      break;
    }
    // The router answers when the node has (a send answers after its commit).
    struct Slot {
      explicit Slot(asio::any_io_executor e) : ready(e, asio::steady_timer::time_point::max()) {}
      std::optional<HttpResponse> response;
      asio::steady_timer ready;
    };
    auto slot = std::make_shared<Slot>(c->stream.get_executor());
    router_->Handle(request, c->peer, [slot](HttpResponse r) {
      slot->response = std::move(r);
      slot->ready.cancel();
    });
    while (!slot->response && !stopping_) {
      co_await slot->ready.async_wait(asio::redirect_error(use_awaitable, ec));
    }
    if (!slot->response) break;
    bool keep = slot->response->keep_alive();
    c->stream.expires_after(kReadTimeout);
    co_await http::async_write(c->stream, *slot->response, asio::redirect_error(use_awaitable, ec));
    if (ec || !keep) break;
  }
  boost::system::error_code ignored;
  c->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  c->stream.socket().close(ignored);
}

// The live feed: every watch event of the node, as proto3 JSON, until the
// page goes away. A page that stops reading is cut off, never buffered
// without bound.
awaitable<void> ConsoleServer::StreamEvents(std::shared_ptr<Connection> c, HttpRequest upgrade,
                                            std::string operator_name) {
  c->ws = std::make_unique<websocket::stream<beast::tcp_stream>>(std::move(c->stream));
  auto& ws = *c->ws;
  auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::server);
  timeouts.keep_alive_pings = true;  // the page only listens: pings keep an idle feed open
  ws.set_option(timeouts);
  ws.read_message_max(4096);
  boost::system::error_code ec;
  co_await ws.async_accept(upgrade, asio::redirect_error(use_awaitable, ec));
  if (ec) co_return;
  ws.text(true);
  auto feed = std::make_shared<Feed>(ws.get_executor());
  std::weak_ptr<Connection> weak = c;
  int watcher = daemon_.Subscribe([feed, weak](const v1::WatchEvent& e) {
    if (feed->closed || feed->overflow) return;
    size_t size = e.ByteSizeLong();
    if (feed->bytes + size > kMaxEventBacklog) {
      feed->overflow = true;
      // Cut it off now, even while a write to it is stuck.
      if (auto connection = weak.lock()) connection->Close();
    } else {
      feed->bytes += size;
      feed->queue.push_back(e);
    }
    feed->wake.cancel();
  });
  google::protobuf::util::JsonPrintOptions json_options;
  json_options.preserve_proto_field_names = true;
  asio::co_spawn(ws.get_executor(), ReadUntilClosed(c, feed), asio::detached);
  while (!feed->closed && !stopping_) {
    if (feed->overflow) {
      Refused("live feed of operator " + operator_name + " at " + c->peer +
              " stopped reading; closed");
      break;
    }
    if (feed->queue.empty()) {
      co_await feed->wake.async_wait(asio::redirect_error(use_awaitable, ec));
      continue;
    }
    // Events come in bursts (a message's arrival, receipt, acknowledgment):
    // gathered for 25 ms and sent as one frame, one JSON object per line, so
    // that a busy node wakes each page once per burst, not once per event.
    asio::steady_timer gather(ws.get_executor(), kGatherEvents);
    co_await gather.async_wait(asio::redirect_error(use_awaitable, ec));
    std::string frame;
    while (!feed->queue.empty()) {
      std::string line;
      (void)google::protobuf::util::MessageToJsonString(feed->queue.front(), &line, json_options);
      frame += line + "\n";
      feed->bytes -= std::min(feed->bytes, feed->queue.front().ByteSizeLong());
      feed->queue.pop_front();
    }
    co_await ws.async_write(asio::buffer(frame), asio::redirect_error(use_awaitable, ec));
    if (ec) break;
  }
  feed->closed = true;
  daemon_.Unsubscribe(watcher);
  c->Close();
}

void ConsoleServer::Control(const v1::ControlRequest& request, Reply reply) {
  daemon_.Handle(request, std::move(reply));
}

void ConsoleServer::VerifyPassword(const std::string& name, const std::string& password,
                                   std::function<void(StatusOr<bool>)> done) {
  // Argon2id costs ~0.1 s and 64 MiB by design: never on the event loop.
  asio::post(*workers_, [this, name, password, done = std::move(done)]() {
    StatusOr<bool> ok = VerifyOperator(config_.data_dir, name, password);
    asio::post(io_, [ok = std::move(ok), done]() { done(ok); });
  });
}

// Refusals are audited, but a page hammering the port must not fill the
// log: 20 records at once, then 2 a second, each saying how many were not.
void ConsoleServer::Refused(const std::string& why) {
  auto record = refusals_.Admit(NowMs(), why.size() > 300 ? why.substr(0, 300) + "..." : why);
  if (record) daemon_.RejectConsoleInput(*record);
}

void ConsoleServer::SessionEvent(v1::AuditEvent event, const std::string& operator_name,
                                 const std::string& detail) {
  daemon_.AuditOperator(event, operator_name, detail);
}

int64_t ConsoleServer::NowMs() { return daemon_.config().now_ms(); }

void ConsoleServer::RenderJson(std::shared_ptr<const google::protobuf::Message> message,
                               std::function<void(std::string)> done) {
  asio::post(*renderers_, [this, message, done = std::move(done)]() {
    std::string json = JsonOf(*message);  // reads a message no one changes any more
    asio::post(io_, [json = std::move(json), done]() mutable { done(std::move(json)); });
  });
}

}  // namespace hotline::console
