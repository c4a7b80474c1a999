// Store failures in the log: the first failure of an episode is logged at once, further ones at
// most once a minute per shard with their count, and the end of the episode once. The numbers
// are always in /metrics (ringstat_store_errors_total); the log tells an operator it happened.
#include <string>

#include "net/daemon/daemon_metrics.h"
#include "net/daemon/reactor.h"
#include "net/daemon/reactor_state.h"
#include "net/process/log.h"

namespace ringstat {

namespace {
constexpr int64_t kStoreReportInterval_ms = 60'000;
}  // namespace

void Reactor::report_store_health() {
  store_reports_.resize(shards_.size());
  const int64_t now_ms = wall_ms();
  for (size_t i = 0; i < shards_.size(); ++i) {
    const ShardStats stats = shards_[i]->shard->stats();
    StoreReport& report = store_reports_[i];
    const std::string shard = "shard " + std::to_string(shards_[i]->shard_index);
    const uint64_t unreported = stats.store_errors_total - report.errors_logged;
    const bool first = stats.store_failing && !report.failing;
    if (unreported > 0 && (first || now_ms - report.logged_ms >= kStoreReportInterval_ms)) {
      const StoreErrorCount& last = stats.last_store_error;
      process_log().error(shard + ": store " + store_op_name(last.op) +
                          " failed: " + errno_name(last.error) + " (" + std::to_string(unreported) +
                          " failed operations since the last report); retrying with backoff" +
                          (stats.store_grace_spent ? ", refusing new samples as store_full" : ""));
      report.errors_logged = stats.store_errors_total;
      report.logged_ms = now_ms;
    }
    if (report.failing && !stats.store_failing) {
      process_log().info(shard + ": store writable again; ingest resumes");
    }
    report.failing = stats.store_failing;
  }
}

}  // namespace ringstat
