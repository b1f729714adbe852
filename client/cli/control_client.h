// The CLI's side of the control socket: connect to a node, send one
// request, read responses. Blocking, with a deadline on every read.
//
// Thread safety: one thread. Error contract: Status with a message an
// operator can act on ("node not running at ...").
#ifndef HOTLINE_CLIENT_CLI_CONTROL_CLIENT_H_
#define HOTLINE_CLIENT_CLI_CONTROL_CLIENT_H_

#include <chrono>
#include <filesystem>
#include <memory>

#include "hotline/asio.h"
#include "hotline/control_codec.h"
#include "hotline/v1/control.pb.h"

namespace hotline::cli {

// The control socket of `node` (a data folder or the socket; empty:
// $HOTLINE_NODE), or an empty path when neither says which.
std::filesystem::path NodeSocketPath(std::string node);
// Who asks, for the node's audit records: "cli:<login name>".
std::string CliOperatorName();

class ControlClient {
 public:
  static StatusOr<std::unique_ptr<ControlClient>> Connect(const std::filesystem::path& socket_path);

  Status Send(const v1::ControlRequest& request);
  // Next response, or kDeadlineExceeded after `timeout`.
  StatusOr<v1::ControlResponse> Receive(std::chrono::milliseconds timeout);
  // Send + Receive; a response with ok=false becomes an error Status.
  StatusOr<v1::ControlResponse> Call(const v1::ControlRequest& request,
                                     std::chrono::milliseconds timeout = std::chrono::seconds(30));

 private:
  ControlClient() : socket_(io_) {}
  asio::io_context io_;
  asio::local::stream_protocol::socket socket_;
  ControlDecoder decoder_;
};

}  // namespace hotline::cli

#endif  // HOTLINE_CLIENT_CLI_CONTROL_CLIENT_H_
