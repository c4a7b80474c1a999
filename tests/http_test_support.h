// Helpers for the HTTP unit tests: split encoded response bytes into status, headers and body,
// and undo gzip or deflate with zlib, so tests pin what a client would see on the wire.
#pragma once

#include <doctest/doctest.h>
#include <zlib.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ringstat::testing {

struct WireResponse {
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;  // in order, names as sent
  std::string body;

  // The value of the only header named `name` (exact case); nullopt when absent. A repeated
  // header fails the test.
  std::optional<std::string> header(std::string_view name) const {
    std::optional<std::string> found;
    for (const auto& [key, value] : headers) {
      if (key != name) continue;
      CHECK_MESSAGE(!found.has_value(), "header repeated: ", std::string(name));
      found = value;
    }
    return found;
  }
  std::vector<std::string> header_names() const {
    std::vector<std::string> names;
    for (const auto& header : headers) names.push_back(header.first);
    return names;
  }
};

// Parses `HTTP/1.1 <code> <reason>\r\n(<name>: <value>\r\n)*\r\n<body>`, failing the test on any
// deviation from that shape.
inline WireResponse parse_wire_response(std::string_view bytes) {
  WireResponse response;
  const size_t head_end = bytes.find("\r\n\r\n");
  REQUIRE(head_end != std::string_view::npos);
  std::string_view head = bytes.substr(0, head_end + 2);
  response.body = std::string(bytes.substr(head_end + 4));
  size_t line_end = head.find("\r\n");
  const std::string_view status_line = head.substr(0, line_end);
  REQUIRE(status_line.substr(0, 9) == "HTTP/1.1 ");
  REQUIRE(status_line.size() >= 13);
  REQUIRE(status_line[12] == ' ');
  response.status = std::atoi(std::string(status_line.substr(9, 3)).c_str());
  response.reason = std::string(status_line.substr(13));
  head.remove_prefix(line_end + 2);
  while (!head.empty()) {
    line_end = head.find("\r\n");
    const std::string_view line = head.substr(0, line_end);
    const size_t colon = line.find(": ");
    REQUIRE(colon != std::string_view::npos);
    response.headers.emplace_back(std::string(line.substr(0, colon)),
                                  std::string(line.substr(colon + 2)));
    head.remove_prefix(line_end + 2);
  }
  return response;
}

// Inflates a gzip member (gzip = true) or a zlib stream; fails the test unless the whole input is
// exactly one complete stream.
inline std::string inflate_body(std::string_view compressed, bool gzip) {
  z_stream stream{};
  REQUIRE(inflateInit2(&stream, gzip ? 15 + 16 : 15) == Z_OK);
  std::string out;
  char buffer[16384];
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  int status = Z_OK;
  while (status == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof(buffer);
    status = inflate(&stream, Z_NO_FLUSH);
    out.append(buffer, sizeof(buffer) - stream.avail_out);
  }
  CHECK(status == Z_STREAM_END);
  CHECK(stream.avail_in == 0);
  inflateEnd(&stream);
  return out;
}

}  // namespace ringstat::testing
