// Result<T>: a value or a one-line error message, for expected failures (bad input, I/O errors).
// Used at boundaries where a human-readable reason is the useful output; hot paths use small
// enums instead (see engine/ingest/reject_reason.h).
#pragma once

#include <string>
#include <utility>
#include <variant>

#include "base/verify.h"

namespace ringstat {

struct Error {
  std::string message;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : state_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }

  T& value() {
    VERIFY(ok());
    return std::get<T>(state_);
  }
  const T& value() const {
    VERIFY(ok());
    return std::get<T>(state_);
  }
  const std::string& error() const {
    VERIFY(!ok());
    return std::get<Error>(state_).message;
  }

 private:
  std::variant<T, Error> state_;
};

// Result<void> equivalent.
struct Ok {};
using Status = Result<Ok>;

}  // namespace ringstat
