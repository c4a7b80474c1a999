// Reactor glue for the HTTP and admin connections: request framing, one request at a time per
// connection (pipelined ones wait their turn), and the bytes to send.
#include <chrono>

#include "net/daemon/reactor.h"
#include "net/daemon/reactor_context.h"
#include "net/daemon/reactor_state.h"
#include "net/http/http_handler.h"
#include "net/http/http_request.h"
#include "net/process/log.h"

namespace ringstat {

namespace {
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
}

bool Reactor::tasks_backlogged() const {
  for (const auto& overflow : task_overflow_) {
    if (overflow.size() >= kTaskOverflowMax) return true;
  }
  return false;
}

void Reactor::http_input(Connection& c) {
  HttpExchangeState& http = c.http();
  if (http.request_in_flight || c.closing || http.input.empty()) return;
  const uint32_t slot = connections_.slot_of(c);
  HttpParseResult parsed = parse_http_request(http.input);
  switch (parsed.status) {
    case HttpParseStatus::kIncomplete:
      if (parsed.expects_continue && !http.continue_sent) {
        http.continue_sent = true;
        c.output.append(kContinue);
        send_pending(slot);
      }
      return;
    case HttpParseStatus::kError: {
      EncodedResponse response = http_handler_->reject(parsed.error_status, parsed.error_message);
      ++metrics_.http_requests[status_code(response.status)];
      http.request_in_flight = true;
      c.close_after_send = true;
      c.output.append(response.bytes);
      send_pending(slot);
      return;
    }
    case HttpParseStatus::kComplete:
      break;
  }
  http.input.erase(0, parsed.consumed_bytes);
  http.request_in_flight = true;
  http.continue_sent = false;
  if (tasks_backlogged()) {
    // The tasks this reactor has posted to a peer wait beyond their bound: a new request, which
    // would post more, is refused until the peer catches up (kTaskOverflowMax).
    ++metrics_.http_refused_backlog;
    EncodedResponse response = http_handler_->reject(
        HttpStatus::kServiceUnavailable, "Too many requests in progress on this node; try again");
    ++metrics_.http_requests[status_code(response.status)];
    c.output.append(response.bytes);
    send_pending(slot);
    return;
  }
  const uint32_t generation = c.generation;
  const auto started = std::chrono::steady_clock::now();
  http_handler_->handle(
      parsed.request, [this, slot, generation, started](EncodedResponse response) {
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
  const uint32_t slot = connections_.slot_of(c);
  const bool rejected_before = c.admin().rejected();
  c.admin().feed(bytes);
  count_admin_rejection(c, rejected_before);
  send_pending(slot);
}

void Reactor::count_admin_rejection(Connection& c, bool rejected_before) {
  if (rejected_before || !c.admin().rejected()) return;
  ++metrics_.admin_rejected;
  uint64_t unlogged = 0;
  if (log_limits_->admin_rejected.take(monotonic_ms(), &unlogged)) {
    process_log().warn("admin port: closed the connection from " + c.peer +
                       ": its first line is not an admin command (" + std::to_string(unlogged) +
                       " more since the last message)");
  }
}

// Called after every receive and send: the bound the peer is held to from now on.
void Reactor::refresh_deadline(Connection& c) {
  if (!c.in_use || c.closing) return;
  const DaemonConfig& config = context_.config();
  const int64_t now_ms = monotonic_ms();
  if (c.kind == ListenerKind::kAdmin) {
    c.deadline = ConnectionDeadline::kAdminIdle;
    c.deadline_ms = now_ms + config.admin_idle_timeout_ms;
  } else if (c.kind == ListenerKind::kHttp) {
    if (c.http().request_in_flight) {
      // Being answered: the peer must keep reading the answer.
      c.deadline = ConnectionDeadline::kHttpIdle;
      c.deadline_ms = now_ms + config.http_idle_timeout_ms;
    } else if (!c.http().input.empty()) {
      // Part of a request: the whole of it must arrive within the request timeout of its first
      // byte, however slowly it trickles in.
      if (c.deadline != ConnectionDeadline::kHttpRequest) {
        c.deadline = ConnectionDeadline::kHttpRequest;
        c.deadline_ms = now_ms + config.http_request_timeout_ms;
      }
    } else {
      // Between requests of a kept-alive connection.
      c.deadline = ConnectionDeadline::kHttpIdle;
      c.deadline_ms = now_ms + config.http_idle_timeout_ms;
    }
  }
}

// Once a second: close every HTTP and admin connection whose deadline has passed. Bounded by the
// connection slots of one reactor; no timer per connection.
void Reactor::sweep_deadlines(int64_t now_ms) {
  for (uint32_t slot = 0; slot < connections_.slots(); ++slot) {
    Connection& c = connections_[slot];
    if (!c.in_use || c.closing || c.deadline == ConnectionDeadline::kNone) continue;
    if (now_ms < c.deadline_ms) continue;
    ++metrics_.timeouts[static_cast<size_t>(c.deadline)];
    close_connection(slot);
  }
}

}  // namespace ringstat
