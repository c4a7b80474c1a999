// The zero-loss check for ringstat: after a bench run, `flush` on the admin port, read every
// counter's buckets back with `POST /*` in batches over a few parallel connections, and compare
// the stored counts and sums with the ledger of what was sent (perf/bench/workload.h).
// check_ringstat_loss runs its own worker threads; the other functions are pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "perf/bench/admin_client.h"
#include "perf/bench/http_client.h"
#include "perf/bench/workload.h"

namespace ringstat {

// 500 names of 15 bytes make a request of about 9 KiB, far below the server's 1 MiB body limit,
// and an answer of a few MiB at a few thousand rounds.
inline constexpr size_t kDefaultLossBatchKeys = 500;
inline constexpr size_t kLossBatchKeysMax = 10'000;  // the server's kPostKeysMax
inline constexpr uint32_t kDefaultLossConnections = 3;
inline constexpr uint32_t kLossConnectionsMax = 16;
// Without explicit timestamps the server stamps samples with its clock; the query window is the
// run's wall-clock window widened by this much on each side.
inline constexpr int64_t kWallClockMargin_s = 60;
// How many wrong counters the report names.
inline constexpr size_t kMismatchExamplesMax = 5;

struct LossCheckOptions {
  size_t batch_keys = kDefaultLossBatchKeys;
  uint32_t connections = kDefaultLossConnections;
  // The run's wall-clock window (unix seconds); used only without explicit timestamps.
  int64_t wall_start_s = 0;
  int64_t wall_end_s = 0;
  // `maxSamples` of each request: 0 returns every 10 s bucket. 1 asks the server to merge each
  // counter into one cell, far less JSON, but then the check also trusts the merge.
  int64_t samples_max = 0;
  bool flush = true;  // send `flush` on the admin port first
};

struct CounterMismatch {
  std::string name;
  uint64_t sent_count = 0;
  uint64_t stored_count = 0;
  uint64_t sent_sum = 0;
  double stored_sum = 0;
};

struct LossReport {
  int64_t start_s = 0;  // the queried range [start_s, stop_s)
  int64_t stop_s = 0;
  uint64_t counters_checked = 0;
  uint64_t counters_missing = 0;  // sent at least once, answered "Not found."
  uint64_t counters_wrong = 0;    // count or sum differs from the ledger
  uint64_t samples_sent = 0;
  uint64_t samples_stored = 0;
  uint64_t samples_lost = 0;   // sum over counters of max(0, sent - stored)
  uint64_t samples_extra = 0;  // sum over counters of max(0, stored - sent)
  uint64_t requests = 0;
  uint64_t response_bytes = 0;
  double flush_s = 0;
  double query_s = 0;
  std::vector<CounterMismatch> examples;  // the first kMismatchExamplesMax wrong counters

  bool passed() const { return counters_wrong == 0 && samples_lost == 0 && samples_extra == 0; }
};

// `http` serves the first worker; the others open their own connections to its endpoint.
Result<LossReport> check_ringstat_loss(AdminClient& admin, HttpClient& http,
                                       const WorkloadPlan& plan, const SentLedger& ledger,
                                       const LossCheckOptions& options = {});

// The pieces, exposed for tests.

// The range that covers every sent sample: [t0, t0 + 10 * rounds_max) with explicit timestamps,
// else the wall-clock window widened by kWallClockMargin_s (never below 0).
struct TimeRange {
  int64_t start_s = 0;
  int64_t stop_s = 0;
};
TimeRange loss_query_range(const WorkloadPlan& plan, const SentLedger& ledger,
                           const LossCheckOptions& options);

// The index of a workload name `rsb.hHHHH.mMMMM`; nullopt for anything else.
std::optional<uint32_t> parse_counter_index(std::string_view name);

// `{"keys":[names of counters first .. first+count-1],"start":S,"stop":E,"maxSamples":M,
// "compact":true}`.
std::string loss_query_body(uint32_t first, uint32_t count, TimeRange range, int64_t samples_max);

struct StoredTotals {
  uint64_t count = 0;
  double sum = 0;
  bool found = false;  // the answer had data (or an empty data array) for this counter
};

// Reads one POST /* answer (compact or not) and adds every bucket's count and sum to
// totals[i - first] for each counter i it names. A name outside [first, first + size) or not a
// workload name is an error, as is JSON that does not parse.
Status sum_post_reply(std::string_view body, uint32_t first, std::span<StoredTotals> totals);

// Compares stored totals of counters [0, totals.size()) with the ledger into `report`.
void compare_with_ledger(const SentLedger& ledger, std::span<const StoredTotals> totals,
                         LossReport& report);

}  // namespace ringstat
