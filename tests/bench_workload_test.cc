// Tests of ringstat-bench's workload, line batches, ledger, /proc parsing, flag parsing, report
// and the ingest generator against an in-test TCP sink on loopback.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "perf/bench/bench_options.h"
#include "perf/bench/ingest_load.h"
#include "perf/bench/line_batch.h"
#include "perf/bench/report.h"
#include "perf/bench/server_probe.h"
#include "perf/bench/workload.h"

namespace ringstat {
namespace {

std::string all_lines(const WorkloadPlan& plan, uint32_t connections, uint32_t connection,
                      uint64_t first, uint64_t stop) {
  std::string text;
  const uint32_t owned = owned_counter_count(plan.counters, connections, connection);
  for (uint64_t line = first; line < stop; ++line) {
    append_sample_line(text, plan, static_cast<uint32_t>(connection + (line % owned) * connections),
                       static_cast<uint32_t>(line / owned));
  }
  return text;
}

TEST_CASE("counter names are rsb.hHHHH.mMMMM with zero-padded thousands and units") {
  CHECK(counter_name(0) == "rsb.h0000.m0000");
  CHECK(counter_name(12'345) == "rsb.h0012.m0345");
  CHECK(counter_name(999) == "rsb.h0000.m0999");
  CHECK(counter_name(1000) == "rsb.h0001.m0000");
  CHECK(counter_name(kCountersMax - 1) == "rsb.h9999.m0999");
  CHECK(counter_name(kCountersMax - 1).size() == kCounterNameBytes);
}

TEST_CASE("sample values are (7i + r) mod 100 and times step 10 s from t0") {
  CHECK(sample_value(0, 0) == 0);
  CHECK(sample_value(3, 5) == 26);
  CHECK(sample_value(14, 3) == 1);  // 98 + 3 wraps
  CHECK(sample_value(kCountersMax - 1, UINT32_MAX) ==
        (7ull * (kCountersMax - 1) + UINT32_MAX) % 100);
  WorkloadPlan plan;
  plan.t0 = 1'000'000;
  CHECK(sample_time(plan, 0) == 1'000'000);
  CHECK(sample_time(plan, 7) == 1'000'070);
}

TEST_CASE("sample lines follow each protocol's field order") {
  WorkloadPlan plan;
  plan.counters = 20'000;
  plan.t0 = 1700000000;
  std::string line;
  plan.protocol = Protocol::kIstatd;
  append_sample_line(line, plan, 12'345, 2);
  CHECK(line == "rsb.h0012.m0345 1700000020 17\n");
  line.clear();
  plan.protocol = Protocol::kGraphite;
  append_sample_line(line, plan, 12'345, 2);
  CHECK(line == "rsb.h0012.m0345 17 1700000020\n");
  line.clear();
  plan.explicit_timestamps = false;
  append_sample_line(line, plan, 1, 0);
  CHECK(line == "rsb.h0000.m0001 7\n");
  plan.protocol = Protocol::kIstatd;
  line.clear();
  append_sample_line(line, plan, 1, 0);
  CHECK(line == "rsb.h0000.m0001 7\n");
}

TEST_CASE("protocol names round-trip and anything else is refused") {
  CHECK(parse_protocol("istatd") == Protocol::kIstatd);
  CHECK(parse_protocol("graphite") == Protocol::kGraphite);
  CHECK(!parse_protocol("Graphite"));
  CHECK(protocol_name(Protocol::kGraphite) == "graphite");
}

TEST_CASE("value sums match a direct sum across full cycles and partial tails") {
  for (uint32_t i : {0u, 1u, 13u, 999'999u}) {
    for (uint32_t rounds : {0u, 1u, 57u, 100u, 101u, 250u}) {
      uint64_t direct = 0;
      for (uint32_t r = 0; r < rounds; ++r) direct += sample_value(i, r);
      CHECK(value_sum(i, rounds) == direct);
    }
  }
}

TEST_CASE("ledger from progress gives the first counters of a partial round one more round") {
  // 10 counters over 3 connections own 4, 3 and 3 counters.
  CHECK(owned_counter_count(10, 3, 0) == 4);
  CHECK(owned_counter_count(10, 3, 2) == 3);
  const std::vector<uint64_t> lines = {4 * 2 + 1, 3, 0};
  const SentLedger ledger = ledger_from_progress(10, lines);
  const std::vector<uint32_t> expected = {3, 1, 0, 2, 1, 0, 2, 1, 0, 2};
  CHECK(ledger.rounds == expected);
  CHECK(ledger.total_samples() == 12);
  CHECK(ledger.rounds_max() == 3);
  CHECK(ledger.expected_count(0) == 3);
  CHECK(ledger.expected_sum(0) == 0 + 1 + 2);
  CHECK(ledger.expected_sum(3) == 21 + 22);
  CHECK(ledger.expected_sum(2) == 0);
}

TEST_CASE("ledger skips connections that own no counter") {
  const std::vector<uint64_t> lines = {2, 2, 0, 0};
  const SentLedger ledger = ledger_from_progress(2, lines);
  CHECK(ledger.rounds == std::vector<uint32_t>{2, 2});
}

TEST_CASE("a formatted batch is byte-identical to the workload lines and chunks hold whole lines") {
  WorkloadPlan plan;
  plan.counters = 1'003;
  plan.t0 = 1'600'000'000;
  for (Protocol protocol : {Protocol::kIstatd, Protocol::kGraphite}) {
    for (bool explicit_timestamps : {true, false}) {
      plan.protocol = protocol;
      plan.explicit_timestamps = explicit_timestamps;
      LineFormatter formatter(plan, 4, 3);
      REQUIRE(formatter.owned() == 250);
      LineBatch batch;
      formatter.format(100, 900, kUdpDatagramBytes, 8'192, batch);
      CHECK(batch.first_line == 100);
      REQUIRE(batch.lines > 0);
      CHECK(batch.bytes == all_lines(plan, 4, 3, 100, 100 + batch.lines));
      CHECK(batch.bytes.size() <= 8'192);
      uint32_t start = 0;
      uint64_t lines = 0;
      for (const LineChunk& chunk : batch.chunks) {
        CHECK(chunk.end_offset - start <= kUdpDatagramBytes);
        CHECK(batch.bytes[chunk.end_offset - 1] == '\n');
        const std::string_view text(batch.bytes.data() + start, chunk.end_offset - start);
        CHECK(static_cast<uint32_t>(std::count(text.begin(), text.end(), '\n')) == chunk.lines);
        lines += chunk.lines;
        start = chunk.end_offset;
      }
      CHECK(start == batch.bytes.size());
      CHECK(lines == batch.lines);
    }
  }
}

TEST_CASE("a batch stops exactly at the stop line") {
  WorkloadPlan plan;
  plan.counters = 10;
  LineFormatter formatter(plan, 2, 1);
  LineBatch batch;
  formatter.format(3, 7, 64 * 1024, 1024 * 1024, batch);
  CHECK(batch.lines == 4);
  CHECK(batch.bytes == all_lines(plan, 2, 1, 3, 7));
  formatter.format(7, 7, 64 * 1024, 1024 * 1024, batch);
  CHECK(batch.lines == 0);
  CHECK(batch.chunks.empty());
}

TEST_CASE("proc stat CPU ticks are fields 14 and 15 counted after the last parenthesis") {
  const std::string stat =
      "4242 (a (weird) name) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 75 0 0 20 0 3 0 100 "
      "123456 789 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
  CHECK(parse_proc_stat_cpu_ticks(stat) == 325u);
  CHECK(!parse_proc_stat_cpu_ticks("4242 (name) S 1 2 3"));
  CHECK(!parse_proc_stat_cpu_ticks("no parenthesis"));
}

TEST_CASE("proc status sizes are kB lines converted to bytes") {
  const std::string status =
      "Name:\tringstat\nVmPeak:\t  700000 kB\nVmHWM:\t  410000 kB\nVmRSS:\t  400000 kB\n";
  CHECK(parse_proc_status_bytes(status, "VmRSS") == 400000u * 1024);
  CHECK(parse_proc_status_bytes(status, "VmHWM") == 410000u * 1024);
  CHECK(!parse_proc_status_bytes(status, "VmSwap"));
  CHECK(!parse_proc_status_bytes("VmRSS:\t12 pages\n", "VmRSS"));
  // A key is matched whole, not as a prefix of a longer key.
  CHECK(!parse_proc_status_bytes("VmRSSX:\t12 kB\n", "VmRSS"));
}

TEST_CASE("proc io fields are read by exact key") {
  const std::string io =
      "rchar: 10\nwchar: 20\nread_bytes: 4096\nwrite_bytes: 81920\n"
      "cancelled_write_bytes: 7\n";
  CHECK(parse_proc_io_field(io, "write_bytes") == 81920u);
  CHECK(parse_proc_io_field(io, "read_bytes") == 4096u);
  CHECK(!parse_proc_io_field(io, "syscr"));
}

TEST_CASE("the probe reads this very process and its CPU only grows") {
  ServerProbe probe(static_cast<int>(getpid()));
  REQUIRE(probe.start());
  volatile uint64_t spin = 0;
  for (uint64_t k = 0; k < 20'000'000; ++k) spin = spin + k;
  probe.finish();
  CHECK(probe.figures().cpu_s >= 0);
  CHECK(probe.figures().rss_peak_bytes > 0);
  CHECK(probe.figures().rss_peak_bytes >= probe.figures().rss_start_bytes);
  CHECK(probe.figures().samples_taken == 2);
  CHECK(!read_proc_sample(-1));
}

TEST_CASE("RSS per counter is peak growth over counters and never negative") {
  ProbeFigures figures;
  figures.rss_start_bytes = 1000;
  figures.rss_peak_bytes = 5000;
  figures.cpu_s = 2;
  CHECK(rss_bytes_per_counter(figures, 4) == doctest::Approx(1000));
  CHECK(!rss_bytes_per_counter(figures, 0));
  figures.rss_peak_bytes = 10;
  CHECK(rss_bytes_per_counter(figures, 4) == doctest::Approx(0));
  CHECK(cpu_ns_per_sample(figures, 4) == doctest::Approx(5e8));
  CHECK(!cpu_ns_per_sample(figures, 0));
}

TEST_CASE("host:port parsing takes bracketed IPv6 and refuses missing or bad ports") {
  CHECK(parse_host_port("127.0.0.1:18001")->port == 18001);
  CHECK(parse_host_port("[::1]:80")->host == "::1");
  CHECK(parse_host_port("localhost:1")->host == "localhost");
  CHECK(!parse_host_port("::1:80"));
  CHECK(!parse_host_port("host"));
  CHECK(!parse_host_port(":80"));
  CHECK(!parse_host_port("host:0"));
  CHECK(!parse_host_port("host:65536"));
  CHECK(!parse_host_port("host:8x"));
}

TEST_CASE("rates are max or positive finite numbers") {
  CHECK(parse_rate("max") == 0.0);
  CHECK(parse_rate("250000") == 250000.0);
  CHECK(parse_rate("1.5e6") == 1.5e6);
  CHECK(!parse_rate("0"));
  CHECK(!parse_rate("-5"));
  CHECK(!parse_rate("inf"));
  CHECK(!parse_rate(""));
}

TEST_CASE("CPU lists take single CPUs and ranges") {
  CHECK(parse_cpu_list("0") == std::vector<int>{0});
  CHECK(parse_cpu_list("0,1") == std::vector<int>{0, 1});
  CHECK(parse_cpu_list("0,2-4") == std::vector<int>{0, 2, 3, 4});
  CHECK(!parse_cpu_list(""));
  CHECK(!parse_cpu_list("3-1"));
  CHECK(!parse_cpu_list("a"));
  CHECK(!parse_cpu_list("0,,1"));
  CHECK(!parse_cpu_list("5000"));
}

TEST_CASE("query kind lists refuse repeats and unknown kinds") {
  CHECK(parse_query_kinds("day,list,post")->size() == 3);
  CHECK(parse_query_kinds("vm_day")->front() == QueryKind::kVmDay);
  CHECK(!parse_query_kinds("day,day"));
  CHECK(!parse_query_kinds("week"));
  CHECK(!parse_query_kinds(""));
}

TEST_CASE("default t0 is two days back floored to 10 s, and rounds stop at now") {
  CHECK(default_t0(1'700'000'005) == 1'699'827'200);
  CHECK(default_t0(1'700'000'005) % kRoundStep_s == 0);
  CHECK(rounds_until(100, 100) == 1);
  CHECK(rounds_until(100, 129) == 3);
  CHECK(rounds_until(101, 100) == 0);
}

TEST_CASE("the JSON report parses and carries parameters, figures and n/a as null") {
  RunReport run;
  run.label = "a \"quoted\" label";
  run.parameters = {{"--rate", "max"}, {"--counters", "10"}};
  run.counters = 10;
  run.timed.sent = 100;
  run.timed.achieved_per_s = 50;
  ServerFigures server;
  server.probe.cpu_s = 0.5;
  server.probe.rss_start_bytes = 100;
  server.probe.rss_peak_bytes = 1100;
  run.timed.server = server;
  run.loss = LossFigures{100, 98, 2, 0, 1, 0, false, {"rsb.h0000.m0001: short"}, 0.1, 0.2};
  run.queries.push_back(
      QueryFigures{"day", 3, 0, 1'000'000, 2'000'000, 3'000'000, 3'000'000, 3'000'000});
  const nlohmann::json json = nlohmann::json::parse(format_json(run));
  CHECK(json["label"] == run.label);
  CHECK(json["flags"]["--rate"] == "max");
  CHECK(json["offered_per_s"] == "max");
  CHECK(json["timed"]["server"]["cpu_ns_per_sample"].get<double>() == doctest::Approx(5e6));
  CHECK(json["timed"]["server"]["rss_bytes_per_counter"].get<double>() == doctest::Approx(100));
  CHECK(json["timed"]["server"]["disk_write_bytes"].is_null());
  CHECK(json["loss"]["lost"] == 2);
  CHECK(json["queries"][0]["p99_ns"] == 3'000'000);
  CHECK(json["warmup"].is_null());
  CHECK(json["machine"].contains("kernel"));
}

TEST_CASE("the table has a header and one row per run with n/a for unmeasured figures") {
  RunReport run;
  run.label = "r1";
  run.counters = 10;
  char* text = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&text, &size);
  REQUIRE(out != nullptr);
  const RunReport runs[] = {run, run};
  print_table(out, runs);
  std::fclose(out);
  const std::string table(text, size);
  std::free(text);
  CHECK(std::count(table.begin(), table.end(), '\n') == 3);
  CHECK(table.find("CPU ns/sample") != std::string::npos);
  CHECK(table.find("n/a") != std::string::npos);
  CHECK(table.find("max") != std::string::npos);
}

// A loopback TCP sink that counts the bytes and lines it receives until every sender closed.
class TcpSink {
 public:
  TcpSink() {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
    socklen_t length = sizeof(address);
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    REQUIRE(listen(listen_fd_, 16) == 0);
  }
  ~TcpSink() { ::close(listen_fd_); }

  uint16_t port() const { return port_; }

  // Accepts `connections` and reads each to its end on its own thread.
  void run(uint32_t connections) {
    texts_.resize(connections);
    for (uint32_t c = 0; c < connections; ++c) {
      const int fd = accept(listen_fd_, nullptr, nullptr);
      readers_.emplace_back([this, fd, c] {
        char buffer[65536];
        while (true) {
          const ssize_t n = read(fd, buffer, sizeof(buffer));
          if (n <= 0) break;
          texts_[c].append(buffer, static_cast<size_t>(n));
        }
        ::close(fd);
      });
    }
  }
  void join() {
    for (std::thread& reader : readers_) reader.join();
  }
  // Texts in accept order, which need not be connection order.
  const std::vector<std::string>& texts() const { return texts_; }

 private:
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::vector<std::thread> readers_;
  std::vector<std::string> texts_;
};

TEST_CASE("the generator's warmup and timed phase deliver exactly the ledger's lines") {
  TcpSink sink;
  IngestConfig config;
  config.plan.counters = 1'001;
  config.plan.t0 = 1'600'000'000;
  config.plan.protocol = Protocol::kGraphite;
  config.port = std::to_string(sink.port());
  config.connections = 3;
  config.rate_per_s = 200'000;
  config.duration_s = 0.2;
  IngestLoad load(config);
  std::thread acceptor([&] { sink.run(config.connections); });
  REQUIRE(load.connect().ok());
  acceptor.join();
  load.start_warmup();
  const PhaseResult warmup = load.finish_phase();
  CHECK(warmup.lines_sent == config.plan.counters);
  load.start_timed();
  const PhaseResult timed = load.finish_phase();
  CHECK(timed.failed_connections == 0);
  CHECK(timed.lines_sent > 0);
  // The open-loop schedule never sends ahead of rate * duration.
  CHECK(static_cast<double>(timed.lines_sent) <= config.rate_per_s * config.duration_s + 1);
  load.close();
  sink.join();

  const std::vector<uint64_t> per_connection = load.lines_sent_per_connection();
  std::vector<std::string> expected;
  for (uint32_t c = 0; c < config.connections; ++c) {
    expected.push_back(all_lines(config.plan, config.connections, c, 0, per_connection[c]));
  }
  std::vector<std::string> got = sink.texts();
  std::sort(got.begin(), got.end());
  std::sort(expected.begin(), expected.end());
  CHECK(got == expected);
  const SentLedger ledger = load.ledger();
  CHECK(ledger.total_samples() == warmup.lines_sent + timed.lines_sent);
  CHECK(ledger.rounds[0] >= 1);
}

TEST_CASE("the generator refuses a target nobody listens on") {
  IngestConfig config;
  config.plan.counters = 10;
  config.port = "1";
  IngestLoad load(config);
  CHECK(!load.connect().ok());
}

}  // namespace
}  // namespace ringstat
