#include "perf/bench/report.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>

#include "engine/query/json_writer.h"

namespace ringstat {

namespace {

constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kMB = 1e6;
constexpr double kNsPerMs = 1e6;
const char* const kNotAvailable = "n/a";

std::string fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.*f", decimals, value);
  return text;
}

std::string fixed_or_na(const std::optional<double>& value, int decimals) {
  return value ? fixed(*value, decimals) : kNotAvailable;
}

std::string latency_pair(const QueryFigures& query) {
  if (query.count == 0) return kNotAvailable;
  return fixed(static_cast<double>(query.p50_ns) / kNsPerMs, 2) + "/" +
         fixed(static_cast<double>(query.p99_ns) / kNsPerMs, 2);
}

void write_optional(JsonWriter& json, const char* key, const std::optional<double>& value) {
  json.key(key);
  if (value) {
    json.number(*value);
  } else {
    json.null();
  }
}

void write_optional(JsonWriter& json, const char* key, const std::optional<uint64_t>& value) {
  json.key(key);
  if (value) {
    json.unsigned_integer(*value);
  } else {
    json.null();
  }
}

void write_server(JsonWriter& json, const ServerFigures& server, uint64_t samples,
                  uint32_t counters) {
  const ProbeFigures& probe = server.probe;
  json.begin_object();
  json.key("cpu_s").number(probe.cpu_s);
  write_optional(json, "cpu_ns_per_sample", cpu_ns_per_sample(probe, samples));
  json.key("rss_start_bytes").unsigned_integer(probe.rss_start_bytes);
  json.key("rss_peak_bytes").unsigned_integer(probe.rss_peak_bytes);
  json.key("vm_hwm_end_bytes").unsigned_integer(probe.hwm_end_bytes);
  write_optional(json, "rss_bytes_per_counter", rss_bytes_per_counter(probe, counters));
  write_optional(json, "disk_write_bytes", probe.write_bytes);
  write_optional(json, "disk_read_bytes", probe.read_bytes);
  json.key("proc_samples").unsigned_integer(probe.samples_taken);
  json.key("lost_process").boolean(probe.lost_process);
  json.key("settle_s").number(server.settle_s);
  json.key("settled").boolean(server.settled);
  json.key("children_measured").boolean(false);
  json.end_object();
}

const char* written_window(const WrittenFigures& written) {
  return written.through_flush ? "first line to the end of the admin flush"
                               : "first line until the server was idle after the timed phase "
                                 "(no --admin, so no flush)";
}

void write_store(JsonWriter& json, const RunReport& run) {
  json.key("store");
  if (!run.store) {
    json.null();
    return;
  }
  const StoreFigures& store = *run.store;
  json.begin_object();
  json.key("retention").string(run.retention);
  json.key("levels").begin_array();
  for (const LevelStoreFigures& level : store.levels) {
    json.begin_object();
    json.key("interval_s").unsigned_integer(level.interval_s);
    json.key("buckets").unsigned_integer(level.buckets);
    write_optional(json, "pages", level.pages);
    write_optional(json, "page_bytes_per_bucket", level.page_bytes_per_bucket);
    json.end_object();
  }
  json.end_array();
  json.key("buckets_total").unsigned_integer(store.buckets_total);
  write_optional(json, "page_bytes_total", store.page_bytes_total);
  write_optional(json, "store_bytes", store.store_bytes);
  write_optional(json, "store_bytes_per_bucket", store.store_bytes_per_bucket);
  write_optional(json, "store_bytes_per_point", store.store_bytes_per_point);
  write_optional(json, "staged_buckets", store.staged_buckets);
  json.end_object();
}

void print_store(std::FILE* out, const RunReport& run) {
  const StoreFigures& store = *run.store;
  std::fprintf(out, "  store after the run (retention %s; buckets from what was sent):\n",
               run.retention.c_str());
  for (size_t l = 0; l < store.levels.size(); ++l) {
    const LevelStoreFigures& level = store.levels[l];
    std::fprintf(out, "    level %zu (%u s): %llu buckets, %s pages = %s B per bucket\n", l,
                 level.interval_s, static_cast<unsigned long long>(level.buckets),
                 level.pages ? std::to_string(*level.pages).c_str() : kNotAvailable,
                 fixed_or_na(level.page_bytes_per_bucket, 1).c_str());
  }
  std::fprintf(out,
               "    all levels: %llu buckets; store directory %s MB allocated = %s B per bucket, "
               "%s B per finest-level point\n",
               static_cast<unsigned long long>(store.buckets_total),
               store.store_bytes ? fixed(static_cast<double>(*store.store_bytes) / kMB, 1).c_str()
                                 : kNotAvailable,
               fixed_or_na(store.store_bytes_per_bucket, 1).c_str(),
               fixed_or_na(store.store_bytes_per_point, 1).c_str());
  if (store.staged_buckets) {
    std::fprintf(
        out, "    %llu buckets still staged (held in the log and snapshots, not in pages yet)\n",
        static_cast<unsigned long long>(*store.staged_buckets));
  }
}

void write_phase(JsonWriter& json, const PhaseFigures& phase, uint32_t counters) {
  json.begin_object();
  json.key("sent").unsigned_integer(phase.sent);
  json.key("elapsed_s").number(phase.elapsed_s);
  json.key("achieved_per_s").number(phase.achieved_per_s);
  json.key("server");
  if (phase.server) {
    write_server(json, *phase.server, phase.sent, counters);
  } else {
    json.null();
  }
  json.end_object();
}

}  // namespace

MachineInfo read_machine_info() {
  MachineInfo machine;
  const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  machine.nproc = cpus > 0 ? static_cast<uint32_t>(cpus) : 0;
  utsname name{};
  if (uname(&name) == 0) {
    machine.kernel =
        std::string(name.sysname) + " " + name.release + " " + name.version + " " + name.machine;
  }
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
  machine.date = text;
  return machine;
}

std::optional<double> phase_cpu_ns_per_sample(const PhaseFigures& phase) {
  if (!phase.server) return std::nullopt;
  return cpu_ns_per_sample(phase.server->probe, phase.sent);
}

std::optional<double> written_bytes_per_sample(const RunReport& run) {
  if (!run.written || run.sent_total == 0) return std::nullopt;
  return static_cast<double>(run.written->bytes) / static_cast<double>(run.sent_total);
}

void print_table(std::FILE* out, std::span<const RunReport> runs) {
  std::vector<std::string> query_kinds;
  for (const RunReport& run : runs) {
    for (const QueryFigures& query : run.queries) {
      if (std::find(query_kinds.begin(), query_kinds.end(), query.kind) == query_kinds.end()) {
        query_kinds.push_back(query.kind);
      }
    }
  }
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header = {"label",
                                     "counters",
                                     "offered/s",
                                     "achieved/s",
                                     "sent",
                                     "stored",
                                     "lost",
                                     "CPU ns/sample",
                                     "peak RSS MiB",
                                     "B/counter",
                                     "disk MB written",
                                     "written B/sample",
                                     "store B/bucket"};
  for (const std::string& kind : query_kinds) header.push_back(kind + " p50/p99 ms");
  rows.push_back(header);
  for (const RunReport& run : runs) {
    const std::optional<ServerFigures>& server = run.timed.server;
    std::vector<std::string> row = {
        run.label,
        std::to_string(run.counters),
        run.offered_per_s > 0 ? fixed(run.offered_per_s, 0) : "max",
        fixed(run.timed.achieved_per_s, 0),
        std::to_string(run.sent_total),
        run.loss ? std::to_string(run.loss->stored) : kNotAvailable,
        run.loss ? std::to_string(run.loss->lost) : kNotAvailable,
        fixed_or_na(phase_cpu_ns_per_sample(run.timed), 1),
        server ? fixed(static_cast<double>(server->probe.rss_peak_bytes) / kMiB, 1) : kNotAvailable,
        server ? fixed_or_na(rss_bytes_per_counter(server->probe, run.counters), 0) : kNotAvailable,
        server && server->probe.write_bytes
            ? fixed(static_cast<double>(*server->probe.write_bytes) / kMB, 1)
            : kNotAvailable,
        fixed_or_na(written_bytes_per_sample(run), 1),
        run.store ? fixed_or_na(run.store->store_bytes_per_bucket, 1) : kNotAvailable,
    };
    for (const std::string& kind : query_kinds) {
      auto found = std::find_if(run.queries.begin(), run.queries.end(),
                                [&](const QueryFigures& query) { return query.kind == kind; });
      row.push_back(found == run.queries.end() ? kNotAvailable : latency_pair(*found));
    }
    rows.push_back(row);
  }
  std::vector<size_t> widths(header.size(), 0);
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  }
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) {
      // The label column reads best left-aligned, the figures right-aligned.
      std::fprintf(out, c == 0 ? "%-*s" : "  %*s", static_cast<int>(widths[c]), row[c].c_str());
    }
    std::fprintf(out, "\n");
  }
}

void print_details(std::FILE* out, const RunReport& run) {
  std::fprintf(out, "%s: %s %s to %s, %u connections, timestamps %s, t0 %lld\n", run.label.c_str(),
               run.protocol.c_str(), run.transport.c_str(), run.target.c_str(), run.connections,
               run.timestamps.c_str(), static_cast<long long>(run.t0));
  if (run.warmup) {
    std::fprintf(out,
                 "  warmup (first-seen cost): %llu samples in %.2f s, server CPU %s ns/sample\n",
                 static_cast<unsigned long long>(run.warmup->sent), run.warmup->elapsed_s,
                 fixed_or_na(phase_cpu_ns_per_sample(*run.warmup), 1).c_str());
  }
  std::fprintf(out,
               "  timed: %llu samples in %.2f s = %.0f/s; behind schedule at the end: %llu "
               "samples (%.3f s)\n",
               static_cast<unsigned long long>(run.timed.sent), run.timed.elapsed_s,
               run.timed.achieved_per_s, static_cast<unsigned long long>(run.lag_lines), run.lag_s);
  if (run.server_idle_cpu_share) {
    std::fprintf(out,
                 "  server idle before the load: %.1f%% of one core (counted in CPU figures)\n",
                 100 * *run.server_idle_cpu_share);
  }
  if (run.timed.server) {
    const ServerFigures& server = *run.timed.server;
    std::fprintf(out,
                 "  server pid %d: CPU %.2f s (window closed %.1f s after sending stopped%s), "
                 "RSS %.1f -> peak %.1f MiB, VmHWM %.1f MiB, disk written %s MB, read %s MB "
                 "(only this pid, not its children)\n",
                 run.server_pid.value_or(0), server.probe.cpu_s, server.settle_s,
                 server.settled ? ", idle" : ", still busy",
                 static_cast<double>(server.probe.rss_start_bytes) / kMiB,
                 static_cast<double>(server.probe.rss_peak_bytes) / kMiB,
                 static_cast<double>(server.probe.hwm_end_bytes) / kMiB,
                 server.probe.write_bytes
                     ? fixed(static_cast<double>(*server.probe.write_bytes) / kMB, 1).c_str()
                     : kNotAvailable,
                 server.probe.read_bytes
                     ? fixed(static_cast<double>(*server.probe.read_bytes) / kMB, 1).c_str()
                     : kNotAvailable);
  }
  if (run.written) {
    std::fprintf(out, "  disk written %s MB (%s) = %s B per sample sent%s\n",
                 fixed(static_cast<double>(run.written->bytes) / kMB, 1).c_str(),
                 written_window(*run.written),
                 fixed_or_na(written_bytes_per_sample(run), 1).c_str(),
                 run.flush_s ? (", flush " + fixed(*run.flush_s, 2) + " s").c_str() : "");
  }
  if (run.store) print_store(out, run);
  if (run.rounds_exhausted) {
    std::fprintf(out,
                 "  NOTE: senders ran out of rounds before now (t0 too recent); they stopped "
                 "early\n");
  }
  if (run.failed_connections > 0) {
    std::fprintf(out,
                 "  NOTE: %u connections stopped early (%s); lines not sent whole are "
                 "not in the ledger\n",
                 run.failed_connections, run.first_error.c_str());
  }
  if (run.loss) {
    const LossFigures& loss = *run.loss;
    std::fprintf(
        out,
        "  loss check %s: sent %llu, stored %llu, lost %llu, extra %llu, wrong "
        "counters %llu (missing %llu); flush %.2f s, read-back %.2f s\n",
        loss.passed ? "PASSED" : "FAILED", static_cast<unsigned long long>(loss.sent),
        static_cast<unsigned long long>(loss.stored), static_cast<unsigned long long>(loss.lost),
        static_cast<unsigned long long>(loss.extra),
        static_cast<unsigned long long>(loss.counters_wrong),
        static_cast<unsigned long long>(loss.counters_missing), loss.flush_s, loss.query_s);
    for (const std::string& example : loss.examples) {
      std::fprintf(out, "    %s\n", example.c_str());
    }
  }
  for (const QueryFigures& query : run.queries) {
    std::fprintf(
        out,
        "  query %s: %llu ok, %llu errors; p50 %.3f p90 %.3f p99 %.3f p99.9 %.3f "
        "max %.3f ms\n",
        query.kind.c_str(), static_cast<unsigned long long>(query.count),
        static_cast<unsigned long long>(query.errors), static_cast<double>(query.p50_ns) / kNsPerMs,
        static_cast<double>(query.p90_ns) / kNsPerMs, static_cast<double>(query.p99_ns) / kNsPerMs,
        static_cast<double>(query.p999_ns) / kNsPerMs,
        static_cast<double>(query.max_ns) / kNsPerMs);
  }
  if (run.big_listing_ns) {
    std::fprintf(out, "  big listing ?q=rsb.*: %.3f ms, %llu bytes\n",
                 static_cast<double>(*run.big_listing_ns) / kNsPerMs,
                 static_cast<unsigned long long>(run.big_listing_bytes.value_or(0)));
  }
}

std::string format_json(const RunReport& run) {
  std::string text;
  JsonWriter json(text);
  json.begin_object();
  json.key("label").string(run.label);
  json.key("command_line").string(run.command_line);
  json.key("flags").begin_object();
  for (const auto& [name, value] : run.parameters) json.key(name).string(value);
  json.end_object();
  json.key("machine").begin_object();
  json.key("nproc").unsigned_integer(run.machine.nproc);
  json.key("kernel").string(run.machine.kernel);
  json.key("date").string(run.machine.date);
  json.end_object();
  json.key("target").string(run.target);
  json.key("protocol").string(run.protocol);
  json.key("transport").string(run.transport);
  json.key("timestamps").string(run.timestamps);
  json.key("counters").unsigned_integer(run.counters);
  json.key("connections").unsigned_integer(run.connections);
  json.key("offered_per_s");
  if (run.offered_per_s > 0) {
    json.number(run.offered_per_s);
  } else {
    json.string("max");
  }
  json.key("duration_s").number(run.duration_s);
  json.key("t0").integer(run.t0);
  json.key("server_pid");
  if (run.server_pid) {
    json.integer(*run.server_pid);
  } else {
    json.null();
  }
  write_optional(json, "server_idle_cpu_share", run.server_idle_cpu_share);
  json.key("warmup");
  if (run.warmup) {
    write_phase(json, *run.warmup, run.counters);
  } else {
    json.null();
  }
  json.key("timed");
  write_phase(json, run.timed, run.counters);
  json.key("lag_samples").unsigned_integer(run.lag_lines);
  json.key("lag_s").number(run.lag_s);
  json.key("rounds_exhausted").boolean(run.rounds_exhausted);
  json.key("failed_connections").unsigned_integer(run.failed_connections);
  json.key("first_error").string(run.first_error);
  json.key("sent_total").unsigned_integer(run.sent_total);
  json.key("written_bytes");
  if (run.written) {
    json.unsigned_integer(run.written->bytes);
  } else {
    json.null();
  }
  write_optional(json, "written_bytes_per_sample", written_bytes_per_sample(run));
  json.key("written_window");
  if (run.written) {
    json.string(written_window(*run.written));
  } else {
    json.null();
  }
  write_optional(json, "flush_s", run.flush_s);
  write_store(json, run);
  json.key("loss");
  if (run.loss) {
    const LossFigures& loss = *run.loss;
    json.begin_object();
    json.key("passed").boolean(loss.passed);
    json.key("sent").unsigned_integer(loss.sent);
    json.key("stored").unsigned_integer(loss.stored);
    json.key("lost").unsigned_integer(loss.lost);
    json.key("extra").unsigned_integer(loss.extra);
    json.key("counters_wrong").unsigned_integer(loss.counters_wrong);
    json.key("counters_missing").unsigned_integer(loss.counters_missing);
    json.key("flush_s").number(loss.flush_s);
    json.key("query_s").number(loss.query_s);
    json.key("examples").begin_array();
    for (const std::string& example : loss.examples) json.string(example);
    json.end_array();
    json.end_object();
  } else {
    json.null();
  }
  json.key("queries").begin_array();
  for (const QueryFigures& query : run.queries) {
    json.begin_object();
    json.key("kind").string(query.kind);
    json.key("count").unsigned_integer(query.count);
    json.key("errors").unsigned_integer(query.errors);
    json.key("p50_ns").unsigned_integer(query.p50_ns);
    json.key("p90_ns").unsigned_integer(query.p90_ns);
    json.key("p99_ns").unsigned_integer(query.p99_ns);
    json.key("p999_ns").unsigned_integer(query.p999_ns);
    json.key("max_ns").unsigned_integer(query.max_ns);
    json.end_object();
  }
  json.end_array();
  write_optional(json, "big_listing_ns", run.big_listing_ns);
  write_optional(json, "big_listing_bytes", run.big_listing_bytes);
  json.end_object();
  text.push_back('\n');
  return text;
}

}  // namespace ringstat
