// Status and StatusOr: errors as values (after leveldb's Status and absl's StatusOr).
//
// Thread safety: values; distinct objects may be used from distinct threads.
// Error contract: a Status is either ok() or carries a code and a message
// meant for the local log and the operator. Never throw for bad input,
// network or crypto failure; return a Status instead.
#ifndef HOTLINE_STATUS_H_
#define HOTLINE_STATUS_H_

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace hotline {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,   // malformed input, bad flag, wrong format
  kNotFound,          // unknown id, missing file
  kAlreadyExists,     // duplicate id, file we refuse to overwrite
  kPermissionDenied,  // authentication or authorization failed
  kFailedPrecondition,
  kDataLoss,          // corruption, tampering, truncation
  kResourceExhausted, // limits, back-pressure, disk full
  kUnavailable,       // peer or node not reachable
  kDeadlineExceeded,
  kInternal,
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "INVALID_ARGUMENT: message" or "OK".
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgumentError(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status NotFoundError(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status AlreadyExistsError(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
inline Status PermissionDeniedError(std::string m) { return {StatusCode::kPermissionDenied, std::move(m)}; }
inline Status FailedPreconditionError(std::string m) { return {StatusCode::kFailedPrecondition, std::move(m)}; }
inline Status DataLossError(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
inline Status ResourceExhaustedError(std::string m) { return {StatusCode::kResourceExhausted, std::move(m)}; }
inline Status UnavailableError(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status DeadlineExceededError(std::string m) { return {StatusCode::kDeadlineExceeded, std::move(m)}; }
inline Status InternalError(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(Status status) : status_(std::move(status)) { assert(!status_.ok()); }  // NOLINT
  StatusOr(T value) : value_(std::move(value)) {}                                   // NOLINT

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

  T& value() & { assert(ok()); return *value_; }
  const T& value() const& { assert(ok()); return *value_; }
  T&& value() && { assert(ok()); return std::move(*value_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace hotline

#define HOTLINE_CONCAT_INNER(a, b) a##b
#define HOTLINE_CONCAT(a, b) HOTLINE_CONCAT_INNER(a, b)

// Returns from the enclosing function if `expr` is not ok.
#define HOTLINE_RETURN_IF_ERROR(expr)           \
  do {                                          \
    ::hotline::Status hotline_status_ = (expr); \
    if (!hotline_status_.ok()) return hotline_status_; \
  } while (0)

// `lhs = value of expr`, or returns its status.
#define HOTLINE_ASSIGN_OR_RETURN(lhs, expr) \
  HOTLINE_ASSIGN_OR_RETURN_IMPL(HOTLINE_CONCAT(hotline_statusor_, __LINE__), lhs, expr)
#define HOTLINE_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return tmp.status();                 \
  lhs = std::move(tmp).value()

#endif  // HOTLINE_STATUS_H_
