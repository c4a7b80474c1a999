#include "perf/bench/query_load.h"

#include <ctime>
#include <utility>

#include "perf/bench/workload.h"

namespace ringstat {
namespace {

constexpr std::array<std::string_view, kQueryKindCount> kQueryKindNames = {"day", "list", "post",
                                                                           "vm_day"};

int64_t wall_clock_s() { return static_cast<int64_t>(std::time(nullptr)); }

uint64_t nanoseconds_between(std::chrono::steady_clock::time_point start,
                             std::chrono::steady_clock::time_point end) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(end - start).count());
}

uint32_t uniform_below(std::mt19937_64& rng, uint32_t bound) {
  return static_cast<uint32_t>(std::uniform_int_distribution<uint32_t>(0, bound - 1)(rng));
}

void record_error(QueryKindResult& result, std::string_view text) {
  ++result.errors;
  if (result.first_error.empty())
    result.first_error = std::string(text.substr(0, kErrorTextBytesMax));
}

}  // namespace

std::string_view query_kind_name(QueryKind kind) {
  return kQueryKindNames[static_cast<size_t>(kind)];
}

std::optional<QueryKind> parse_query_kind(std::string_view text) {
  for (size_t i = 0; i < kQueryKindCount; ++i) {
    if (kQueryKindNames[i] == text) return static_cast<QueryKind>(i);
  }
  return std::nullopt;
}

std::vector<QueryKind> default_query_kinds() {
  return {QueryKind::kDay, QueryKind::kList, QueryKind::kPost};
}

void QueryKindResult::merge(const QueryKindResult& other) {
  latency.merge(other.latency);
  errors += other.errors;
  response_bytes += other.response_bytes;
  if (first_error.empty()) first_error = other.first_error;
}

QueryRequest make_query_request(QueryKind kind, uint32_t counter, uint32_t counters,
                                int64_t data_end_s, std::mt19937_64& rng) {
  QueryRequest request;
  std::string end = std::to_string(data_end_s);
  switch (kind) {
    case QueryKind::kDay:
      request.path = "/" + counter_name(counter) + "?start=" + std::to_string(data_end_s - kDay_s) +
                     "&end=" + end + "&samples=0";
      break;
    case QueryKind::kList: {
      // The host part of the name: "rsb.hHHHH" followed by ".*".
      std::string name = counter_name(counter);
      request.path = "/?q=" + name.substr(0, 9) + ".*";
      break;
    }
    case QueryKind::kPost: {
      request.path = "/*";
      request.body = "{\"keys\":[";
      for (size_t k = 0; k < kPostQueryKeys; ++k) {
        if (k != 0) request.body += ',';
        request.body += '"';
        append_counter_name(request.body, k == 0 ? counter : uniform_below(rng, counters));
        request.body += '"';
      }
      request.body += "],\"start\":" + std::to_string(data_end_s - kHour_s) + ",\"stop\":" + end +
                      ",\"maxSamples\":0}";
      break;
    }
    case QueryKind::kVmDay:
      // nocache=1: VictoriaMetrics would otherwise answer repeated ranges from its result cache.
      request.path = "/api/v1/query_range?query=" + url_encode(counter_name(counter)) +
                     "&start=" + std::to_string(data_end_s - kDay_s) + "&end=" + end +
                     "&step=10&nocache=1";
      break;
  }
  return request;
}

Result<ListingMeasurement> measure_listing(HttpClient& http, std::string_view pattern) {
  std::string path = "/?q=" + url_encode(pattern);
  auto started = std::chrono::steady_clock::now();
  Result<HttpReply> reply = http.get(path);
  auto finished = std::chrono::steady_clock::now();
  if (!reply.ok()) return Error{"GET " + path + ": " + reply.error()};
  return ListingMeasurement{.latency_ns = nanoseconds_between(started, finished),
                            .body_bytes = reply.value().body.size(),
                            .status = reply.value().status};
}

QueryLoad::QueryLoad(QueryLoadConfig config) : config_(std::move(config)) {}

Status QueryLoad::start() {
  if (running_) return Error{"query load: already running"};
  if (config_.threads == 0 || config_.threads > kQueryThreadsMax) {
    return Error{"query load: threads must be 1.." + std::to_string(kQueryThreadsMax)};
  }
  if (config_.kinds.empty()) return Error{"query load: no query kinds"};
  if (config_.counters == 0 || config_.counters > kCountersMax) {
    return Error{"query load: counters must be 1.." + std::to_string(kCountersMax)};
  }
  stopping_ = false;
  results_ = {};
  workers_.clear();
  started_ = std::chrono::steady_clock::now();
  running_ = true;
  for (uint32_t t = 0; t < config_.threads; ++t) {
    workers_.push_back(std::make_unique<Worker>());
    Worker* worker = workers_.back().get();
    uint64_t seed = config_.seed * 1'000'003 + t;
    worker->thread = std::thread([this, worker, seed] { run(*worker, seed); });
  }
  return Ok{};
}

void QueryLoad::stop() {
  if (!running_) return;
  stopping_ = true;
  for (auto& worker : workers_) worker->thread.join();
  elapsed_s_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  for (auto& worker : workers_) {
    for (size_t k = 0; k < kQueryKindCount; ++k) results_[k].merge(worker->results[k]);
  }
  workers_.clear();
  running_ = false;
}

void QueryLoad::run(Worker& worker, uint64_t seed) {
  std::mt19937_64 rng(seed);
  HttpClient http(config_.endpoint, config_.http);
  auto kind_count = static_cast<uint32_t>(config_.kinds.size());
  while (!stopping_.load(std::memory_order_relaxed)) {
    QueryKind kind = config_.kinds[uniform_below(rng, kind_count)];
    uint32_t counter = uniform_below(rng, config_.counters);
    int64_t end = config_.data_end_s ? config_.data_end_s() : wall_clock_s();
    QueryRequest request = make_query_request(kind, counter, config_.counters, end, rng);
    QueryKindResult& result = worker.results[static_cast<size_t>(kind)];

    auto started = std::chrono::steady_clock::now();
    Result<HttpReply> reply = request.body.empty()
                                  ? http.get(request.path)
                                  : http.post(request.path, request.body, "application/json");
    auto finished = std::chrono::steady_clock::now();
    if (reply.ok() && reply.value().status == 200) {
      result.latency.record(nanoseconds_between(started, finished));
      result.response_bytes += reply.value().body.size();
      continue;
    }
    if (reply.ok()) {
      record_error(result, std::to_string(reply.value().status) + " for " + request.path + ": " +
                               reply.value().body.substr(0, kErrorTextBytesMax));
    } else {
      record_error(result, reply.error());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(kQueryErrorBackoff_ms));
  }
}

}  // namespace ringstat
