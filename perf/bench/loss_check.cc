#include "perf/bench/loss_check.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <memory>
#include <mutex>
#include <thread>

namespace ringstat {
namespace {

using Json = nlohmann::json;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Receives nlohmann's SAX events for one POST /* answer. Depth 1 holds the counters' members
// (and the top-level start/stop/interval numbers), depth 2 a counter's members, depth 3 its
// `data` array, depth 4 one bucket (an array when compact, else an object).
class PostReplySax {
 public:
  PostReplySax(uint32_t first, std::span<StoredTotals> totals) : first_(first), totals_(totals) {}

  bool null() { return scalar(std::nullopt); }
  bool boolean(bool /*value*/) { return scalar(std::nullopt); }
  bool number_integer(Json::number_integer_t value) { return scalar(static_cast<double>(value)); }
  bool number_unsigned(Json::number_unsigned_t value) { return scalar(static_cast<double>(value)); }
  bool number_float(Json::number_float_t value, const Json::string_t& /*text*/) {
    return scalar(value);
  }
  bool string(Json::string_t& /*value*/) {
    // "Not found." at depth 1 leaves the counter's totals at zero and not found.
    return scalar(std::nullopt);
  }
  bool binary(Json::binary_t& /*value*/) { return true; }

  bool start_object(std::size_t /*elements*/) { return open(false); }
  bool start_array(std::size_t /*elements*/) { return open(true); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }

  bool key(Json::string_t& name) {
    if (depth_ == 1) {
      counter_ = nullptr;
      if (name == "start" || name == "stop" || name == "interval") return true;
      std::optional<uint32_t> index = parse_counter_index(name);
      if (!index || *index < first_ || *index - first_ >= totals_.size()) {
        return fail("unexpected key in the answer: " + name.substr(0, 64));
      }
      counter_ = &totals_[*index - first_];
    } else if (depth_ == 2) {
      in_data_ = name == "data";
    } else if (depth_ == 4) {
      field_ = name == "count" ? kCountField : name == "sum" ? kSumField : kOtherField;
    }
    return true;
  }

  bool parse_error(std::size_t /*position*/, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& ex) {
    return fail(std::string("answer is not JSON: ") + ex.what());
  }

  Status finish() const {
    if (!error_.empty()) return Error{error_};
    return Ok{};
  }

 private:
  static constexpr int kCountField = 1;  // positions in a compact bucket
  static constexpr int kSumField = 4;
  static constexpr int kOtherField = -1;

  bool fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
    return false;
  }

  bool open(bool array) {
    ++depth_;
    if (depth_ == 2 && counter_ != nullptr) {
      if (array) return fail("a counter's answer is an array");
      counter_->found = true;
    }
    if (depth_ == 4 && in_data_) {
      bucket_is_array_ = array;
      field_ = array ? 0 : kOtherField;
    }
    return true;
  }

  bool close() {
    --depth_;
    if (depth_ == 2) in_data_ = false;
    return true;
  }

  bool scalar(std::optional<double> number) {
    if (depth_ == 4 && in_data_ && counter_ != nullptr && number) {
      if (field_ == kCountField) {
        counter_->count += static_cast<uint64_t>(std::llround(*number));
      } else if (field_ == kSumField) {
        counter_->sum += *number;
      }
    }
    if (depth_ == 4 && bucket_is_array_) ++field_;
    return true;
  }

  uint32_t first_;
  std::span<StoredTotals> totals_;
  StoredTotals* counter_ = nullptr;
  int depth_ = 0;
  bool in_data_ = false;
  bool bucket_is_array_ = false;
  int field_ = kOtherField;
  std::string error_;
};

struct SharedProgress {
  std::atomic<size_t> next_batch{0};
  std::atomic<bool> failed{false};
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> response_bytes{0};
  std::mutex error_mutex;
  std::string error;

  void fail(std::string message) {
    std::lock_guard<std::mutex> lock(error_mutex);
    if (error.empty()) error = std::move(message);
    failed = true;
  }
};

// One worker: takes batches until none are left or another worker failed.
void run_worker(HttpClient& http, uint32_t counters, size_t batch_keys, TimeRange range,
                int64_t samples_max, std::span<StoredTotals> totals, SharedProgress& progress) {
  size_t batches = (counters + batch_keys - 1) / batch_keys;
  while (!progress.failed) {
    size_t batch = progress.next_batch.fetch_add(1);
    if (batch >= batches) return;
    auto first = static_cast<uint32_t>(batch * batch_keys);
    auto count = static_cast<uint32_t>(std::min<size_t>(batch_keys, counters - first));
    std::string body = loss_query_body(first, count, range, samples_max);
    Result<HttpReply> reply = http.post("/*", body, "application/json");
    if (!reply.ok()) {
      progress.fail("POST /* for counters " + std::to_string(first) + ".." +
                    std::to_string(first + count - 1) + ": " + reply.error());
      return;
    }
    if (reply.value().status != 200) {
      progress.fail("POST /* answered " + std::to_string(reply.value().status) + ": " +
                    reply.value().body.substr(0, 200));
      return;
    }
    progress.requests += 1;
    progress.response_bytes += reply.value().body.size();
    std::span<StoredTotals> slice = totals.subspan(first, count);
    std::fill(slice.begin(), slice.end(), StoredTotals{});
    Status summed = sum_post_reply(reply.value().body, first, slice);
    if (!summed.ok()) {
      progress.fail("POST /* for counters from " + std::to_string(first) + ": " + summed.error());
      return;
    }
  }
}

}  // namespace

TimeRange loss_query_range(const WorkloadPlan& plan, const SentLedger& ledger,
                           const LossCheckOptions& options) {
  if (plan.explicit_timestamps) {
    return {plan.t0, plan.t0 + kRoundStep_s * static_cast<int64_t>(ledger.rounds_max())};
  }
  int64_t start = std::max<int64_t>(0, options.wall_start_s - kWallClockMargin_s);
  int64_t stop = std::max(start, options.wall_end_s + kWallClockMargin_s);
  return {start, stop};
}

std::optional<uint32_t> parse_counter_index(std::string_view name) {
  // "rsb.h" HHHH ".m" MMMM, each digit group exactly four digits; MMMM below 1000.
  if (name.size() != kCounterNameBytes || name.substr(0, 5) != "rsb.h" ||
      name.substr(9, 2) != ".m") {
    return std::nullopt;
  }
  auto digits = [](std::string_view text) -> std::optional<uint32_t> {
    uint32_t value = 0;
    for (char c : text) {
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + static_cast<uint32_t>(c - '0');
    }
    return value;
  };
  std::optional<uint32_t> host = digits(name.substr(5, 4));
  std::optional<uint32_t> member = digits(name.substr(11, 4));
  if (!host || !member || *member >= 1000) return std::nullopt;
  return *host * 1000 + *member;
}

std::string loss_query_body(uint32_t first, uint32_t count, TimeRange range, int64_t samples_max) {
  std::string body;
  body.reserve(96 + static_cast<size_t>(count) * (kCounterNameBytes + 3));
  body += "{\"keys\":[";
  for (uint32_t i = first; i < first + count; ++i) {
    if (i != first) body += ',';
    body += '"';
    append_counter_name(body, i);
    body += '"';
  }
  body += "],\"start\":" + std::to_string(range.start_s) +
          ",\"stop\":" + std::to_string(range.stop_s) +
          ",\"maxSamples\":" + std::to_string(samples_max) + ",\"compact\":true}";
  return body;
}

Status sum_post_reply(std::string_view body, uint32_t first, std::span<StoredTotals> totals) {
  PostReplySax sax(first, totals);
  // With a SAX handler nlohmann reports syntax errors through parse_error() and never throws.
  Json::sax_parse(body, &sax, nlohmann::detail::input_format_t::json, true, false);
  return sax.finish();
}

void compare_with_ledger(const SentLedger& ledger, std::span<const StoredTotals> totals,
                         LossReport& report) {
  for (size_t i = 0; i < totals.size(); ++i) {
    auto index = static_cast<uint32_t>(i);
    bool in_ledger = i < ledger.rounds.size();
    uint64_t sent_count = in_ledger ? ledger.expected_count(index) : 0;
    uint64_t sent_sum = in_ledger ? ledger.expected_sum(index) : 0;
    const StoredTotals& stored = totals[i];
    ++report.counters_checked;
    report.samples_sent += sent_count;
    report.samples_stored += stored.count;
    if (stored.count < sent_count) report.samples_lost += sent_count - stored.count;
    if (stored.count > sent_count) report.samples_extra += stored.count - sent_count;
    if (sent_count > 0 && !stored.found) ++report.counters_missing;
    // Sums of integers below 2^53 are exact in a double, so equality is the right test.
    if (stored.count != sent_count || stored.sum != static_cast<double>(sent_sum)) {
      ++report.counters_wrong;
      if (report.examples.size() < kMismatchExamplesMax) {
        report.examples.push_back(CounterMismatch{.name = counter_name(index),
                                                  .sent_count = sent_count,
                                                  .stored_count = stored.count,
                                                  .sent_sum = sent_sum,
                                                  .stored_sum = stored.sum});
      }
    }
  }
}

Result<LossReport> check_ringstat_loss(AdminClient& admin, HttpClient& http,
                                       const WorkloadPlan& plan, const SentLedger& ledger,
                                       const LossCheckOptions& options) {
  if (options.batch_keys == 0 || options.batch_keys > kLossBatchKeysMax) {
    return Error{"loss check: batch size must be 1.." + std::to_string(kLossBatchKeysMax)};
  }
  if (options.connections == 0 || options.connections > kLossConnectionsMax) {
    return Error{"loss check: connections must be 1.." + std::to_string(kLossConnectionsMax)};
  }
  if (ledger.rounds.size() > plan.counters) {
    return Error{"loss check: the ledger has more counters than the plan"};
  }
  LossReport report;
  TimeRange range = loss_query_range(plan, ledger, options);
  report.start_s = range.start_s;
  report.stop_s = range.stop_s;

  auto flush_started = std::chrono::steady_clock::now();
  if (options.flush) {
    Status flushed = admin.flush();
    if (!flushed.ok()) return Error{"loss check: flush: " + flushed.error()};
  }
  report.flush_s = seconds_since(flush_started);

  auto query_started = std::chrono::steady_clock::now();
  std::vector<StoredTotals> totals(plan.counters);
  SharedProgress progress;
  std::vector<std::unique_ptr<HttpClient>> extra_clients;
  std::vector<std::thread> workers;
  for (uint32_t c = 1; c < options.connections; ++c) {
    extra_clients.push_back(std::make_unique<HttpClient>(http.endpoint(), http.options()));
    HttpClient* worker_client = extra_clients.back().get();
    workers.emplace_back([&, worker_client] {
      run_worker(*worker_client, plan.counters, options.batch_keys, range, options.samples_max,
                 totals, progress);
    });
  }
  run_worker(http, plan.counters, options.batch_keys, range, options.samples_max, totals, progress);
  for (std::thread& worker : workers) worker.join();
  report.query_s = seconds_since(query_started);
  report.requests = progress.requests;
  report.response_bytes = progress.response_bytes;
  if (progress.failed) return Error{"loss check: " + progress.error};

  compare_with_ledger(ledger, totals, report);
  return report;
}

}  // namespace ringstat
