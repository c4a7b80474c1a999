#include "perf/bench/ingest_run.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <memory>
#include <thread>

#include "perf/bench/admin_client.h"
#include "perf/bench/bench_options.h"
#include "perf/bench/dir_usage.h"
#include "perf/bench/http_client.h"
#include "perf/bench/loss_check.h"
#include "perf/bench/report.h"
#include "perf/bench/server_probe.h"
#include "perf/bench/store_figures.h"

namespace ringstat {

namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kProgressInterval = std::chrono::seconds(1);
constexpr auto kPollInterval = std::chrono::milliseconds(50);
constexpr auto kSettlePollInterval = std::chrono::milliseconds(250);
constexpr double kMiB = 1024.0 * 1024.0;
// The big listing measured once after the run.
constexpr std::string_view kBigListingPattern = "rsb.*";

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int64_t wall_now_s() { return static_cast<int64_t>(std::time(nullptr)); }

// Runs one phase to its end with a progress line on stderr every second.
PhaseResult run_phase(IngestLoad& load, bool warmup, ServerProbe* probe,
                      std::atomic<int64_t>& data_end_s, uint64_t lines_before) {
  const IngestConfig& config = load.config();
  if (warmup) {
    load.start_warmup();
  } else {
    load.start_timed();
  }
  Clock::time_point next_tick = Clock::now() + kProgressInterval;
  uint64_t last_lines = 0;
  const Clock::time_point phase_start = Clock::now();
  double last_wall_s = 0;
  double last_cpu_s = 0;
  while (load.running()) {
    std::this_thread::sleep_for(kPollInterval);
    const IngestProgress progress = load.progress();
    // The query load's "end of the data": the last round any counter has reached.
    data_end_s.store(config.plan.t0 +
                     kRoundStep_s * static_cast<int64_t>((lines_before + progress.lines_sent +
                                                          config.plan.counters - 1) /
                                                         config.plan.counters));
    if (Clock::now() < next_tick) continue;
    next_tick += kProgressInterval;
    // Rates use the wall clock: after the schedule ends, blocked senders still drain.
    const double wall_s = seconds_since(phase_start);
    const double interval_s = wall_s - last_wall_s;
    const double per_s =
        interval_s > 0 ? static_cast<double>(progress.lines_sent - last_lines) / interval_s : 0;
    const double behind = progress.due_lines - static_cast<double>(progress.lines_sent);
    const double lag_s = config.rate_per_s > 0 && behind > 0 ? behind / config.rate_per_s : 0;
    std::string server;
    if (probe != nullptr) {
      if (std::optional<ProcSample> reading = probe->sample()) {
        const double cpu_s = probe->cpu_s_so_far();
        char text[96];
        std::snprintf(text, sizeof(text), "  server CPU %3.0f%%  RSS %.1f MiB",
                      interval_s > 0 ? 100 * (cpu_s - last_cpu_s) / interval_s : 0,
                      static_cast<double>(reading->rss_bytes) / kMiB);
        server = text;
        last_cpu_s = cpu_s;
      } else {
        server = "  server: cannot read /proc";
      }
    }
    std::fprintf(stderr, "%s %6.1fs  sent/s %10.0f  sent %12llu  lag %.3fs%s\n",
                 warmup ? "warmup" : (wall_s > config.duration_s ? "drain " : "ingest"), wall_s,
                 per_s, static_cast<unsigned long long>(progress.lines_sent), lag_s,
                 server.c_str());
    last_lines = progress.lines_sent;
    last_wall_s = wall_s;
  }
  return load.finish_phase();
}

// The server's CPU share of one core while nothing is sent.
double measure_idle_share(ServerProbe& probe) {
  const double before_s = probe.cpu_s_so_far();
  const Clock::time_point start = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(kIdleBaseline_s));
  probe.sample();
  return (probe.cpu_s_so_far() - before_s) / seconds_since(start);
}

// Keeps the probe's window open until the server is back near idle; returns its figures.
ServerFigures settle(ServerProbe& probe, double idle_share) {
  const Clock::time_point start = Clock::now();
  ServerFigures figures;
  double window_start_cpu_s = probe.cpu_s_so_far();
  Clock::time_point window_start = Clock::now();
  while (seconds_since(start) < kSettle_s_max) {
    std::this_thread::sleep_for(kSettlePollInterval);
    if (!probe.sample()) break;
    const double window_s = seconds_since(window_start);
    if (window_s < kSettleWindow_s) continue;
    const double busy = (probe.cpu_s_so_far() - window_start_cpu_s) / window_s;
    if (busy < idle_share + kSettleIdleCpuShare) {
      figures.settled = true;
      break;
    }
    window_start_cpu_s = probe.cpu_s_so_far();
    window_start = Clock::now();
  }
  probe.finish();
  figures.probe = probe.figures();
  figures.settle_s = seconds_since(start);
  return figures;
}

PhaseFigures phase_figures(const PhaseResult& result) {
  PhaseFigures figures;
  figures.sent = result.lines_sent;
  figures.elapsed_s = result.elapsed_s;
  figures.achieved_per_s = result.achieved_per_s;
  return figures;
}

QueryFigures query_figures(QueryKind kind, const QueryKindResult& result) {
  QueryFigures figures;
  figures.kind = std::string(query_kind_name(kind));
  figures.count = result.latency.count();
  figures.errors = result.errors;
  figures.p50_ns = result.latency.percentile_ns(50);
  figures.p90_ns = result.latency.percentile_ns(90);
  figures.p99_ns = result.latency.percentile_ns(99);
  figures.p999_ns = result.latency.percentile_ns(99.9);
  figures.max_ns = result.latency.max_ns();
  return figures;
}

LossFigures loss_figures(const LossReport& report) {
  LossFigures figures;
  figures.sent = report.samples_sent;
  figures.stored = report.samples_stored;
  figures.lost = report.samples_lost;
  figures.extra = report.samples_extra;
  figures.counters_wrong = report.counters_wrong;
  figures.counters_missing = report.counters_missing;
  figures.passed = report.passed();
  figures.flush_s = report.flush_s;
  figures.query_s = report.query_s;
  for (const CounterMismatch& wrong : report.examples) {
    char text[256];
    std::snprintf(text, sizeof(text), "%s: sent count %llu sum %llu, stored count %llu sum %.17g",
                  wrong.name.c_str(), static_cast<unsigned long long>(wrong.sent_count),
                  static_cast<unsigned long long>(wrong.sent_sum),
                  static_cast<unsigned long long>(wrong.stored_count), wrong.stored_sum);
    figures.examples.push_back(text);
  }
  return figures;
}

// The admin flush after the run: everything sent is durable when it returns, which ends the
// written-bytes window. Then `stats` for the store's pages per level.
struct AfterRunReadings {
  std::optional<double> flush_s;
  std::optional<uint64_t> write_bytes_end;
  std::vector<uint64_t> pages_by_level;
  std::optional<uint64_t> staged_buckets;
};

Result<AfterRunReadings> flush_and_read_stats(AdminClient& admin, const ServerProbe* probe) {
  AfterRunReadings readings;
  const Clock::time_point start = Clock::now();
  if (Status flushed = admin.flush(); !flushed.ok()) return Error{"flush: " + flushed.error()};
  readings.flush_s = seconds_since(start);
  if (probe != nullptr) {
    if (std::optional<ProcSample> reading = read_proc_sample(probe->pid())) {
      readings.write_bytes_end = reading->write_bytes;
    }
  }
  Result<std::vector<std::string>> stats = admin.command("stats");
  if (!stats.ok()) return Error{"stats: " + stats.error()};
  readings.pages_by_level = store_pages_by_level(stats.value());
  readings.staged_buckets = stats_value(stats.value(), "staged_buckets");
  return readings;
}

// After the senders stopped and the server settled: the admin flush that ends the written-bytes
// window (without --admin the window ends at the probe's last reading), `stats`, the store
// directory's allocated size, and from them the store figures. False when a reading that was
// asked for could not be made.
bool measure_store(const IngestRunOptions& options, const ServerProbe* probe,
                   const SentLedger& ledger, std::optional<uint64_t> write_bytes_start,
                   RunReport& report) {
  bool complete = true;
  std::optional<uint64_t> write_bytes_end;
  if (probe != nullptr && probe->last()) write_bytes_end = probe->last()->write_bytes;
  std::optional<AfterRunReadings> after_run;
  if (options.admin) {
    AdminClient admin(*options.admin);
    std::fprintf(stderr, "flush, then stats\n");
    if (Result<AfterRunReadings> readings = flush_and_read_stats(admin, probe)) {
      after_run = std::move(readings.value());
      report.flush_s = after_run->flush_s;
      write_bytes_end = after_run->write_bytes_end;
    } else {
      std::fprintf(stderr, "ringstat-bench: admin: %s\n", readings.error().c_str());
      complete = false;
    }
  }
  if (write_bytes_start && write_bytes_end && *write_bytes_end >= *write_bytes_start) {
    report.written = WrittenFigures{*write_bytes_end - *write_bytes_start, after_run.has_value()};
  }
  std::optional<uint64_t> store_bytes;
  if (!options.store_dir.empty()) {
    if (Result<uint64_t> bytes = allocated_bytes_under(options.store_dir)) {
      store_bytes = bytes.value();
    } else {
      std::fprintf(stderr, "ringstat-bench: --store-dir: %s\n", bytes.error().c_str());
      complete = false;
    }
  }
  // Buckets retained follow from explicit timestamps only; a `now` run's buckets are wherever
  // the server's clock put them.
  if (options.ingest.plan.explicit_timestamps && (after_run || store_bytes)) {
    const std::span<const uint64_t> pages =
        after_run ? std::span<const uint64_t>(after_run->pages_by_level)
                  : std::span<const uint64_t>();
    report.store = store_figures(options.ingest.plan.t0, ledger, options.retention, pages,
                                 store_bytes, after_run ? after_run->staged_buckets : std::nullopt);
  }
  return complete;
}

RunReport base_report(const IngestRunOptions& options) {
  const IngestConfig& config = options.ingest;
  RunReport report;
  report.label = options.label;
  report.parameters = options.flags;
  report.command_line = options.command_line;
  report.machine = read_machine_info();
  report.target = options.target_text;
  report.protocol = std::string(protocol_name(config.plan.protocol));
  report.transport = config.transport == Transport::kTcp ? "tcp" : "udp";
  report.timestamps = std::string(timestamp_mode_name(
      config.plan.explicit_timestamps ? TimestampMode::kSteady : TimestampMode::kNow));
  report.counters = config.plan.counters;
  report.connections = config.connections;
  report.offered_per_s = config.rate_per_s;
  report.duration_s = config.duration_s;
  report.t0 = config.plan.t0;
  report.server_pid = options.server_pid;
  report.retention = options.retention_text;
  return report;
}

}  // namespace

int run_ingest(const IngestRunOptions& options) {
  RunReport report = base_report(options);
  IngestLoad load(options.ingest);
  if (Status connected = load.connect(); !connected) {
    std::fprintf(stderr, "ringstat-bench: %s\n", connected.error().c_str());
    return 1;
  }
  std::unique_ptr<ServerProbe> probe;
  if (options.server_pid) {
    probe = std::make_unique<ServerProbe>(*options.server_pid);
    if (!probe->start()) {
      std::fprintf(stderr, "ringstat-bench: cannot read /proc/%d\n", *options.server_pid);
      return 1;
    }
    report.server_idle_cpu_share = measure_idle_share(*probe);
  }
  const double idle_share = report.server_idle_cpu_share.value_or(0);
  const int64_t wall_start_s = wall_now_s();
  std::atomic<int64_t> data_end_s{options.ingest.plan.t0};

  // The written-bytes window opens with the first phase's first reading.
  std::optional<uint64_t> write_bytes_start;
  if (options.warmup) {
    if (probe) probe->start();
    if (probe && probe->last()) write_bytes_start = probe->last()->write_bytes;
    const PhaseResult warmup = run_phase(load, true, probe.get(), data_end_s, 0);
    report.warmup = phase_figures(warmup);
    if (probe) report.warmup->server = settle(*probe, idle_share);
    if (warmup.failed_connections > 0) {
      report.failed_connections = warmup.failed_connections;
      report.first_error = warmup.first_error;
    }
  }
  const uint64_t lines_before = report.warmup ? report.warmup->sent : 0;

  std::unique_ptr<QueryLoad> queries;
  if (options.query_concurrency > 0) {
    QueryLoadConfig query_config;
    query_config.endpoint = *options.http;
    query_config.threads = options.query_concurrency;
    query_config.kinds = options.query_kinds;
    query_config.counters = options.ingest.plan.counters;
    if (options.ingest.plan.explicit_timestamps) {
      query_config.data_end_s = [&data_end_s] { return data_end_s.load(); };
    }
    queries = std::make_unique<QueryLoad>(query_config);
    if (Status started = queries->start(); !started) {
      std::fprintf(stderr, "ringstat-bench: query load: %s\n", started.error().c_str());
      return 1;
    }
  }

  if (probe) probe->start();
  if (probe && probe->last() && !options.warmup) write_bytes_start = probe->last()->write_bytes;
  const PhaseResult timed = run_phase(load, false, probe.get(), data_end_s, lines_before);
  if (queries) queries->stop();
  load.close();
  report.timed = phase_figures(timed);
  if (probe) report.timed.server = settle(*probe, idle_share);
  const int64_t wall_end_s = wall_now_s();
  report.lag_lines = timed.lag_lines;
  report.lag_s = timed.lag_s;
  report.rounds_exhausted = timed.rounds_exhausted;
  if (timed.failed_connections > 0) {
    report.failed_connections = timed.failed_connections;
    report.first_error = timed.first_error;
  }
  const SentLedger ledger = load.ledger();
  report.sent_total = ledger.total_samples();

  if (queries) {
    for (QueryKind kind : options.query_kinds) {
      report.queries.push_back(query_figures(kind, queries->result(kind)));
    }
  }
  int exit_code = 0;
  if (!measure_store(options, probe.get(), ledger, write_bytes_start, report)) exit_code = 1;
  // The loss check reads back what the flush above made durable.
  if (options.check_loss && report.flush_s) {
    AdminClient admin(*options.admin);
    HttpClient http(*options.http);
    LossCheckOptions loss_options;
    loss_options.wall_start_s = wall_start_s;
    loss_options.wall_end_s = wall_end_s;
    loss_options.flush = false;  // flushed above
    std::fprintf(stderr, "checking loss: reading back %u counters\n", options.ingest.plan.counters);
    Result<LossReport> loss =
        check_ringstat_loss(admin, http, options.ingest.plan, ledger, loss_options);
    if (loss) {
      report.loss = loss_figures(loss.value());
      report.loss->flush_s = report.flush_s.value_or(0);
    } else {
      std::fprintf(stderr, "ringstat-bench: loss check: %s\n", loss.error().c_str());
      exit_code = 1;
    }
  }
  if (queries && options.http) {
    HttpClient http(*options.http);
    if (Result<ListingMeasurement> listing = measure_listing(http, kBigListingPattern)) {
      report.big_listing_ns = listing.value().latency_ns;
      report.big_listing_bytes = listing.value().body_bytes;
    }
  }

  print_details(stdout, report);
  std::printf("\n");
  print_table(stdout, std::span<const RunReport>(&report, 1));
  if (!options.json_path.empty()) {
    std::ofstream out(options.json_path, std::ios::binary | std::ios::trunc);
    out << format_json(report);
    if (!out) {
      std::fprintf(stderr, "ringstat-bench: cannot write %s\n", options.json_path.c_str());
      exit_code = 1;
    }
  }
  return exit_code;
}

}  // namespace ringstat
