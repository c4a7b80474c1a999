// ringstat-bench: load generator and measurer for ringstat or any peer (docs/perf.md). main parses
// the command line with CLI11 and hands a validated IngestRunOptions to run_ingest. Usage errors
// exit with 2, a run that could not be made with 1.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <ctime>
#include <string>

#include "perf/bench/bench_options.h"
#include "perf/bench/ingest_run.h"

namespace ringstat {
namespace {

constexpr int kUsageExit = 2;

// The flags as CLI11 fills them: every value as its words until validated.
struct RawIngestFlags {
  std::string target;
  std::string protocol = "istatd";
  std::string transport = "tcp";
  uint32_t counters = 1'000'000;
  std::string rate = "max";
  uint32_t connections = 4;
  double duration_s = 20;
  std::string timestamps = "explicit";
  std::optional<int64_t> t0;
  bool warmup = false;
  std::string cpus;
  std::optional<int> server_pid;
  std::string admin;
  std::string http;
  bool check_loss = false;
  uint32_t query_concurrency = 0;
  std::string query_kinds = "day,list,post";
  std::string json_path;
  std::string label;
};

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
  ingest.add_option("--timestamps", raw.timestamps, "explicit|none")
      ->check(CLI::IsMember({"explicit", "none"}));
  ingest.add_option("--t0", raw.t0, "time of round 0 (default: now - 2 days, floored to 10 s)");
  ingest.add_flag("--warmup", raw.warmup, "send one full round first, timed separately");
  ingest.add_option("--cpus", raw.cpus, "pin sender threads, e.g. 0 or 0,1");
  ingest.add_option("--server-pid", raw.server_pid, "measure this process through /proc")
      ->check(CLI::PositiveNumber);
  ingest.add_option("--admin", raw.admin, "ringstat admin port, host:port");
  ingest.add_option("--http", raw.http, "ringstat HTTP port, host:port");
  ingest.add_flag("--check-loss", raw.check_loss, "read every counter back from ringstat");
  ingest.add_option("--query-concurrency", raw.query_concurrency, "query threads during the run")
      ->check(CLI::Range(uint32_t{0}, kQueryThreadsMax));
  ingest.add_option("--query-kinds", raw.query_kinds, "day,list,post,vm_day");
  ingest.add_option("--json", raw.json_path, "write every figure and parameter here");
  ingest.add_option("--label", raw.label, "a name for the run");
}

// Validates what CLI11 cannot; returns an error message for the usage line.
std::optional<std::string> build_options(const RawIngestFlags& raw, IngestRunOptions& out) {
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
  config.plan.explicit_timestamps = raw.timestamps == "explicit";
  const int64_t now_s = static_cast<int64_t>(std::time(nullptr));
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
  out.json_path = raw.json_path;
  out.label = raw.label.empty() ? std::string(protocol_name(config.plan.protocol)) + "-" +
                                      raw.transport + "-" + std::to_string(raw.counters)
                                : raw.label;
  return std::nullopt;
}

}  // namespace
}  // namespace ringstat

int main(int argc, char** argv) {
  using namespace ringstat;
  CLI::App app("ringstat-bench: load generator and measurer for ringstat and its peers");
  app.require_subcommand(1);
  CLI::App* ingest = app.add_subcommand("ingest", "open-loop ingest load, server cost, loss");
  RawIngestFlags raw;
  add_ingest_flags(*ingest, raw);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kUsageExit;
  }
  IngestRunOptions options;
  if (std::optional<std::string> error = build_options(raw, options)) {
    std::fprintf(stderr, "ringstat-bench ingest: %s\n", error->c_str());
    return kUsageExit;
  }
  for (int a = 0; a < argc; ++a) {
    if (a > 0) options.command_line += ' ';
    options.command_line += argv[a];
  }
  for (const CLI::Option* option : ingest->get_options()) {
    if (option->count() == 0 || option->get_name() == "--help") continue;
    std::string value;
    for (const std::string& result : option->results()) {
      if (!value.empty()) value += ',';
      value += result;
    }
    options.flags.emplace_back(option->get_name(), value);
  }
  return run_ingest(options);
}
