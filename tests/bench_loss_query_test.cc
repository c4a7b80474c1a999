// Tests of the bench's loss check and query load: the pure pieces, then HttpClient, AdminClient,
// check_ringstat_loss and QueryLoad against small loopback servers run by the test.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "net/http/post_body.h"
#include "perf/bench/admin_client.h"
#include "perf/bench/http_client.h"
#include "perf/bench/loss_check.h"
#include "perf/bench/query_load.h"
#include "perf/bench/workload.h"

namespace ringstat {
namespace {

// A loopback TCP server for tests: one thread per connection; `serve` gets the connection's
// bytes so far and returns {reply, consumed} once it has a whole request (consumed 0 = need
// more). Test code only.
class FakeServer {
 public:
  struct Answer {
    std::string reply;
    size_t consumed = 0;
    bool close_after = false;
  };
  using Serve = std::function<Answer(std::string_view received)>;

  explicit FakeServer(Serve serve) : serve_(std::move(serve)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    VERIFY(listen_fd_ >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    VERIFY(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
    VERIFY(::listen(listen_fd_, 16) == 0);
    socklen_t length = sizeof(address);
    VERIFY(::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~FakeServer() {
    stopping_ = true;
    ::shutdown(listen_fd_, SHUT_RDWR);
    acceptor_.join();
    ::close(listen_fd_);
    std::lock_guard<std::mutex> lock(mutex_);
    for (int fd : connection_fds_) ::shutdown(fd, SHUT_RDWR);
    for (std::thread& thread : connections_) thread.join();
    for (int fd : connection_fds_) ::close(fd);
  }

  TcpEndpoint endpoint() const { return {"127.0.0.1", port_}; }
  int accepted() const { return accepted_; }

 private:
  void accept_loop() {
    while (!stopping_) {
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) return;
      ++accepted_;
      std::lock_guard<std::mutex> lock(mutex_);
      connection_fds_.push_back(fd);
      connections_.emplace_back([this, fd] { serve_connection(fd); });
    }
  }
  void serve_connection(int fd) {
    std::string received;
    char chunk[65536];
    for (;;) {
      ssize_t got = ::recv(fd, chunk, sizeof(chunk), 0);
      if (got <= 0) return;
      received.append(chunk, static_cast<size_t>(got));
      for (;;) {
        Answer answer = serve_(received);
        if (answer.consumed == 0) break;
        received.erase(0, answer.consumed);
        if (::send(fd, answer.reply.data(), answer.reply.size(), MSG_NOSIGNAL) < 0) return;
        if (answer.close_after) {
          ::shutdown(fd, SHUT_RDWR);
          return;
        }
      }
    }
  }

  Serve serve_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<int> connection_fds_;
  std::vector<std::thread> connections_;
};

// Splits one whole HTTP request off `received`: its head and body, and its length (0 when the
// request is not complete yet).
struct SplitRequest {
  std::string head;
  std::string body;
  size_t length = 0;
};
SplitRequest split_request(std::string_view received) {
  size_t head_end = received.find("\r\n\r\n");
  if (head_end == std::string_view::npos) return {};
  std::string head(received.substr(0, head_end));
  size_t body_bytes = 0;
  if (size_t at = head.find("Content-Length: "); at != std::string::npos) {
    body_bytes = std::stoul(head.substr(at + 16));
  }
  if (received.size() < head_end + 4 + body_bytes) return {};
  return {head, std::string(received.substr(head_end + 4, body_bytes)), head_end + 4 + body_bytes};
}

std::string ok_reply(std::string_view body) {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
         std::string(body);
}

// A fake ringstat: the admin port answers `flush` with `ok`, the HTTP port answers POST /* from
// `stored_rounds` (counter i holds rounds [0, stored_rounds[i]) of the workload), compact or
// not, with "Not found." for a counter with no rounds.
struct FakeRingstat {
  WorkloadPlan plan;
  std::vector<uint32_t> stored_rounds;
  std::atomic<int> flushes{0};
  std::atomic<int> posts{0};
  int64_t last_start = -1;
  int64_t last_stop = -1;
  std::mutex mutex;

  std::string answer_post(const PostBody& body) {
    std::string out = "{";
    for (const std::string& key : body.keys) {
      std::optional<uint32_t> index = parse_counter_index(key);
      VERIFY(index.has_value());
      out += "\"" + key + "\":";
      if (stored_rounds[*index] == 0) {
        out += "\"Not found.\",";
        continue;
      }
      out += "{\"start\":1,\"end\":2,\"interval\":10,\"data\":[";
      for (uint32_t r = 0; r < stored_rounds[*index]; ++r) {
        if (r != 0) out += ',';
        std::string t = std::to_string(sample_time(plan, r));
        std::string v = std::to_string(sample_value(*index, r));
        if (body.compact) {
          out += "[" + t + ",1," + v + "," + v + "," + v + "," + v + "," + v + ",0]";
        } else {
          out += "{\"time\":" + t + ",\"count\":1,\"min\":" + v + ",\"max\":" + v +
                 ",\"sum\":" + v + ",\"sumsq\":0,\"avg\":" + v + ",\"sdev\":0}";
        }
      }
      out += "]},";
    }
    out += "\"start\":0,\"stop\":1,\"interval\":10}";
    return out;
  }

  FakeServer::Answer serve_http(std::string_view received) {
    SplitRequest request = split_request(received);
    if (request.length == 0) return {};
    ++posts;
    Result<PostBody> body = parse_post_body(request.body);
    VERIFY(body.ok());
    {
      std::lock_guard<std::mutex> lock(mutex);
      last_start = body.value().start.value_or(-1);
      last_stop = body.value().stop.value_or(-1);
    }
    return {ok_reply(answer_post(body.value())), request.length};
  }

  FakeServer::Answer serve_admin(std::string_view received) {
    size_t newline = received.find('\n');
    if (newline == std::string_view::npos) return {};
    std::string_view line = received.substr(0, newline);
    if (line == "flush") {
      ++flushes;
      return {"ok\n", newline + 1};
    }
    return {"huh? unknown command\n", newline + 1};
  }
};

}  // namespace

TEST_CASE("counter index parses every workload name and nothing else") {
  for (uint32_t i : {0u, 1u, 999u, 1000u, 12345u, 9'999'999u}) {
    CHECK(parse_counter_index(counter_name(i)) == std::optional<uint32_t>(i));
  }
  CHECK_FALSE(parse_counter_index("rsb.h0000.m1000"));  // member part is below 1000
  CHECK_FALSE(parse_counter_index("rsb.h000x.m0001"));
  CHECK_FALSE(parse_counter_index("rsb.h0000.m00001"));
  CHECK_FALSE(parse_counter_index("rsb.h0000-m0001"));
  CHECK_FALSE(parse_counter_index("start"));
}

TEST_CASE("loss query body is a valid POST /* body naming the batch's counters") {
  std::string body = loss_query_body(998, 3, TimeRange{100, 130}, 0);
  Result<PostBody> parsed = parse_post_body(body);
  REQUIRE(parsed.ok());
  CHECK(parsed.value().keys ==
        std::vector<std::string>{"rsb.h0000.m0998", "rsb.h0000.m0999", "rsb.h0001.m0000"});
  CHECK(parsed.value().start == std::optional<int64_t>(100));
  CHECK(parsed.value().stop == std::optional<int64_t>(130));
  CHECK(parsed.value().samples_max == std::optional<int64_t>(0));
  CHECK(parsed.value().compact);
}

TEST_CASE("query range covers every round with explicit timestamps, else the widened wall clock") {
  WorkloadPlan plan{.counters = 3, .t0 = 1000, .explicit_timestamps = true};
  SentLedger ledger{.rounds = {2, 5, 0}};
  TimeRange range = loss_query_range(plan, ledger, {});
  CHECK(range.start_s == 1000);
  CHECK(range.stop_s == 1050);  // the last sample is at 1040 and the stop is exclusive
  plan.explicit_timestamps = false;
  LossCheckOptions options{.wall_start_s = 5000, .wall_end_s = 5100};
  range = loss_query_range(plan, ledger, options);
  CHECK(range.start_s == 5000 - kWallClockMargin_s);
  CHECK(range.stop_s == 5100 + kWallClockMargin_s);
  options.wall_start_s = 10;
  CHECK(loss_query_range(plan, ledger, options).start_s == 0);
}

TEST_CASE("post reply sums compact and object buckets and leaves Not found at zero") {
  std::vector<StoredTotals> totals(3);
  Status summed = sum_post_reply(
      R"({"rsb.h0000.m0005":{"start":1,"end":2,"interval":10,"data":[[10,2,1,5,6,26,3,1],)"
      R"([20,1,7,7,7.5,49,7,0]]},"rsb.h0000.m0006":"Not found.",)"
      R"("rsb.h0000.m0007":{"start":1,"end":2,"interval":10,"data":[{"time":10,"count":3,)"
      R"("min":1,"max":1,"sum":3,"sumsq":3,"avg":1,"sdev":0}]},"start":0,"stop":1,"interval":10})",
      5, totals);
  REQUIRE(summed.ok());
  CHECK(totals[0].count == 3);
  CHECK(totals[0].sum == 13.5);
  CHECK(totals[0].found);
  CHECK(totals[1].count == 0);
  CHECK_FALSE(totals[1].found);
  CHECK(totals[2].count == 3);
  CHECK(totals[2].sum == 3);
}

TEST_CASE("post reply naming a counter outside the batch or not JSON is an error") {
  std::vector<StoredTotals> totals(2);
  CHECK_FALSE(sum_post_reply(R"({"rsb.h0000.m0002":"Not found."})", 0, totals).ok());
  CHECK_FALSE(sum_post_reply(R"({"other.name":"Not found."})", 0, totals).ok());
  CHECK_FALSE(sum_post_reply(R"({"rsb.h0000.m0001":{"data":[[1,1,)", 0, totals).ok());
  CHECK(sum_post_reply(R"({"rsb.h0000.m0001":{"data":[]}})", 0, totals).ok());
  CHECK(totals[1].found);
}

TEST_CASE("ledger comparison counts lost and extra separately and names five examples") {
  SentLedger ledger{.rounds = std::vector<uint32_t>(10, 3)};
  std::vector<StoredTotals> totals(10);
  for (uint32_t i = 0; i < 10; ++i) {
    totals[i] = {ledger.expected_count(i), static_cast<double>(ledger.expected_sum(i)), true};
  }
  totals[1].count -= 2;  // lost two
  totals[2].count += 1;  // one extra
  totals[3].sum += 1;    // right count, wrong sum
  totals[4] = {};        // missing
  totals[5].count = 0;   // lost all but answered
  totals[6].count -= 1;  // a sixth wrong counter, not among the examples
  LossReport report;
  compare_with_ledger(ledger, totals, report);
  CHECK(report.counters_checked == 10);
  CHECK(report.samples_sent == 30);
  CHECK(report.samples_lost == 2 + 3 + 3 + 1);
  CHECK(report.samples_extra == 1);
  CHECK(report.samples_stored == 30 - 9 + 1);
  CHECK(report.counters_wrong == 6);
  CHECK(report.counters_missing == 1);
  REQUIRE(report.examples.size() == kMismatchExamplesMax);
  CHECK(report.examples[0].name == "rsb.h0000.m0001");
  CHECK(report.examples[2].sent_sum == ledger.expected_sum(3));
  CHECK(report.examples[2].stored_sum == static_cast<double>(ledger.expected_sum(3) + 1));
  CHECK_FALSE(report.passed());
}

TEST_CASE("query requests: one day of buckets, one host's listing, 100 keys over an hour") {
  std::mt19937_64 rng(7);
  QueryRequest day = make_query_request(QueryKind::kDay, 12345, 20000, 100000, rng);
  CHECK(day.path == "/rsb.h0012.m0345?start=13600&end=100000&samples=0");
  CHECK(day.body.empty());
  QueryRequest list = make_query_request(QueryKind::kList, 12345, 20000, 100000, rng);
  CHECK(list.path == "/?q=rsb.h0012.*");
  QueryRequest vm = make_query_request(QueryKind::kVmDay, 5, 20000, 100000, rng);
  CHECK(vm.path ==
        "/api/v1/query_range?query=rsb.h0000.m0005&start=13600&end=100000&step=10&nocache=1");
  QueryRequest post = make_query_request(QueryKind::kPost, 7, 20, 100000, rng);
  CHECK(post.path == "/*");
  Result<PostBody> parsed = parse_post_body(post.body);
  REQUIRE(parsed.ok());
  REQUIRE(parsed.value().keys.size() == kPostQueryKeys);
  CHECK(parsed.value().keys[0] == "rsb.h0000.m0007");
  for (const std::string& key : parsed.value().keys) {
    REQUIRE(parse_counter_index(key).has_value());
    CHECK(*parse_counter_index(key) < 20);
  }
  CHECK(parsed.value().start == std::optional<int64_t>(100000 - kHour_s));
  CHECK(parsed.value().stop == std::optional<int64_t>(100000));
}

TEST_CASE("query kind names round-trip") {
  for (QueryKind kind : {QueryKind::kDay, QueryKind::kList, QueryKind::kPost, QueryKind::kVmDay}) {
    CHECK(parse_query_kind(query_kind_name(kind)) == std::optional<QueryKind>(kind));
  }
  CHECK_FALSE(parse_query_kind("week"));
}

TEST_CASE("http client keeps one connection for several requests") {
  FakeServer server([](std::string_view received) -> FakeServer::Answer {
    SplitRequest request = split_request(received);
    if (request.length == 0) return {};
    return {ok_reply(request.head.substr(0, request.head.find(' ')) + ":" + request.body),
            request.length};
  });
  HttpClient http(server.endpoint());
  Result<HttpReply> first = http.get("/a");
  REQUIRE(first.ok());
  CHECK(first.value().body == "GET:");
  Result<HttpReply> second = http.post("/*", "xyz", "application/json");
  REQUIRE(second.ok());
  CHECK(second.value().body == "POST:xyz");
  CHECK(http.stats().connects == 1);
  CHECK(http.stats().requests == 2);
  CHECK(server.accepted() == 1);
}

TEST_CASE("http client sends again on a new connection when the server closed an idle one") {
  // Every connection answers one request and closes without saying so: the next request on it
  // finds the connection gone before any answer, and the client must retry on a new one.
  FakeServer server([](std::string_view received) -> FakeServer::Answer {
    SplitRequest request = split_request(received);
    if (request.length == 0) return {};
    return {ok_reply("fine"), request.length, true};
  });
  HttpClient http(server.endpoint());
  for (int i = 0; i < 3; ++i) {
    Result<HttpReply> reply = http.get("/x");
    REQUIRE_MESSAGE(reply.ok(), reply.error());
    CHECK(reply.value().body == "fine");
  }
  CHECK(http.stats().requests == 3);
  CHECK(http.stats().connects == 3);
}

TEST_CASE("http client reads chunked answers and reconnects after Connection: close") {
  FakeServer server([](std::string_view received) -> FakeServer::Answer {
    SplitRequest request = split_request(received);
    if (request.length == 0) return {};
    return {
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
        request.length, true};
  });
  HttpClient http(server.endpoint());
  for (int i = 0; i < 2; ++i) {
    Result<HttpReply> reply = http.get("/");
    REQUIRE(reply.ok());
    CHECK(reply.value().body == "abcde");
    CHECK_FALSE(http.is_connected());
  }
  CHECK(http.stats().retries == 0);
  CHECK(http.stats().connects == 2);
}

TEST_CASE("http client reports a refused connection and a server that never answers") {
  uint16_t closed_port = 0;
  {
    FakeServer gone([](std::string_view) -> FakeServer::Answer { return {}; });
    closed_port = gone.endpoint().port;
  }
  HttpClient refused(TcpEndpoint{"127.0.0.1", closed_port});
  CHECK_FALSE(refused.get("/").ok());

  FakeServer silent([](std::string_view) -> FakeServer::Answer { return {}; });
  HttpClient http(silent.endpoint(), HttpClientOptions{.io_timeout_ms = 50});
  Result<HttpReply> reply = http.get("/");
  REQUIRE_FALSE(reply.ok());
  CHECK(reply.error().find("timed out") != std::string::npos);
}

TEST_CASE("admin client returns output before ok and turns huh? into an error") {
  FakeServer server([](std::string_view received) -> FakeServer::Answer {
    size_t newline = received.find('\n');
    if (newline == std::string_view::npos) return {};
    if (received.substr(0, newline) == "stats") {
      return {"counters=3\r\nconnections=1\nok\n", newline + 1};
    }
    return {"huh? unknown command 'x' (try help)\n", newline + 1};
  });
  AdminClient admin(server.endpoint());
  Result<std::vector<std::string>> stats = admin.command("stats");
  REQUIRE(stats.ok());
  CHECK(stats.value() == std::vector<std::string>{"counters=3", "connections=1"});
  Result<std::vector<std::string>> bad = admin.command("x");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error() == "admin: huh? unknown command 'x' (try help)");
  CHECK(admin.command("stats").ok());  // the connection is still usable
  CHECK_FALSE(admin.command("two\nlines").ok());
  CHECK(server.accepted() == 1);
}

TEST_CASE("loss check flushes, reads every batch over parallel connections, and finds losses") {
  FakeRingstat fake;
  fake.plan = WorkloadPlan{.counters = 2'345, .t0 = 1'000'000, .explicit_timestamps = true};
  SentLedger ledger;
  for (uint32_t i = 0; i < fake.plan.counters; ++i) ledger.rounds.push_back(i % 4);
  fake.stored_rounds = ledger.rounds;
  FakeServer http_server([&](std::string_view received) { return fake.serve_http(received); });
  FakeServer admin_server([&](std::string_view received) { return fake.serve_admin(received); });
  AdminClient admin(admin_server.endpoint());
  HttpClient http(http_server.endpoint());

  LossCheckOptions options{.batch_keys = 100, .connections = 3};
  Result<LossReport> clean = check_ringstat_loss(admin, http, fake.plan, ledger, options);
  REQUIRE_MESSAGE(clean.ok(), clean.error());
  CHECK(clean.value().passed());
  CHECK(clean.value().samples_sent == ledger.total_samples());
  CHECK(clean.value().samples_stored == ledger.total_samples());
  CHECK(clean.value().counters_checked == 2'345);
  CHECK(clean.value().requests == 24);
  CHECK(fake.flushes == 1);
  CHECK(fake.last_start == 1'000'000);
  CHECK(fake.last_stop == 1'000'030);
  CHECK(http_server.accepted() == 3);

  fake.stored_rounds[2'344] = 0;  // sent 0 rounds (2344 % 4): nothing lost
  fake.stored_rounds[2'343] = 1;  // sent 3: two lost
  fake.stored_rounds[7] = 4;      // sent 3: one extra
  Result<LossReport> lossy = check_ringstat_loss(admin, http, fake.plan, ledger, options);
  REQUIRE(lossy.ok());
  CHECK_FALSE(lossy.value().passed());
  CHECK(lossy.value().samples_lost == 2);
  CHECK(lossy.value().samples_extra == 1);
  CHECK(lossy.value().counters_wrong == 2);
  REQUIRE(lossy.value().examples.size() == 2);
  CHECK(lossy.value().examples[0].name == "rsb.h0000.m0007");
  CHECK(lossy.value().examples[1].name == "rsb.h0002.m0343");
  CHECK(fake.flushes == 2);
}

TEST_CASE("loss check fails when the admin port refuses flush or options are out of range") {
  FakeRingstat fake;
  fake.plan = WorkloadPlan{.counters = 10, .t0 = 0, .explicit_timestamps = true};
  fake.stored_rounds.assign(10, 0);
  SentLedger ledger{.rounds = std::vector<uint32_t>(10, 0)};
  FakeServer http_server([&](std::string_view received) { return fake.serve_http(received); });
  FakeServer bad_admin([](std::string_view received) -> FakeServer::Answer {
    size_t newline = received.find('\n');
    if (newline == std::string_view::npos) return {};
    return {"huh? flush failed\n", newline + 1};
  });
  AdminClient admin(bad_admin.endpoint());
  HttpClient http(http_server.endpoint());
  Result<LossReport> report = check_ringstat_loss(admin, http, fake.plan, ledger);
  REQUIRE_FALSE(report.ok());
  CHECK(report.error().find("huh? flush failed") != std::string::npos);
  CHECK(fake.posts == 0);
  CHECK_FALSE(check_ringstat_loss(admin, http, fake.plan, ledger,
                                  LossCheckOptions{.batch_keys = 0, .flush = false})
                  .ok());
  CHECK_FALSE(check_ringstat_loss(admin, http, fake.plan, ledger,
                                  LossCheckOptions{.connections = 0, .flush = false})
                  .ok());
  Result<LossReport> unflushed = check_ringstat_loss(
      admin, http, fake.plan, ledger, LossCheckOptions{.connections = 1, .flush = false});
  REQUIRE(unflushed.ok());
  CHECK(unflushed.value().passed());
}

TEST_CASE("query load records every kind it runs and counts error answers") {
  std::atomic<int> served{0};
  FakeServer server([&](std::string_view received) -> FakeServer::Answer {
    SplitRequest request = split_request(received);
    if (request.length == 0) return {};
    ++served;
    // Listings fail, so errors are counted by kind.
    if (request.head.starts_with("GET /?q=")) {
      return {"HTTP/1.1 500 Oops\r\nContent-Length: 2\r\n\r\n{}", request.length};
    }
    return {ok_reply("[1,2,3]"), request.length};
  });
  QueryLoad load(QueryLoadConfig{
      .endpoint = server.endpoint(), .threads = 2, .counters = 5000, .data_end_s = [] {
        return int64_t{1'000'000};
      }});
  REQUIRE(load.start().ok());
  // Waits for a number of answers, not for a time; the cap only stops a hung test.
  for (int i = 0; i < 10'000 && served < 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  load.stop();
  const QueryKindResult& day = load.result(QueryKind::kDay);
  const QueryKindResult& list = load.result(QueryKind::kList);
  const QueryKindResult& post = load.result(QueryKind::kPost);
  CHECK(day.latency.count() > 0);
  CHECK(day.errors == 0);
  CHECK(day.response_bytes == 7 * day.latency.count());
  CHECK(post.latency.count() > 0);
  CHECK(list.latency.count() == 0);
  CHECK(list.errors > 0);
  CHECK(list.first_error.starts_with("500 for /?q=rsb.h"));
  CHECK(load.result(QueryKind::kVmDay).latency.count() == 0);
  uint64_t total = day.latency.count() + post.latency.count() + list.errors;
  CHECK(total == static_cast<uint64_t>(served.load()));
  load.stop();  // a second stop changes nothing
  CHECK(load.result(QueryKind::kDay).latency.count() == day.latency.count());
}

TEST_CASE("query load refuses a config that cannot run") {
  QueryLoadConfig no_threads;
  no_threads.threads = 0;
  CHECK_FALSE(QueryLoad(no_threads).start().ok());
  QueryLoadConfig no_kinds;
  no_kinds.kinds.clear();
  CHECK_FALSE(QueryLoad(no_kinds).start().ok());
  QueryLoadConfig no_counters;
  no_counters.counters = 0;
  CHECK_FALSE(QueryLoad(no_counters).start().ok());
}

TEST_CASE("a big listing is measured once with its size and status") {
  FakeServer server([](std::string_view received) -> FakeServer::Answer {
    SplitRequest request = split_request(received);
    if (request.length == 0) return {};
    return {ok_reply(request.head.substr(0, request.head.find(" HTTP"))), request.length};
  });
  HttpClient http(server.endpoint());
  Result<ListingMeasurement> listing = measure_listing(http, "rsb.*");
  REQUIRE(listing.ok());
  CHECK(listing.value().status == 200);
  CHECK(listing.value().body_bytes == std::string("GET /?q=rsb.%2A").size());
  CHECK(listing.value().latency_ns > 0);
}

}  // namespace ringstat
