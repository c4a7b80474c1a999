#include "perf/bench/ingest_flags.h"

#include "perf/bench/bench_options.h"

namespace ringstat {

void add_ingest_flags(CLI::App& ingest, RawIngestFlags& raw) {
  ingest.add_option("--target", raw.target, "ingest port, host:port")->required();
  ingest.add_option("--protocol", raw.protocol, "istatd|graphite")
      ->check(CLI::IsMember({"istatd", "graphite"}));
  ingest.add_option("--transport", raw.transport, "tcp|udp")->check(CLI::IsMember({"tcp", "udp"}));
  ingest.add_option("--counters", raw.counters, "distinct counter names")
      ->check(CLI::Range(uint32_t{1}, kCountersMax));
  ingest.add_option("--rate", raw.rate, "samples per second, or max");
  ingest.add_option("--connections", raw.connections, "sender connections")
      ->check(CLI::Range(uint32_t{1}, kConnectionsMax));
  ingest.add_option("--duration", raw.duration_s, "timed phase, seconds")
      ->check(CLI::Range(0.001, 1e7));
  ingest
      .add_option("--timestamps", raw.timestamps,
                  "steady (default): every sample carries t0 + 10 s x round, so each opens its "
                  "counter's next 10 s bucket, as fleets send; now: no timestamp, the server "
                  "stamps it (explicit and none are accepted as their old names)")
      ->check(CLI::IsMember({"steady", "now", "explicit", "none"}));
  ingest.add_option("--t0", raw.t0, "time of round 0 (default: now - 2 days, floored to 10 s)");
  ingest.add_flag("--warmup", raw.warmup, "send one full round first, timed separately");
  ingest.add_option("--cpus", raw.cpus, "pin sender threads, e.g. 0 or 0,1");
  ingest
      .add_option("--server-pid", raw.server_pid,
                  "measure this process through /proc: CPU, RSS and disk bytes per phase until "
                  "it is idle again, and written_bytes_per_sample: disk bytes written from the "
                  "first line to the end of the flush after the run (without --admin: until "
                  "idle after the timed phase) over every sample sent, warm-up included")
      ->check(CLI::PositiveNumber);
  ingest.add_option("--admin", raw.admin,
                    "ringstat admin port, host:port: `flush` after the run, then `stats` for the "
                    "store pages per level");
  ingest.add_option("--http", raw.http, "ringstat HTTP port, host:port");
  ingest.add_flag("--check-loss", raw.check_loss, "read every counter back from ringstat");
  ingest.add_option("--query-concurrency", raw.query_concurrency, "query threads during the run")
      ->check(CLI::Range(uint32_t{0}, kQueryThreadsMax));
  ingest.add_option("--query-kinds", raw.query_kinds, "day,list,post,vm_day");
  ingest.add_option("--store-dir", raw.store_dir,
                    "the server's store directory: its allocated size after the run gives store "
                    "bytes per retained bucket");
  ingest
      .add_option("--retention", raw.retention,
                  "the server's retention levels; their intervals say how many buckets a steady "
                  "run makes each level retain (every bucket sent counts: keep --t0 within the "
                  "finest level's retention, as the default t0 is)")
      ->capture_default_str();
  ingest.add_option("--json", raw.json_path, "write every figure and parameter here");
  ingest.add_option("--label", raw.label, "a name for the run");
}

std::optional<std::string> build_ingest_options(const RawIngestFlags& raw, int64_t now_s,
                                                IngestRunOptions& out) {
  IngestConfig& config = out.ingest;
  const std::optional<TcpEndpoint> target = parse_host_port(raw.target);
  if (!target) return "--target: expected host:port, got '" + raw.target + "'";
  config.host = target->host;
  config.port = std::to_string(target->port);
  out.target_text = raw.target;
  config.plan.protocol = *parse_protocol(raw.protocol);
  config.transport = raw.transport == "tcp" ? Transport::kTcp : Transport::kUdp;
  config.plan.counters = raw.counters;
  const std::optional<double> rate = parse_rate(raw.rate);
  if (!rate) return "--rate: expected a positive number or max, got '" + raw.rate + "'";
  config.rate_per_s = *rate;
  config.connections = raw.connections;
  config.duration_s = raw.duration_s;
  const std::optional<TimestampMode> timestamps = parse_timestamp_mode(raw.timestamps);
  if (!timestamps) return "--timestamps: expected steady or now, got '" + raw.timestamps + "'";
  config.plan.explicit_timestamps = *timestamps == TimestampMode::kSteady;
  config.plan.t0 = raw.t0.value_or(default_t0(now_s));
  if (config.plan.explicit_timestamps) {
    config.rounds_max = rounds_until(config.plan.t0, now_s);
    if (config.rounds_max == 0) return "--t0 lies in the future";
  }
  if (!raw.cpus.empty()) {
    const std::optional<std::vector<int>> cpus = parse_cpu_list(raw.cpus);
    if (!cpus) return "--cpus: expected a list like 0 or 0,1 or 0-3, got '" + raw.cpus + "'";
    config.cpus = *cpus;
  }
  out.warmup = raw.warmup;
  out.server_pid = raw.server_pid;
  if (!raw.admin.empty()) {
    out.admin = parse_host_port(raw.admin);
    if (!out.admin) return "--admin: expected host:port, got '" + raw.admin + "'";
  }
  if (!raw.http.empty()) {
    out.http = parse_host_port(raw.http);
    if (!out.http) return "--http: expected host:port, got '" + raw.http + "'";
  }
  out.check_loss = raw.check_loss;
  if (out.check_loss && (!out.admin || !out.http)) return "--check-loss needs --admin and --http";
  out.query_concurrency = raw.query_concurrency;
  const std::optional<std::vector<QueryKind>> kinds = parse_query_kinds(raw.query_kinds);
  if (!kinds) return "--query-kinds: expected a list of day, list, post, vm_day";
  out.query_kinds = *kinds;
  if (out.query_concurrency > 0 && !out.http) return "--query-concurrency needs --http";
  out.store_dir = raw.store_dir;
  Result<Retention> retention = parse_retention(raw.retention);
  if (!retention.ok()) return "--retention: " + retention.error();
  out.retention = std::move(retention.value());
  out.retention_text = raw.retention;
  out.json_path = raw.json_path;
  out.label = raw.label.empty() ? std::string(protocol_name(config.plan.protocol)) + "-" +
                                      raw.transport + "-" + std::to_string(raw.counters)
                                : raw.label;
  return std::nullopt;
}

}  // namespace ringstat
