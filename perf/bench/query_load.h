// QueryLoad: closed-loop HTTP query load while ingest runs. K threads, each with its own
// keep-alive connection, pick a random query kind and a random workload counter, time the whole
// answer (no JSON parsing) and record it per kind. start() and stop() are called from one
// controlling thread; results are read after stop().
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/result.h"
#include "net/http/latency_histogram.h"
#include "perf/bench/http_client.h"

namespace ringstat {

enum class QueryKind : uint8_t {
  kDay,    // GET /<name>?start=E-86400&end=E&samples=0: one day of 10 s buckets
  kList,   // GET /?q=rsb.hHHHH.*: one host's 1000 names
  kPost,   // POST /* with kPostQueryKeys random keys over the last hour
  kVmDay,  // VictoriaMetrics: GET /api/v1/query_range over one day at step 10
};
inline constexpr size_t kQueryKindCount = 4;

std::string_view query_kind_name(QueryKind kind);
std::optional<QueryKind> parse_query_kind(std::string_view text);

// day, list and post: what ringstat answers. (Built out of line: GCC 12 reports a brace list
// here as maybe-uninitialized when the config is built in place.)
std::vector<QueryKind> default_query_kinds();

inline constexpr size_t kPostQueryKeys = 100;
inline constexpr int64_t kDay_s = 86'400;
inline constexpr int64_t kHour_s = 3'600;
inline constexpr uint32_t kQueryThreadsMax = 256;
// After a failed request a thread waits this long, so a dead server is not spun on.
inline constexpr int kQueryErrorBackoff_ms = 10;
// How many characters of the first error of each kind the results keep.
inline constexpr size_t kErrorTextBytesMax = 200;

struct QueryLoadConfig {
  TcpEndpoint endpoint;
  uint32_t threads = 2;
  std::vector<QueryKind> kinds = default_query_kinds();
  uint32_t counters = 1'000'000;  // names are picked from counters [0, counters)
  // E, the end of the data, asked before every request; called from every query thread at once,
  // so it must be thread-safe. Empty: the wall clock (right for samples the server stamps).
  std::function<int64_t()> data_end_s;
  uint64_t seed = 1;
  HttpClientOptions http;
};

struct QueryKindResult {
  LatencyHistogram latency;  // successful requests (status 200), whole answer read
  uint64_t errors = 0;       // transport failures and non-200 answers
  uint64_t response_bytes = 0;
  std::string first_error;

  void merge(const QueryKindResult& other);
};

class QueryLoad {
 public:
  explicit QueryLoad(QueryLoadConfig config);
  ~QueryLoad() { stop(); }
  QueryLoad(const QueryLoad&) = delete;
  QueryLoad& operator=(const QueryLoad&) = delete;

  // Starts the threads. Fails on a config that cannot run (no kinds, no threads, no counters).
  Status start();
  // Stops and joins the threads, then merges their results. Safe to call twice.
  void stop();

  const QueryKindResult& result(QueryKind kind) const {
    return results_[static_cast<size_t>(kind)];
  }
  double elapsed_s() const { return elapsed_s_; }

 private:
  struct Worker {
    std::array<QueryKindResult, kQueryKindCount> results;
    std::thread thread;
  };

  void run(Worker& worker, uint64_t seed);

  QueryLoadConfig config_;
  std::atomic<bool> stopping_{false};
  std::vector<std::unique_ptr<Worker>> workers_;
  std::array<QueryKindResult, kQueryKindCount> results_;
  std::chrono::steady_clock::time_point started_;
  double elapsed_s_ = 0;
  bool running_ = false;
};

// The request target of one query of `kind` on counter `counter` with data ending at
// `data_end_s`; `rng` picks the POST keys. Exposed for tests.
struct QueryRequest {
  std::string path;
  std::string body;  // non-empty: POST with JSON
};
QueryRequest make_query_request(QueryKind kind, uint32_t counter, uint32_t counters,
                                int64_t data_end_s, std::mt19937_64& rng);

// One big listing (`GET /?q=<pattern>`, e.g. "rsb.*"), measured once outside the loop.
struct ListingMeasurement {
  uint64_t latency_ns = 0;
  uint64_t body_bytes = 0;
  int status = 0;
};
Result<ListingMeasurement> measure_listing(HttpClient& http, std::string_view pattern);

}  // namespace ringstat
