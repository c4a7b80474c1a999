// Drives an HttpHandler with raw request bytes, the way a connection would: parse, handle, parse
// the encoded answer. Shared by the handler test files.
#pragma once

#include <doctest/doctest.h>

#include <optional>
#include <string>

#include "net/http/http_handler.h"
#include "net/http/http_request.h"
#include "tests/http_query_service_fake.h"
#include "tests/http_test_support.h"

namespace ringstat::testing {

class HandlerHarness {
 public:
  explicit HandlerHarness(ShardConfig config = FakeQueryService::service_shard_config())
      : service(config), handler(service) {}

  // Handles one complete request; the answer must already be there when handle() returns unless
  // completions are held, in which case deliver() runs until it arrives.
  WireResponse raw(std::string_view bytes) {
    HttpParseResult parsed = parse_http_request(bytes);
    REQUIRE_MESSAGE(parsed.status == HttpParseStatus::kComplete, parsed.error_message);
    REQUIRE(parsed.consumed_bytes == bytes.size());
    std::optional<EncodedResponse> answer;
    handler.handle(parsed.request, [&](EncodedResponse response) {
      REQUIRE_FALSE(answer.has_value());  // exactly once
      answer = std::move(response);
    });
    for (int i = 0; i < 1000 && !answer.has_value() && service.hold_completions_; ++i) {
      service.deliver();
    }
    REQUIRE(answer.has_value());
    last_close = answer->close;
    last_bytes = answer->bytes;
    return parse_wire_response(answer->bytes);
  }

  WireResponse get(std::string_view target, std::string_view headers = "") {
    return raw("GET " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n" + std::string(headers) +
               "\r\n");
  }
  WireResponse head(std::string_view target, std::string_view headers = "") {
    return raw("HEAD " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n" +
               std::string(headers) + "\r\n");
  }
  WireResponse post(std::string_view target, std::string_view body, std::string_view headers = "") {
    return raw("POST " + std::string(target) +
               " HTTP/1.1\r\nHost: test\r\nContent-Length: " + std::to_string(body.size()) +
               "\r\n" + std::string(headers) + "\r\n" + std::string(body));
  }

  FakeQueryService service;
  HttpHandler handler;
  bool last_close = false;
  std::string last_bytes;
};

}  // namespace ringstat::testing
