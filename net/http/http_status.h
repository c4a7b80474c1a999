// HttpStatus: the HTTP status codes ringstat answers with and their standard reason phrases
// (RFC 9110 section 15). Shared by the request parser, the response builder and the handler;
// owned by the HTTP part of net/. Constant data only, safe from any thread.
#pragma once

#include <cstdint>
#include <string_view>

namespace ringstat {

enum class HttpStatus : uint16_t {
  kOk = 200,
  kNoContent = 204,
  kBadRequest = 400,
  kNotFound = 404,
  kMethodNotAllowed = 405,
  kContentTooLarge = 413,
  kExpectationFailed = 417,
  kInternalServerError = 500,
  kNotImplemented = 501,
  kServiceUnavailable = 503,
  kVersionNotSupported = 505,
};

constexpr uint16_t status_code(HttpStatus status) { return static_cast<uint16_t>(status); }

// RFC 9110's phrases; 413 uses its current name ("Payload Too Large" before RFC 9110).
constexpr std::string_view reason_phrase(HttpStatus status) {
  switch (status) {
    case HttpStatus::kOk:
      return "OK";
    case HttpStatus::kNoContent:
      return "No Content";
    case HttpStatus::kBadRequest:
      return "Bad Request";
    case HttpStatus::kNotFound:
      return "Not Found";
    case HttpStatus::kMethodNotAllowed:
      return "Method Not Allowed";
    case HttpStatus::kContentTooLarge:
      return "Content Too Large";
    case HttpStatus::kExpectationFailed:
      return "Expectation Failed";
    case HttpStatus::kInternalServerError:
      return "Internal Server Error";
    case HttpStatus::kNotImplemented:
      return "Not Implemented";
    case HttpStatus::kServiceUnavailable:
      return "Service Unavailable";
    case HttpStatus::kVersionNotSupported:
      return "HTTP Version Not Supported";
  }
  return "Unknown";
}

}  // namespace ringstat
