// Reactor glue for the HTTP and admin connections: request framing, one request at a time per
// connection (pipelined ones wait their turn), and the bytes to send.
#include <chrono>

#include "net/http_handler.h"
#include "net/http_request.h"
#include "net/reactor.h"
#include "net/reactor_state.h"

namespace ringstat {

namespace {
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
}

void Reactor::http_input(Connection& c) {
  if (c.request_in_flight || c.closing || c.input.empty()) return;
  const uint32_t slot = static_cast<uint32_t>(&c - connections_.data());
  HttpParseResult parsed = parse_http_request(c.input);
  switch (parsed.status) {
    case HttpParseStatus::kIncomplete:
      if (parsed.expects_continue && !c.continue_sent) {
        c.continue_sent = true;
        c.output.append(kContinue);
        send_pending(slot);
      }
      return;
    case HttpParseStatus::kError: {
      EncodedResponse response = http_handler_->reject(parsed.error_status, parsed.error_message);
      ++metrics_.http_requests[status_code(response.status)];
      c.request_in_flight = true;
      c.close_after_send = true;
      c.output.append(response.bytes);
      send_pending(slot);
      return;
    }
    case HttpParseStatus::kComplete: break;
  }
  c.input.erase(0, parsed.consumed_bytes);
  c.request_in_flight = true;
  c.continue_sent = false;
  const uint32_t generation = c.generation;
  const auto started = std::chrono::steady_clock::now();
  http_handler_->handle(parsed.request, [this, slot, generation, started](EncodedResponse response) {
    const auto elapsed = std::chrono::steady_clock::now() - started;
    metrics_.http_latency.record(static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count()));
    ++metrics_.http_requests[status_code(response.status)];
    Connection* answered = connection(slot, generation);
    if (answered == nullptr || answered->closing) return;  // the client went away meanwhile
    answered->close_after_send = response.close;
    answered->output.append(response.bytes);
    send_pending(slot);
  });
}

void Reactor::admin_input(Connection& c, std::string_view bytes) {
  const uint32_t slot = static_cast<uint32_t>(&c - connections_.data());
  c.admin->feed(bytes);
  send_pending(slot);
}

}  // namespace ringstat
