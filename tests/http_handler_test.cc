// The HTTP API of docs/http-api.md through HttpHandler, over real shards: GET /<counter>, HEAD,
// compression, listing, agents, metrics, OPTIONS, routing, 503, 500 and keep-alive.
#include "net/http/http_handler.h"

#include <doctest/doctest.h>

#include <string>

#include "engine/query/glob.h"
#include "fileformat/page_format.h"
#include "tests/http_handler_support.h"

namespace ringstat {
namespace {

using testing::FakeQueryService;
using testing::HandlerHarness;
using testing::inflate_body;
using testing::kTestNow;
using testing::WireResponse;

constexpr int64_t kSpecNow = 1795240565;
constexpr std::string_view kSpecGetBody =
    R"({"buckets":[{"data":{"avg":50,"count":2,"max":58,"min":42,"sdev":11.313708498984761,"sum":100,"sumsq":5128},"time":1795240560}],)"
    R"("end":1795240570,"interval":10,"start":1795239660})";

void add_spec_gauge(HandlerHarness& h) {
  h.service.set_now(kSpecNow);
  h.service.add("test.gauge", 42);
  h.service.add("test.gauge", 58);
}

// A counter with one sample every 10 s for `samples` buckets before now: a body well over 1 KiB.
void add_long_gauge(HandlerHarness& h, const std::string& name, int samples) {
  for (int i = 0; i < samples; ++i) h.service.add(name, 1.5 + i, kTestNow - 10 * samples + 10 * i);
}

void check_error(const WireResponse& response, int status, std::string_view message) {
  CHECK(response.status == status);
  CHECK(response.header("Content-Type") == "application/json");
  CHECK(response.header("Access-Control-Allow-Origin") == "*");
  CHECK(response.body == R"({"error":")" + std::string(message) + R"("})");
}

TEST_CASE("spec example: GET /<counter> with the default range, byte for byte") {
  HandlerHarness h;
  add_spec_gauge(h);
  const WireResponse response = h.get("/test.gauge");
  CHECK(response.status == 200);
  CHECK(response.reason == "OK");
  CHECK(response.body == kSpecGetBody);
  CHECK(h.last_bytes == "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                            std::to_string(kSpecGetBody.size()) +
                            "\r\nAccess-Control-Allow-Origin: *\r\n\r\n" +
                            std::string(kSpecGetBody));
  CHECK_FALSE(h.last_close);
}

TEST_CASE("counter names are case-insensitive, percent-decoded, and a leading * is ignored") {
  HandlerHarness h;
  add_spec_gauge(h);
  for (const char* target : {"/TEST.Gauge", "/*test.gauge", "/test%2Egauge", "/%2Atest.gauge"}) {
    CAPTURE(target);
    const WireResponse response = h.get(target);
    CHECK(response.status == 200);
    CHECK(response.body == kSpecGetBody);
  }
}

TEST_CASE("an unknown counter is 404 naming it as asked") {
  HandlerHarness h;
  check_error(h.get("/nope.Nope"), 404, "No such counter nope.Nope");
  check_error(h.get("/*"), 404, "No such counter *");
  const std::string long_name(400, 'a');
  check_error(h.get("/" + long_name), 404, "No such counter " + std::string(300, 'a') + "...");
}

TEST_CASE("GET parameter errors are 400 with the query layer's message") {
  HandlerHarness h;
  add_spec_gauge(h);
  check_error(h.get("/test.gauge?start=abc"), 400, "Bad integer argument start: abc");
  check_error(h.get("/test.gauge?start=-5"), 400, "Invalid start parameter");
  check_error(h.get("/test.gauge?start=100&end=50"), 400, "end must be greater than start");
  check_error(h.get("/test.gauge?samples=x"), 400, "Bad integer argument samples: x");
  check_error(h.get("/test.gauge?format=xml"), 400, "Bad format argument: xml (json or csv)");
  check_error(h.get("/test.gauge?start=%zz"), 400, "Bad percent-encoding in query string");
  check_error(h.get("/test%zz"), 400, "Bad percent-encoding in path");
}

TEST_CASE("spec example: the width ladder through HTTP (samples=45 gives width 30)") {
  HandlerHarness h;
  h.service.set_now(3000);
  for (int64_t t = 1610; t <= 2570; t += 10) h.service.add("ladder", 1, t);
  const WireResponse response = h.get("/ladder?start=1611&end=2509&samples=45");
  REQUIRE(response.status == 200);
  CHECK(response.body.ends_with(R"("end":2520,"interval":30,"start":1590})"));
}

TEST_CASE("spec example: CSV body, content type and CRLF lines") {
  HandlerHarness h;
  h.service.set_now(1795240545);
  h.service.add("csv.gauge", 7);
  const WireResponse response = h.get("/csv.gauge?start=1795240540&end=1795240550&format=csv");
  CHECK(response.status == 200);
  CHECK(response.header("Content-Type") == "text/csv");
  CHECK(response.body ==
        "ISO Time,Unix Timestamp,Sample Count,Minimum,Maximum,Sum,Sum Squared,Average,Standard "
        "Deviation\r\n2026-11-21T05:55:40Z,1795240540,1,7,7,7,49,7,0\r\n");
}

TEST_CASE("event counters are zero-filled through now over HTTP") {
  HandlerHarness h;
  h.service.set_now(10'000);
  h.service.add("ev", 30, 9'950, CounterKind::kEvent);
  const WireResponse response = h.get("/ev?start=9900&end=10100");
  std::string expected =
      R"({"buckets":[{"data":{"avg":3,"count":1,"max":3,"min":3,"sdev":0,"sum":3,"sumsq":9},"time":9950})";
  for (int64_t t = 9960; t <= 10'000; t += 10) {
    expected +=
        R"(,{"data":{"avg":0,"count":1,"max":0,"min":0,"sdev":0,"sum":0,"sumsq":0},"time":)" +
        std::to_string(t) + "}";
  }
  expected += R"(],"end":10100,"interval":10,"start":9900})";
  CHECK(response.body == expected);
}

TEST_CASE("HEAD answers GET's status and headers without a body") {
  HandlerHarness h;
  add_spec_gauge(h);
  const WireResponse get = h.get("/test.gauge");
  const WireResponse head = h.head("/test.gauge");
  CHECK(head.status == 200);
  CHECK(head.headers == get.headers);
  CHECK(head.body.empty());
  const WireResponse missing = h.head("/nope");
  CHECK(missing.status == 404);
  CHECK(missing.header("Content-Length") == std::to_string(h.get("/nope").body.size()));
  CHECK(missing.body.empty());
}

TEST_CASE("gzip and deflate bodies decompress to the identity body") {
  HandlerHarness h;
  add_long_gauge(h, "long.gauge", 80);
  const WireResponse plain = h.get("/long.gauge");
  REQUIRE(plain.status == 200);
  REQUIRE(plain.body.size() > kCompressMinBodyBytes);
  CHECK(plain.header("Vary") == "Accept-Encoding");
  CHECK_FALSE(plain.header("Content-Encoding").has_value());

  const WireResponse gzip = h.get("/long.gauge", "Accept-Encoding: gzip, deflate\r\n");
  CHECK(gzip.header("Content-Encoding") == "gzip");
  CHECK(gzip.header("Content-Length") == std::to_string(gzip.body.size()));
  CHECK(inflate_body(gzip.body, true) == plain.body);

  const WireResponse deflate = h.get("/long.gauge", "Accept-Encoding: gzip;q=0.5, deflate\r\n");
  CHECK(deflate.header("Content-Encoding") == "deflate");
  CHECK(inflate_body(deflate.body, false) == plain.body);

  const WireResponse refused = h.get("/long.gauge", "Accept-Encoding: gzip;q=0\r\n");
  CHECK_FALSE(refused.header("Content-Encoding").has_value());
  CHECK(refused.body == plain.body);

  const WireResponse head = h.head("/long.gauge", "Accept-Encoding: gzip\r\n");
  CHECK(head.header("Content-Encoding") == "gzip");
  CHECK(head.header("Content-Length") == std::to_string(gzip.body.size()));
  CHECK(head.body.empty());
}

TEST_CASE("a small body is never compressed") {
  HandlerHarness h;
  add_spec_gauge(h);
  const WireResponse response = h.get("/test.gauge", "Accept-Encoding: gzip\r\n");
  CHECK_FALSE(response.header("Content-Encoding").has_value());
  CHECK(response.body == kSpecGetBody);
}

TEST_CASE("spec example: listing web.* across shards, sorted, with a prefix entry") {
  HandlerHarness h;
  for (const char* name : {"web.requests.latency", "db.load", "web.batch"}) h.service.add(name, 1);
  const WireResponse response = h.get("/?q=web.*");
  CHECK(response.status == 200);
  CHECK(response.header("Content-Type") == "application/json");
  CHECK(response.body ==
        R"({"type_mapping":{"0":"gauge","1":"counter","2":"aggregate"},"pattern":"web.*",)"
        R"("matching_names":[{"is_leaf":true,"type":0,"name":"web.batch"},)"
        R"({"is_leaf":false,"type":2,"name":"web.requests"},)"
        R"({"is_leaf":true,"type":0,"name":"web.requests.latency"}]})");
}

TEST_CASE("listing patterns are decoded and echoed; events are type 1; ? stops at dots") {
  HandlerHarness h;
  h.service.add("a.b", 1);
  h.service.add("a.b.c", 1);
  h.service.add("a.ev", 5, std::nullopt, CounterKind::kEvent);
  const WireResponse response = h.get("/?q=a%2E%3F");
  CHECK(response.body ==
        R"({"type_mapping":{"0":"gauge","1":"counter","2":"aggregate"},"pattern":"a.?",)"
        R"("matching_names":[{"is_leaf":false,"type":0,"name":"a.b"},)"
        R"({"is_leaf":true,"type":1,"name":"a.ev"}]})");
  const WireResponse none = h.get("/?q=");
  CHECK(none.body.ends_with(R"("pattern":"","matching_names":[]})"));
}

TEST_CASE("a listing pattern over 1024 bytes is 400") {
  HandlerHarness h;
  check_error(h.get("/?q=" + std::string(kGlobPatternBytesMax + 1, 'a')), 400,
              "Pattern longer than 1024 bytes");
  CHECK(h.get("/?q=" + std::string(kGlobPatternBytesMax, 'a')).status == 200);
}

TEST_CASE("spec example: GET /?a= lists agents in the spec's element order") {
  HandlerHarness h;
  AgentInfo agent;
  agent.meta = {{"hostname", "web42"}, {"version", "1.2"}};
  agent.peer = "127.0.0.1:46784";
  agent.online = true;
  agent.connected_s = 1795240585;
  agent.idle_s = 1;
  h.service.agents_.push_back(agent);
  const WireResponse response = h.get("/?a=*");
  CHECK(response.status == 200);
  CHECK(response.header("Content-Type") == "application/json");
  CHECK(response.body ==
        R"({"count":1,"agents":[{"hostname":"web42","version":"1.2","_peer":"127.0.0.1:46784",)"
        R"("_online":true,"_connected":"2026-11-21T05:56:25Z","_idle":1}]})");
}

TEST_CASE("agents: no agents, ?a without a value, and meta keys that would collide") {
  HandlerHarness h;
  CHECK(h.get("/?a").body == R"({"count":0,"agents":[]})");
  AgentInfo agent;
  agent.meta = {{"_peer", "spoofed"}, {"host\"name", "a\nb"}, {"host\"name", "again"}};
  agent.peer = "[::1]:5";
  h.service.agents_.push_back(agent);
  CHECK(h.get("/?a=1&q=x").body ==
        R"({"count":1,"agents":[{"host\"name":"a\u000ab","_peer":"[::1]:5","_online":false,)"
        R"("_connected":"1970-01-01T00:00:00Z","_idle":0}]})");
}

TEST_CASE("GET /metrics is the service's Prometheus text with the 0.0.4 content type") {
  HandlerHarness h;
  h.service.metrics_ = "# HELP up Up.\n# TYPE up gauge\nup 1\n";
  const WireResponse response = h.get("/metrics");
  CHECK(response.status == 200);
  CHECK(response.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(response.body == h.service.metrics_);
}

TEST_CASE("OPTIONS on any path is 204 with the CORS preflight headers") {
  HandlerHarness h;
  for (const char* target : {"/", "/anything", "*", "/%zz"}) {
    CAPTURE(target);
    const WireResponse response =
        h.raw("OPTIONS " + std::string(target) + " HTTP/1.1\r\nHost: t\r\n\r\n");
    CHECK(response.status == 204);
    CHECK(response.reason == "No Content");
    CHECK(response.header_names() == std::vector<std::string>{"Access-Control-Allow-Origin",
                                                              "Access-Control-Allow-Methods",
                                                              "Access-Control-Allow-Headers"});
    CHECK(response.header("Access-Control-Allow-Methods") == "GET, HEAD, POST, OPTIONS");
    CHECK(response.header("Access-Control-Allow-Headers") == "Content-Type");
    CHECK(response.body.empty());
  }
}

TEST_CASE("GET / and /files/... are 404 and never read a file") {
  HandlerHarness h;
  check_error(h.get("/"), 404, "Not found: / (no web UI in this version)");
  check_error(h.get("/?f=index.html"), 404, "Not found: / (no web UI in this version)");
  check_error(h.get("/files/index.html"), 404, "Not found: /files/index.html");
  check_error(h.get("/files/..%2F..%2Fetc%2Fpasswd"), 404, "Not found: /files/../../etc/passwd");
  check_error(h.get("/files"), 404, "Not found: /files");
}

TEST_CASE("without a store, data requests are 503 and the rest still answer") {
  HandlerHarness h;
  h.service.has_store_ = false;
  check_error(h.get("/test.gauge"), 503, "No store configured");
  check_error(h.get("/?q=*"), 503, "No store configured");
  check_error(h.post("/*", R"({"keys":["a"]})"), 503, "No store configured");
  CHECK(h.get("/?a=1").status == 200);
  CHECK(h.get("/metrics").status == 200);
  CHECK(h.raw("OPTIONS / HTTP/1.1\r\nHost: t\r\n\r\n").status == 204);
  CHECK(h.service.queries_ == 0);
}

// Flips a byte in every counter page of one shard's page file, then restarts that shard.
void corrupt_all_pages(testing::ShardHarness& shard) {
  shard.flush_all();
  std::vector<std::byte> pages = shard.store().durable_bytes(StoreFile::kPages);
  size_t corrupted = 0;
  for (size_t offset = kPageBytes; offset + kPageBytes <= pages.size(); offset += kPageBytes) {
    auto page = std::span<const std::byte, kPageBytes>(pages.data() + offset, kPageBytes);
    if (decode_page(page).ok()) {
      pages[offset + 100] ^= std::byte{0x40};
      ++corrupted;
    }
  }
  REQUIRE(corrupted > 0);
  shard.store().load_file(StoreFile::kPages, pages);
  shard.restart();
}

ShardConfig flushing_config() {
  ShardConfig config = FakeQueryService::service_shard_config();
  config.flush_threshold = 1;
  return config;
}

TEST_CASE("a counter with corrupt pages is 500 naming it, never partial data") {
  HandlerHarness h(flushing_config());
  h.service.add("victim", 1, kTestNow - 5000);
  corrupt_all_pages(h.service.shard_for("victim"));
  const std::string range =
      "?start=" + std::to_string(kTestNow - 5100) + "&end=" + std::to_string(kTestNow - 4900);
  check_error(h.get("/victim" + range), 500,
              "Counter victim has corrupt data: 1 page fails its checks");
  check_error(h.get("/victim" + range + "&format=csv"), 500,
              "Counter victim has corrupt data: 1 page fails its checks");
}

TEST_CASE("a failed page read is 500 naming the counter") {
  HandlerHarness h(flushing_config());
  h.service.add("unlucky", 1, kTestNow - 5000);
  testing::ShardHarness& shard = h.service.shard_for("unlucky");
  shard.flush_all();
  shard.store().set_faults(SimFaults{0, 1.0, true, 1 << 20});
  check_error(h.get("/unlucky?start=" + std::to_string(kTestNow - 5100) +
                    "&end=" + std::to_string(kTestNow - 4900)),
              500, "I/O error reading counter unlucky");
}

TEST_CASE("keep-alive: HTTP/1.1 keeps, close closes, HTTP/1.0 closes unless asked") {
  HandlerHarness h;
  const WireResponse kept = h.raw("GET /x HTTP/1.1\r\nHost: t\r\n\r\n");
  CHECK_FALSE(h.last_close);
  CHECK_FALSE(kept.header("Connection").has_value());

  const WireResponse closed = h.raw("GET /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  CHECK(h.last_close);
  CHECK(closed.header("Connection") == "close");

  const WireResponse old = h.raw("GET /x HTTP/1.0\r\n\r\n");
  CHECK(h.last_close);
  CHECK(old.header("Connection") == "close");

  const WireResponse old_kept = h.raw("GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  CHECK_FALSE(h.last_close);
  CHECK(old_kept.header("Connection") == "keep-alive");
}

TEST_CASE("reject answers a parse error with its status and Connection: close") {
  HandlerHarness h;
  const HttpParseResult parsed = parse_http_request("BREW /pot HTTP/1.1\r\n");
  REQUIRE(parsed.status == HttpParseStatus::kError);
  const EncodedResponse encoded = h.handler.reject(parsed.error_status, parsed.error_message);
  CHECK(encoded.close);
  CHECK(encoded.status == HttpStatus::kMethodNotAllowed);
  const WireResponse response = testing::parse_wire_response(encoded.bytes);
  check_error(response, 405, "Method not allowed");
  CHECK(response.header("Allow") == "GET, HEAD, POST, OPTIONS");
  CHECK(response.header("Connection") == "close");

  const HttpParseResult big =
      parse_http_request("GET / HTTP/1.1\r\nX: " + std::string(kHeaderBytesMax, 'a'));
  REQUIRE(big.status == HttpParseStatus::kError);
  check_error(
      testing::parse_wire_response(h.handler.reject(big.error_status, big.error_message).bytes),
      413, "Request head larger than 16384 bytes");
}

}  // namespace
}  // namespace ringstat
