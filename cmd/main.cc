// ringstat: the command-line entry point. `ringstat serve` runs the daemon in the foreground
// (docs/cli.md); exit status 0 after a clean stop, 1 on a runtime failure, 2 on a usage error.
#include <mimalloc-new-delete.h>  // mimalloc for every allocation of the process

#include <sys/resource.h>

#include <variant>

#include "cmd/serve_options.h"
#include "net/daemon/server.h"
#include "net/process/log.h"

namespace ringstat {
namespace {

DaemonConfig daemon_config(const ServeOptions& options) {
  DaemonConfig config;
  config.store_directory = options.store_dir;
  config.listen_address = options.listen_address;
  config.admin_address = options.admin_address;
  config.stat_port = options.stat_port;
  config.graphite_port = options.graphite_port;
  config.http_port = options.http_port;
  config.admin_port = options.admin_port;
  config.retention = options.retention;
  config.threads = options.threads;
  config.commit_interval_ms = options.commit_interval_ms;
  config.fake_time = options.fake_time_s;
  config.direct_io = options.direct_io;
  config.new_store_shards = options.shards;
  config.counters_max = static_cast<uint32_t>(options.counters_max);
  config.staging_mb = static_cast<uint32_t>(options.staging_mb);
  config.wal_mb = static_cast<uint32_t>(options.wal_mb);
  config.http_request_timeout_ms = options.http_request_timeout_ms;
  config.http_idle_timeout_ms = options.http_idle_timeout_ms;
  config.admin_idle_timeout_ms = options.admin_idle_timeout_ms;
  return config;
}

// Every connection takes a descriptor, and the soft limit is often 1024 where the hard one is far
// higher: take all the hard limit allows. The reactors size their ingest budget from the result.
void raise_open_file_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  (void)::setrlimit(RLIMIT_NOFILE, &limit);
}

int run(int argc, char** argv) {
  CommandLine command = parse_command_line(argc, argv);
  if (const auto* exit = std::get_if<ExitNow>(&command)) return print_and_exit_status(*exit);
  const ServeOptions& options = std::get<ServeOptions>(command);
  process_log().set_level(options.log_level);
  raise_open_file_limit();
  Server server(daemon_config(options));
  return server.run();
}

}  // namespace
}  // namespace ringstat

int main(int argc, char** argv) { return ringstat::run(argc, argv); }
