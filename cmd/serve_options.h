// ServeOptions: every setting of `ringstat serve` (docs/cli.md, plus the storage sizes of the
// daemon issue), and parse_command_line, which turns argv and the --config file into those
// options or into an exit status with the text to print. Start-up code, single-threaded; CLI11
// stays inside serve_options.cc.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "engine/ingest/retention.h"
#include "net/process/log.h"
#include "net/uring/direct_io_mode.h"

namespace ringstat {

// Exit statuses of docs/cli.md ("Exit status").
enum ExitStatus : int {
  kExitOk = 0,
  kExitFailure = 1,  // runtime failure: store in use, port taken, I/O error
  kExitUsage = 2,    // unknown flag, bad value, bad retention, bad address, bad config file
};

// Bounds of the numeric flags; a value outside is a usage error.
inline constexpr uint32_t kThreadsMax = 1024;
inline constexpr uint32_t kShardsMax = 1024;
inline constexpr uint32_t kCommitInterval_ms_max = 3'600'000;
inline constexpr uint64_t kStoreCountersMax = 1'000'000'000;
inline constexpr uint64_t kStaging_mb_max = 1 << 20;
// The log must hold a few checkpoints' worth of blocks (engine ShardConfig: a checkpoint per
// 16 MiB by default), so a log under 4 MiB could not work.
inline constexpr uint64_t kWal_mb_min = 4;
inline constexpr uint64_t kWal_mb_max = 1 << 16;
// Connection timeouts (flags in milliseconds): at least a tenth of a second, at most a day.
inline constexpr uint32_t kTimeout_ms_min = 100;
inline constexpr uint32_t kTimeout_ms_max = 86'400'000;

struct ServeOptions {
  std::string config_path;                   // --config; empty = none
  std::string store_dir;                     // --store, required; created by the caller if missing
  std::string listen_address = "127.0.0.1";  // --listen-address: an IPv4 or IPv6 literal
  bool listen_ipv6 = false;                  // listen_address is an IPv6 literal
  // --admin-address: the admin port's own address, loopback by default whatever
  // --listen-address says (the admin port deletes data and has no authentication).
  std::string admin_address = "127.0.0.1";
  uint16_t stat_port = 18001;  // istatd lines, TCP and UDP; 0 = off
  uint16_t graphite_port = 0;  // Graphite plaintext, TCP and UDP; 0 = off
  uint16_t http_port = 18011;  // 0 = off
  uint16_t admin_port = 0;     // 0 = off
  std::string retention_spec{kDefaultRetentionSpec};
  Retention retention = parse_retention(kDefaultRetentionSpec).value();  // retention_spec parsed
  uint32_t threads = 1;  // reactors; the parser's default is online CPUs
  uint32_t commit_interval_ms = 1000;
  int64_t fake_time_s = 0;  // 0 = the real clock
  LogLevel log_level = LogLevel::kInfo;
  DirectIoMode direct_io = DirectIoMode::kAuto;
  uint32_t shards = 16;               // shards of a new store; an existing one keeps its own
  uint64_t counters_max = 1'000'000;  // live counters in the whole store
  uint64_t staging_mb = 1024;         // staged-bucket memory of the whole daemon (used as needed)
  uint64_t wal_mb = 64;               // write-ahead log per shard of a new store
  uint32_t http_request_timeout_ms = 10'000;  // a whole HTTP request, from its first byte
  uint32_t http_idle_timeout_ms = 60'000;     // a kept-alive HTTP connection between requests
  uint32_t admin_idle_timeout_ms = 300'000;   // an admin connection between commands
};

// What the command line asks for when it does not start the daemon.
struct ExitNow {
  int status = kExitOk;
  std::string stdout_text;  // --help or --version output
  std::string stderr_text;  // a usage error: one line naming the problem, ending in '\n'
};

using CommandLine = std::variant<ServeOptions, ExitNow>;

// `ringstat --version`, `ringstat [serve] --help`, or `ringstat serve [flags]` with an optional
// TOML --config file whose keys are the long flag names (`http-port = 18011`, optionally under a
// `[serve]` section); a flag given on the command line wins over the file. Every CLI11 parse
// error, a bad value, an unknown key in the file and an unreadable file become kExitUsage. Does
// not print anything itself, so main() is
//   CommandLine command = parse_command_line(argc, argv);
//   if (auto* exit = std::get_if<ExitNow>(&command)) return print_and_exit_status(*exit);
//   return serve(std::get<ServeOptions>(command));
CommandLine parse_command_line(int argc, const char* const* argv);

// Writes stdout_text to stdout and stderr_text to stderr; returns status.
int print_and_exit_status(const ExitNow& exit);

// The project version from meson, e.g. "0.1.0".
std::string_view ringstat_version();

// Online CPUs (the default of --threads), at least 1 and at most kThreadsMax.
uint32_t online_cpus();

}  // namespace ringstat
