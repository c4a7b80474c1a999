#include "perf/bench/admin_client.h"

#include <utility>

namespace ringstat {

Result<std::string> AdminClient::read_line() {
  size_t scanned = 0;
  for (;;) {
    size_t newline = buffer_.find('\n', scanned);
    if (newline != std::string::npos) {
      std::string line = buffer_.substr(0, newline);
      buffer_.erase(0, newline + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return line;
    }
    if (buffer_.size() > kAdminLineBytesMax) {
      return Error{"admin: output line over " + std::to_string(kAdminLineBytesMax) + " bytes"};
    }
    scanned = buffer_.size();
    std::string error;
    ReadOutcome outcome = connection_.read_some(buffer_, timeout_ms_, error);
    if (outcome == ReadOutcome::kClosed) return Error{"admin: connection closed by the server"};
    if (outcome == ReadOutcome::kError) return Error{"admin: " + error};
  }
}

Result<std::vector<std::string>> AdminClient::command(std::string_view line) {
  if (line.find('\n') != std::string_view::npos) {
    return Error{"admin: a command is one line"};
  }
  if (!connection_.is_open()) {
    buffer_.clear();
    Status connected = connection_.connect(endpoint_, kDefaultConnectTimeout_ms);
    if (!connected.ok()) return Error{"admin: " + connected.error()};
  }
  std::string request(line);
  request.push_back('\n');
  Status sent = connection_.send_all(request, timeout_ms_);
  if (!sent.ok()) {
    connection_.close();
    return Error{"admin: " + sent.error()};
  }
  std::vector<std::string> output;
  for (;;) {
    Result<std::string> next = read_line();
    if (!next.ok()) {
      connection_.close();
      return Error{next.error()};
    }
    std::string& text = next.value();
    if (text == "ok") return output;
    if (text.starts_with("huh?")) return Error{"admin: " + text};
    if (output.size() == kAdminOutputLinesMax) {
      connection_.close();
      return Error{"admin: more than " + std::to_string(kAdminOutputLinesMax) + " output lines"};
    }
    output.push_back(std::move(text));
  }
}

Status AdminClient::flush() {
  Result<std::vector<std::string>> output = command("flush");
  if (!output.ok()) return Error{output.error()};
  return Ok{};
}

}  // namespace ringstat
