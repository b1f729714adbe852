#include "cli/control_client.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

namespace hotline::cli {

using asio::local::stream_protocol;

std::filesystem::path NodeSocketPath(std::string node) {
  if (node.empty()) {
    const char* env = std::getenv("HOTLINE_NODE");
    if (env) node = env;
  }
  if (node.empty()) return {};
  std::filesystem::path p = node;
  if (std::filesystem::is_directory(p)) p /= "control.sock";
  return p;
}

std::string CliOperatorName() {
  const passwd* user = ::getpwuid(::getuid());
  return std::string("cli:") + (user && user->pw_name ? user->pw_name : std::to_string(::getuid()));
}

StatusOr<std::unique_ptr<ControlClient>> ControlClient::Connect(const std::filesystem::path& path) {
  std::unique_ptr<ControlClient> c(new ControlClient());
  boost::system::error_code ec;
  c->socket_.connect(stream_protocol::endpoint(path.string()), ec);
  if (ec) {
    return UnavailableError("no node is running at " + path.string() + " (" + ec.message() +
                            "); start hotline-node or pass --node DIR");
  }
  return c;
}

Status ControlClient::Send(const v1::ControlRequest& request) {
  Bytes wire = EncodeControlMessage(request);
  boost::system::error_code ec;
  asio::write(socket_, asio::buffer(wire), ec);
  if (ec) return UnavailableError("cannot talk to the node: " + ec.message());
  return Status::Ok();
}

StatusOr<v1::ControlResponse> ControlClient::Receive(std::chrono::milliseconds timeout) {
  v1::ControlResponse response;
  std::vector<uint8_t> buffer(64 * 1024);
  for (;;) {
    HOTLINE_ASSIGN_OR_RETURN(bool ready, decoder_.Next(response));
    if (ready) return response;
    bool done = false;
    boost::system::error_code read_ec;
    size_t n = 0;
    socket_.async_read_some(asio::buffer(buffer), [&](const boost::system::error_code& ec, size_t got) {
      read_ec = ec;
      n = got;
      done = true;
    });
    io_.restart();
    io_.run_for(timeout);
    if (!done) {
      socket_.cancel();
      io_.restart();
      io_.run();
      return DeadlineExceededError("the node did not answer in time");
    }
    if (read_ec) return UnavailableError("the node closed the connection: " + read_ec.message());
    HOTLINE_RETURN_IF_ERROR(decoder_.Feed(ByteView(buffer.data(), n)));
  }
}

StatusOr<v1::ControlResponse> ControlClient::Call(const v1::ControlRequest& request,
                                                  std::chrono::milliseconds timeout) {
  HOTLINE_RETURN_IF_ERROR(Send(request));
  HOTLINE_ASSIGN_OR_RETURN(v1::ControlResponse r, Receive(timeout));
  if (r.ok()) return r;
  // The node refused or failed the request: an operation failure (exit 1),
  // never a usage error of this command line, whatever the node's code.
  Status refused = StatusOf(r);
  if (refused.code() == StatusCode::kInvalidArgument)
    return FailedPreconditionError(refused.message());
  return refused;
}

}  // namespace hotline::cli
