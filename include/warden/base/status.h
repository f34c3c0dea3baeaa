// Status and Result<T>: errors as values.
//
// Every operation that can fail on bad input returns a Status (no value) or a Result<T>
// (a value or a Status). Messages name the file, field or byte offset at fault, so that they
// can be printed to a user unchanged. Exceptions are reserved for programming errors and for
// crossing a module boundary (see Status::ThrowIfError and warden::Error).
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace warden {

// What went wrong, in the caller's terms. The gateway answers an HTTP request that fails with
// HttpStatusOf(code); the table is the contract:
//
//   code                  HTTP  when
//   kOk                    200  -
//   kInvalidArgument       400  the caller asked for something malformed (a bad flag, field, hook)
//   kNotFound              404  a file, tensor, model or key that should exist does not
//   kCorrupt               422  an input's contents contradict its format (a file, a request body)
//   kUnsupported           501  well-formed, but a feature warden does not implement
//   kPermissionDenied      403  the caller is known but not allowed (an API key without the scope,
//                               a custodian without a share, a safeguard that blocked the request)
//   kFailedPrecondition    409  the system is not in the state the operation needs (a model not
//                               unsealed, a case already signed, a run already finished)
//   kResourceExhausted     429  a limit warden enforces was reached (rate, queue length, audit
//                               budget); the caller may retry later. A full disk is kIoError.
//   kUnavailable           503  a dependency is down (upstream server, database); retry may work
//   kDeadlineExceeded      504  the operation ran past its time budget
//   kIoError               500  the operating system refused a read or write
//   kInternal              500  a bug in warden
enum class StatusCode {
  kOk = 0,
  kInvalidArgument,
  kNotFound,
  kCorrupt,
  kUnsupported,
  kIoError,
  kInternal,
  kPermissionDenied,
  kFailedPrecondition,
  kResourceExhausted,
  kUnavailable,
  kDeadlineExceeded,
};

// The HTTP status code for `code`, from the table above.
int HttpStatusOf(StatusCode code);

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status Corrupt(std::string m) { return {StatusCode::kCorrupt, std::move(m)}; }
  static Status Unsupported(std::string m) { return {StatusCode::kUnsupported, std::move(m)}; }
  static Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
  static Status PermissionDenied(std::string m) { return {StatusCode::kPermissionDenied, std::move(m)}; }
  static Status FailedPrecondition(std::string m) { return {StatusCode::kFailedPrecondition, std::move(m)}; }
  static Status ResourceExhausted(std::string m) { return {StatusCode::kResourceExhausted, std::move(m)}; }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status DeadlineExceeded(std::string m) { return {StatusCode::kDeadlineExceeded, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "corrupt: model.gguf: tensor 'x' ends at byte 900 past the end of the file (800)"
  std::string ToString() const;

  // Returns a copy whose message is "<context>: <message>" (no-op on OK).
  Status WithContext(const std::string& context) const;

  // Throws warden::Error if not OK. For module boundaries and code that cannot continue.
  void ThrowIfError() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// The exception form of a Status, thrown across module boundaries (e.g. out of a torch forward
// pass) and caught by the CLI, which prints what() and exits non-zero.
class Error : public std::runtime_error {
 public:
  explicit Error(Status status) : std::runtime_error(status.ToString()), status_(std::move(status)) {}
  const Status& status() const { return status_; }

 private:
  Status status_;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}                    // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {              // NOLINT: implicit by design
    if (std::get<Status>(v_).ok()) v_ = Status::Internal("Result constructed from OK status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  // The error; OK when the Result holds a value.
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(v_); }

  // Access the value. Calling these on an error throws warden::Error with that error.
  T& value() & { Check(); return std::get<T>(v_); }
  const T& value() const& { Check(); return std::get<T>(v_); }
  T&& value() && { Check(); return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  // By value on a temporary, so that `const auto& x = *MakeX();` cannot dangle.
  T operator*() && { return std::move(*this).value(); }

  // The value, or throws warden::Error prefixed with nothing: for module boundaries.
  T ValueOrThrow() && { Check(); return std::get<T>(std::move(v_)); }

 private:
  void Check() const {
    if (!ok()) throw Error(std::get<Status>(v_));
  }
  std::variant<T, Status> v_;
};

}  // namespace warden

#define WARDEN_CONCAT_INNER(a, b) a##b
#define WARDEN_CONCAT(a, b) WARDEN_CONCAT_INNER(a, b)

// Returns the Status from the enclosing function if `expr` is not OK.
#define WARDEN_RETURN_IF_ERROR(expr)           \
  do {                                         \
    ::warden::Status _st = (expr);             \
    if (!_st.ok()) return _st;                 \
  } while (0)

// `WARDEN_ASSIGN_OR_RETURN(auto x, MakeX());` declares x from a Result or returns its error.
#define WARDEN_ASSIGN_OR_RETURN(lhs, expr) \
  WARDEN_ASSIGN_OR_RETURN_IMPL(WARDEN_CONCAT(_res_, __LINE__), lhs, expr)
#define WARDEN_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()
