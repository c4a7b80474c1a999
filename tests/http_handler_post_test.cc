// POST /* through HttpHandler over real shards: the spec example, compact, the fallback range,
// repeated and impossible keys, asynchronous answers, errors and routing.
#include <doctest/doctest.h>

#include <string>

#include "net/http/http_handler.h"
#include "tests/http_handler_support.h"

namespace ringstat {
namespace {

using testing::HandlerHarness;
using testing::WireResponse;

constexpr int64_t kSpecNow = 1795240565;
constexpr std::string_view kSpecPostRequest =
    R"({"keys":["nope.nope","test.gauge"],"start":1795240450,"stop":1795240575})";
constexpr std::string_view kSpecPostBody =
    R"({"nope.nope":"Not found.",)"
    R"("test.gauge":{"start":1795240450,"end":1795240580,"interval":10,)"
    R"("data":[{"time":1795240560,"count":2,"min":42,"max":58,"sum":100,"sumsq":5128,"avg":50,"sdev":11.313708498984761}]},)"
    R"("start":1795240450,"stop":1795240580,"interval":10})";

void add_spec_gauge(HandlerHarness& h) {
  h.service.set_now(kSpecNow);
  h.service.add("test.gauge", 42);
  h.service.add("test.gauge", 58);
}

void check_error(const WireResponse& response, int status, std::string_view message) {
  CHECK(response.status == status);
  CHECK(response.header("Content-Type") == "application/json");
  CHECK(response.header("Access-Control-Allow-Origin") == "*");
  CHECK(response.body == R"({"error":")" + std::string(message) + R"("})");
}

TEST_CASE("spec example: POST /* with a missing key, byte for byte") {
  HandlerHarness h;
  add_spec_gauge(h);
  const WireResponse response = h.post("/*", kSpecPostRequest);
  CHECK(response.status == 200);
  CHECK(response.header("Content-Type") == "application/json");
  CHECK(response.header("Access-Control-Allow-Origin") == "*");
  CHECK(response.body == kSpecPostBody);
}

TEST_CASE("POST /%2A and /%2a are the same target") {
  HandlerHarness h;
  add_spec_gauge(h);
  CHECK(h.post("/%2A", kSpecPostRequest).body == kSpecPostBody);
  CHECK(h.post("/%2a", kSpecPostRequest).body == kSpecPostBody);
}

TEST_CASE("compact buckets are arrays in the spec's order") {
  HandlerHarness h;
  add_spec_gauge(h);
  const WireResponse response = h.post(
      "/*", R"({"keys":["test.gauge"],"start":1795240450,"stop":1795240575,"compact":true})");
  CHECK(response.body == R"({"test.gauge":{"start":1795240450,"end":1795240580,"interval":10,)"
                         R"("data":[[1795240560,2,42,58,100,5128,50,11.313708498984761]]},)"
                         R"("start":1795240450,"stop":1795240580,"interval":10})");
}

TEST_CASE("when no key is found the range comes from the default retention") {
  HandlerHarness h;
  h.service.set_now(kSpecNow);
  const WireResponse response =
      h.post("/*", R"({"keys":["nope"],"start":1795240450,"stop":1795240575})");
  CHECK(response.status == 200);
  CHECK(response.body ==
        R"({"nope":"Not found.","start":1795240450,"stop":1795240580,"interval":10})");
  // No keys at all, default range [now-900, now] on the 10 s level.
  CHECK(h.post("/*", R"({"keys":[]})").body ==
        R"({"start":1795239660,"stop":1795240570,"interval":10})");
  CHECK(h.service.queries_ == 1);
}

TEST_CASE("a repeated key is queried and answered once; names match case-insensitively") {
  HandlerHarness h;
  add_spec_gauge(h);
  const WireResponse response = h.post(
      "/*", R"({"keys":["TEST.Gauge","TEST.Gauge","x"],"start":1795240450,"stop":1795240575})");
  CHECK(
      response.body ==
      R"({"TEST.Gauge":{"start":1795240450,"end":1795240580,"interval":10,)"
      R"("data":[{"time":1795240560,"count":2,"min":42,"max":58,"sum":100,"sumsq":5128,"avg":50,"sdev":11.313708498984761}]},)"
      R"("x":"Not found.","start":1795240450,"stop":1795240580,"interval":10})");
  CHECK(h.service.queries_ == 2);
}

TEST_CASE("keys that cannot name a counter are not found without a query") {
  HandlerHarness h;
  h.service.set_now(kSpecNow);
  const std::string long_key(300, 'k');
  const WireResponse response = h.post(
      "/*", R"({"keys":["",")" + long_key + R"(","*"],"start":1795240450,"stop":1795240575})");
  CHECK(response.body == R"({"":"Not found.",")" + long_key +
                             R"(":"Not found.","*":"Not found.","start":1795240450,)"
                             R"("stop":1795240580,"interval":10})");
  CHECK(h.service.queries_ == 0);
}

TEST_CASE("maxSamples reduces every counter with the width ladder") {
  HandlerHarness h;
  h.service.set_now(3000);
  for (int64_t t = 1610; t <= 2570; t += 10) h.service.add("ladder", 1, t);
  const WireResponse response =
      h.post("/*", R"({"keys":["ladder"],"start":1611,"stop":2509,"maxSamples":45})");
  CHECK(response.status == 200);
  CHECK(response.body.starts_with(R"({"ladder":{"start":1590,"end":2520,"interval":30,)"));
  CHECK(response.body.ends_with(R"("start":1590,"stop":2520,"interval":30})"));
}

TEST_CASE("asynchronous answers over many keys arrive once, in request order") {
  HandlerHarness sync;
  HandlerHarness async;
  std::string keys;
  for (int i = 0; i < 40; ++i) {
    const std::string name = "k" + std::to_string(i);
    if (i % 3 == 0) {
      sync.service.add(name, i);
      async.service.add(name, i);
    }
    keys += (i == 0 ? "\"" : ",\"") + name + "\"";
  }
  const std::string body = R"({"keys":[)" + keys + R"(],"compact":true})";
  const WireResponse expected = sync.post("/*", body);
  REQUIRE(expected.status == 200);

  async.service.hold_completions_ = true;
  HttpParseResult parsed = parse_http_request("POST /* HTTP/1.1\r\nHost: t\r\nContent-Length: " +
                                              std::to_string(body.size()) + "\r\n\r\n" + body);
  REQUIRE(parsed.status == HttpParseStatus::kComplete);
  int answers = 0;
  std::string bytes;
  async.handler.handle(parsed.request, [&](EncodedResponse response) {
    ++answers;
    bytes = std::move(response.bytes);
  });
  CHECK(answers == 0);
  // The first window of queries is out; the rest wait for answers.
  CHECK(async.service.queries_ == kPostQueriesInFlightMax);
  for (int i = 0; i < 100 && answers == 0; ++i) async.service.deliver();
  CHECK(answers == 1);
  CHECK(async.service.queries_ == 40);
  CHECK(testing::parse_wire_response(bytes).body == expected.body);
}

TEST_CASE("thousands of keys answered synchronously do not recurse") {
  HandlerHarness h;
  h.service.add("k5", 1);
  std::string keys;
  for (int i = 0; i < 5000; ++i) keys += (i == 0 ? "\"k" : ",\"k") + std::to_string(i) + "\"";
  const WireResponse response = h.post("/*", R"({"keys":[)" + keys + "]}");
  CHECK(response.status == 200);
  CHECK(h.service.queries_ == 5000);
  CHECK(response.body.find(R"("k5":{"start")") != std::string::npos);
  CHECK(response.body.find(R"("k4999":"Not found.")") != std::string::npos);
}

TEST_CASE("POST body errors are 400 with one-line messages") {
  HandlerHarness h;
  h.service.set_now(kSpecNow);
  check_error(h.post("/*", R"({"start":1})"), 400, "Missing 'keys' array of keys");
  check_error(h.post("/*", R"({"keys":"a"})"), 400, "Missing 'keys' array of keys");
  check_error(h.post("/*", ""), 400,
              "Invalid JSON body: parse error at line 1, column 1: syntax error while parsing "
              "value - unexpected end of input; "
              "expected '[', '{', or a literal");
  check_error(h.post("/*", R"({"keys":[],"start":10,"stop":5})"), 400,
              "stop must be greater than start");
  check_error(h.post("/*", R"({"keys":[],"start":-10})"), 400,
              "Invalid 'start' parameter: must be a non-negative integer");
  check_error(h.post("/*", R"({"keys":[],"maxSamples":1.5})"), 400,
              "Invalid 'maxSamples' parameter: must be a non-negative integer");
  check_error(h.post("/*", R"({"keys":[],"stop":253402300800})"), 400,
              "stop out of range: 253402300800 (at most 253402300799)");
  CHECK(h.service.queries_ == 0);
}

TEST_CASE("the Content-Type of a POST is not checked (istatd's UI posts JSON as a form)") {
  HandlerHarness h;
  add_spec_gauge(h);
  CHECK(h.post("/*", kSpecPostRequest,
               "Content-Type: application/x-www-form-urlencoded; charset=UTF-8\r\n")
            .body == kSpecPostBody);
}

TEST_CASE("POST to any other path is 404 No such POST target") {
  HandlerHarness h;
  check_error(h.post("/", R"({"keys":[]})"), 404, "No such POST target");
  check_error(h.post("/?s=dashboards", "{}"), 404, "No such POST target");
  check_error(h.post("/test.gauge", "{}"), 404, "No such POST target");
  check_error(h.post("/**", "{}"), 404, "No such POST target");
}

TEST_CASE("a corrupt counter in a POST is 500 naming its key") {
  ShardConfig config = testing::FakeQueryService::service_shard_config();
  config.flush_threshold = 1;
  HandlerHarness h(config);
  h.service.add("bad.one", 1, testing::kTestNow - 5000);
  testing::ShardHarness& shard = h.service.shard_for("bad.one");
  shard.flush_all();
  shard.store().set_faults(SimFaults{0, 1.0, true, 1 << 20});
  const std::string body = R"({"keys":["missing","BAD.one"],"start":)" +
                           std::to_string(testing::kTestNow - 5100) + R"(,"stop":)" +
                           std::to_string(testing::kTestNow - 4900) + "}";
  check_error(h.post("/*", body), 500, "I/O error reading counter BAD.one");
}

TEST_CASE("POST responses follow keep-alive and compression like any other") {
  HandlerHarness h;
  std::string keys;
  for (int i = 0; i < 100; ++i)
    keys += (i == 0 ? "\"missing." : ",\"missing.") + std::to_string(i) + "\"";
  const std::string body = R"({"keys":[)" + keys + "]}";
  const WireResponse plain = h.post("/*", body);
  REQUIRE(plain.body.size() > kCompressMinBodyBytes);
  const WireResponse gzip = h.post("/*", body, "Accept-Encoding: gzip\r\nConnection: close\r\n");
  CHECK(h.last_close);
  CHECK(gzip.header("Connection") == "close");
  CHECK(gzip.header("Content-Encoding") == "gzip");
  CHECK(testing::inflate_body(gzip.body, true) == plain.body);
}

}  // namespace
}  // namespace ringstat
