#include "cmd/serve_options.h"

#include <doctest/doctest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "tests/cmd_test_support.h"

namespace ringstat {
namespace {

using testing::TempDir;
using testing::write_file;

CommandLine parse(std::initializer_list<std::string> args) {
  std::vector<std::string> storage{"ringstat"};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<const char*> argv;
  for (const std::string& arg : storage) argv.push_back(arg.c_str());
  return parse_command_line(static_cast<int>(argv.size()), argv.data());
}

ServeOptions parse_ok(std::initializer_list<std::string> args) {
  CommandLine command = parse(args);
  if (const ExitNow* exit = std::get_if<ExitNow>(&command)) {
    FAIL("expected options, got exit ", exit->status, ": ", exit->stderr_text);
  }
  return std::get<ServeOptions>(std::move(command));
}

// A usage error: status 2, nothing on stdout, exactly one line on stderr that starts with
// "ringstat: " and contains `names`.
void check_usage_error(std::initializer_list<std::string> args, const std::string& names) {
  const CommandLine command = parse(args);
  const ExitNow* const exit = std::get_if<ExitNow>(&command);
  REQUIRE_MESSAGE(exit != nullptr, "expected a usage error naming ", names);
  CHECK(exit->status == kExitUsage);
  CHECK(exit->stdout_text.empty());
  const std::string& line = exit->stderr_text;
  CHECK(line.starts_with("ringstat: "));
  CHECK(line.ends_with("\n"));
  CHECK(line.find('\n') == line.size() - 1);
  CHECK_MESSAGE(line.find(names) != std::string::npos, line);
}

TEST_CASE("every serve flag has the default of docs/cli.md") {
  const ServeOptions options = parse_ok({"serve", "--store", "/data"});
  CHECK(options.store_dir == "/data");
  CHECK(options.config_path.empty());
  CHECK(options.listen_address == "127.0.0.1");
  CHECK_FALSE(options.listen_ipv6);
  CHECK(options.stat_port == 18001);
  CHECK(options.graphite_port == 0);
  CHECK(options.http_port == 18011);
  CHECK(options.admin_port == 0);
  CHECK(options.retention_spec == "10s:10d,5m:1y9d,1h:6y12d");
  CHECK(options.retention == parse_retention("10s:10d,5m:1y9d,1h:6y12d").value());
  CHECK(options.threads == online_cpus());
  CHECK(options.commit_interval_ms == 1000);
  CHECK(options.fake_time_s == 0);
  CHECK(options.log_level == LogLevel::kInfo);
  CHECK(options.direct_io == DirectIoMode::kAuto);
  CHECK(options.shards == 16);
  CHECK(options.counters_max == 1'000'000);
  CHECK(options.staging_mb == 1024);
  CHECK(options.wal_mb == 64);
  CHECK(options.admin_address == "127.0.0.1");
  CHECK(options.http_request_timeout_ms == 10'000);
  CHECK(options.http_idle_timeout_ms == 60'000);
  CHECK(options.admin_idle_timeout_ms == 300'000);
}

TEST_CASE("a default-constructed ServeOptions carries the parsed default retention") {
  const ServeOptions options;
  CHECK(options.retention == parse_retention(kDefaultRetentionSpec).value());
  CHECK(options.retention.levels.size() == 3);
}

TEST_CASE("every serve flag is read from the command line") {
  const ServeOptions options = parse_ok({"serve",
                                         "--store",
                                         "/s",
                                         "--listen-address",
                                         "0.0.0.0",
                                         "--stat-port",
                                         "1",
                                         "--graphite-port",
                                         "2003",
                                         "--http-port=8080",
                                         "--admin-port",
                                         "8031",
                                         "--retention",
                                         "1m:1d,1h:30d",
                                         "--threads",
                                         "3",
                                         "--commit-interval-ms",
                                         "50",
                                         "--fake-time",
                                         "1795240560",
                                         "--log-level",
                                         "debug",
                                         "--direct-io",
                                         "off",
                                         "--shards",
                                         "4",
                                         "--max-counters",
                                         "5000",
                                         "--staging-mb",
                                         "32",
                                         "--wal-mb",
                                         "8",
                                         "--admin-address",
                                         "10.0.0.7",
                                         "--http-request-timeout-ms",
                                         "1000",
                                         "--http-idle-timeout-ms",
                                         "2000",
                                         "--admin-idle-timeout-ms",
                                         "3000"});
  CHECK(options.store_dir == "/s");
  CHECK(options.listen_address == "0.0.0.0");
  CHECK_FALSE(options.listen_ipv6);
  CHECK(options.stat_port == 1);
  CHECK(options.graphite_port == 2003);
  CHECK(options.http_port == 8080);
  CHECK(options.admin_port == 8031);
  CHECK(options.retention_spec == "1m:1d,1h:30d");
  CHECK(options.retention == parse_retention("1m:1d,1h:30d").value());
  CHECK(options.threads == 3);
  CHECK(options.commit_interval_ms == 50);
  CHECK(options.fake_time_s == 1795240560);
  CHECK(options.log_level == LogLevel::kDebug);
  CHECK(options.direct_io == DirectIoMode::kOff);
  CHECK(options.shards == 4);
  CHECK(options.counters_max == 5000);
  CHECK(options.staging_mb == 32);
  CHECK(options.wal_mb == 8);
  CHECK(options.admin_address == "10.0.0.7");
  CHECK(options.http_request_timeout_ms == 1000);
  CHECK(options.http_idle_timeout_ms == 2000);
  CHECK(options.admin_idle_timeout_ms == 3000);
}

TEST_CASE("the admin port stays on loopback when only --listen-address is given") {
  const ServeOptions options = parse_ok({"serve", "--store", "/s", "--listen-address", "0.0.0.0"});
  CHECK(options.listen_address == "0.0.0.0");
  CHECK(options.admin_address == "127.0.0.1");
  CHECK(parse_ok({"serve", "--store", "/s", "--admin-address", "::1"}).admin_address == "::1");
  for (const char* bad : {"localhost", "1.2.3", "[::1]", ""}) {
    CAPTURE(bad);
    check_usage_error({"serve", "--store", "/s", "--admin-address", bad}, "--admin-address");
  }
  const TempDir dir;
  const std::string path = dir.file("ringstat.toml");
  write_file(path,
             "store = \"/s\"\nlisten-address = \"0.0.0.0\"\nadmin-address = \"10.0.0.8\"\n"
             "http-request-timeout-ms = 1500\nadmin-idle-timeout-ms = 600000\n");
  const ServeOptions from_file = parse_ok({"serve", "--config", path});
  CHECK(from_file.admin_address == "10.0.0.8");
  CHECK(from_file.http_request_timeout_ms == 1500);
  CHECK(from_file.admin_idle_timeout_ms == 600'000);
}

TEST_CASE("--version prints the meson project version and exits 0") {
  const CommandLine command = parse({"--version"});
  const ExitNow* const exit = std::get_if<ExitNow>(&command);
  REQUIRE(exit != nullptr);
  CHECK(exit->status == kExitOk);
  CHECK(exit->stdout_text == "ringstat " + std::string(ringstat_version()) + "\n");
  CHECK(exit->stderr_text.empty());
  // meson's project version: digits and dots, e.g. 0.1.0.
  CHECK_FALSE(ringstat_version().empty());
  CHECK(ringstat_version().find_first_not_of("0123456789.") == std::string_view::npos);
}

TEST_CASE("--help exits 0 and serve --help lists every serve flag") {
  const CommandLine top = parse({"--help"});
  REQUIRE(std::holds_alternative<ExitNow>(top));
  CHECK(std::get<ExitNow>(top).status == kExitOk);
  CHECK(std::get<ExitNow>(top).stdout_text.find("serve") != std::string::npos);
  CHECK(std::get<ExitNow>(top).stdout_text.find("--version") != std::string::npos);

  // --help wins over a missing --store: asking for help is never a usage error.
  const CommandLine serve = parse({"serve", "--help"});
  REQUIRE(std::holds_alternative<ExitNow>(serve));
  const ExitNow& exit = std::get<ExitNow>(serve);
  CHECK(exit.status == kExitOk);
  CHECK(exit.stderr_text.empty());
  for (const char* flag : {"--config",
                           "--store",
                           "--listen-address",
                           "--stat-port",
                           "--graphite-port",
                           "--http-port",
                           "--admin-port",
                           "--retention",
                           "--threads",
                           "--commit-interval-ms",
                           "--fake-time",
                           "--log-level",
                           "--direct-io",
                           "--shards",
                           "--max-counters",
                           "--staging-mb",
                           "--wal-mb",
                           "--admin-address",
                           "--http-request-timeout-ms",
                           "--http-idle-timeout-ms",
                           "--admin-idle-timeout-ms"}) {
    CHECK_MESSAGE(exit.stdout_text.find(flag) != std::string::npos, flag);
  }
  // The defaults are stated in the help.
  CHECK(exit.stdout_text.find("=16") != std::string::npos);
  CHECK(exit.stdout_text.find("=auto") != std::string::npos);
}

TEST_CASE("missing subcommand, missing --store, unknown flags and extra words are usage errors") {
  check_usage_error({}, "subcommand");
  check_usage_error({"serve"}, "--store");
  check_usage_error({"serve", "--store", "/s", "--bogus"}, "--bogus");
  check_usage_error({"serve", "--store", "/s", "--bogus=1"}, "--bogus");
  check_usage_error({"serve", "--store", "/s", "stray"}, "stray");
  check_usage_error({"frobnicate"}, "frobnicate");
  check_usage_error({"--bogus"}, "--bogus");
  check_usage_error({"serve", "--store", ""}, "--store");
  check_usage_error({"serve", "--store"}, "--store");
}

TEST_CASE("ports accept 0 through 65535 and nothing else") {
  for (const char* flag : {"--stat-port", "--graphite-port", "--http-port", "--admin-port"}) {
    CAPTURE(flag);
    const ServeOptions low = parse_ok({"serve", "--store", "/s", flag, "0"});
    const ServeOptions high = parse_ok({"serve", "--store", "/s", flag, "65535"});
    const std::string name = flag;
    const auto port = [&name](const ServeOptions& options) {
      if (name == "--stat-port") return options.stat_port;
      if (name == "--graphite-port") return options.graphite_port;
      if (name == "--http-port") return options.http_port;
      return options.admin_port;
    };
    CHECK(port(low) == 0);
    CHECK(port(high) == 65535);
    check_usage_error({"serve", "--store", "/s", flag, "65536"}, flag);
    check_usage_error({"serve", "--store", "/s", flag, "-1"}, flag);
    check_usage_error({"serve", "--store", "/s", flag, "http"}, flag);
    check_usage_error({"serve", "--store", "/s", flag, "80.5"}, flag);
  }
}

TEST_CASE("two enabled ports on one address must differ") {
  check_usage_error({"serve", "--store", "/s", "--stat-port", "18011"},
                    "--stat-port and --http-port");
  check_usage_error({"serve", "--store", "/s", "--graphite-port", "2003", "--admin-port", "2003"},
                    "--graphite-port and --admin-port are both 2003");
  check_usage_error({"serve", "--store", "/s", "--http-port", "7", "--admin-port", "7",
                     "--admin-address", "0.0.0.0"},
                    "--http-port and --admin-port");
  // Off is not a port; the admin port may share a number on another address.
  CHECK(
      parse_ok({"serve", "--store", "/s", "--http-port", "0", "--graphite-port", "0"}).http_port ==
      0);
  const ServeOptions apart =
      parse_ok({"serve", "--store", "/s", "--listen-address", "10.0.0.1", "--admin-port", "18011"});
  CHECK(apart.admin_port == 18011);
}

TEST_CASE("listen address must be an IPv4 or IPv6 literal") {
  const ServeOptions v4 = parse_ok({"serve", "--store", "/s", "--listen-address", "10.1.2.3"});
  CHECK(v4.listen_address == "10.1.2.3");
  CHECK_FALSE(v4.listen_ipv6);
  const ServeOptions v6 = parse_ok({"serve", "--store", "/s", "--listen-address", "::1"});
  CHECK(v6.listen_ipv6);
  const ServeOptions any6 = parse_ok({"serve", "--store", "/s", "--listen-address", "::"});
  CHECK(any6.listen_ipv6);
  const ServeOptions mapped =
      parse_ok({"serve", "--store", "/s", "--listen-address", "::ffff:127.0.0.1"});
  CHECK(mapped.listen_ipv6);
  for (const char* bad : {"localhost", "1.2.3", "256.0.0.1", "1.2.3.4:80", "[::1]", "", " ::1"}) {
    CAPTURE(bad);
    check_usage_error({"serve", "--store", "/s", "--listen-address", bad}, "--listen-address");
  }
}

TEST_CASE("a bad retention spec is a usage error carrying the parser's reason") {
  check_usage_error({"serve", "--store", "/s", "--retention", "10s:xx"}, "bad duration 'xx'");
  check_usage_error({"serve", "--store", "/s", "--retention", "10s:xx"}, "--retention");
  check_usage_error({"serve", "--store", "/s", "--retention", ""}, "--retention");
  const ServeOptions options = parse_ok({"serve", "--store", "/s", "--retention", "10s:1d"});
  CHECK(options.retention.levels.size() == 1);
}

TEST_CASE("log level and direct-io take exactly their words") {
  const std::pair<const char*, LogLevel> levels[] = {{"error", LogLevel::kError},
                                                     {"warn", LogLevel::kWarn},
                                                     {"info", LogLevel::kInfo},
                                                     {"debug", LogLevel::kDebug}};
  for (const auto& [word, level] : levels) {
    CHECK(parse_ok({"serve", "--store", "/s", "--log-level", word}).log_level == level);
  }
  check_usage_error({"serve", "--store", "/s", "--log-level", "warning"}, "--log-level");
  check_usage_error({"serve", "--store", "/s", "--log-level", "INFO"}, "--log-level");

  CHECK(parse_ok({"serve", "--store", "/s", "--direct-io", "auto"}).direct_io ==
        DirectIoMode::kAuto);
  CHECK(parse_ok({"serve", "--store", "/s", "--direct-io", "on"}).direct_io == DirectIoMode::kOn);
  CHECK(parse_ok({"serve", "--store", "/s", "--direct-io", "off"}).direct_io == DirectIoMode::kOff);
  check_usage_error({"serve", "--store", "/s", "--direct-io", "yes"}, "--direct-io");
}

TEST_CASE("numeric flags are bounded at both ends") {
  struct Bound {
    const char* flag;
    std::string lowest;
    std::string highest;
    std::string below;
    std::string above;
  };
  const Bound bounds[] = {
      {"--threads", "1", std::to_string(kThreadsMax), "0", std::to_string(kThreadsMax + 1)},
      {"--commit-interval-ms", "1", std::to_string(kCommitInterval_ms_max), "0",
       std::to_string(kCommitInterval_ms_max + 1)},
      {"--fake-time", "0", "253402300799", "-1", "253402300800"},
      {"--shards", "1", std::to_string(kShardsMax), "0", std::to_string(kShardsMax + 1)},
      {"--max-counters", "1", std::to_string(kStoreCountersMax), "0",
       std::to_string(kStoreCountersMax + 1)},
      {"--staging-mb", "1", std::to_string(kStaging_mb_max), "0",
       std::to_string(kStaging_mb_max + 1)},
      {"--wal-mb", std::to_string(kWal_mb_min), std::to_string(kWal_mb_max),
       std::to_string(kWal_mb_min - 1), std::to_string(kWal_mb_max + 1)},
      {"--http-request-timeout-ms", std::to_string(kTimeout_ms_min),
       std::to_string(kTimeout_ms_max), std::to_string(kTimeout_ms_min - 1),
       std::to_string(kTimeout_ms_max + 1)},
      {"--http-idle-timeout-ms", std::to_string(kTimeout_ms_min), std::to_string(kTimeout_ms_max),
       std::to_string(kTimeout_ms_min - 1), std::to_string(kTimeout_ms_max + 1)},
      {"--admin-idle-timeout-ms", std::to_string(kTimeout_ms_min), std::to_string(kTimeout_ms_max),
       std::to_string(kTimeout_ms_min - 1), std::to_string(kTimeout_ms_max + 1)},
  };
  for (const Bound& bound : bounds) {
    CAPTURE(bound.flag);
    CHECK(std::holds_alternative<ServeOptions>(
        parse({"serve", "--store", "/s", bound.flag, bound.lowest})));
    CHECK(std::holds_alternative<ServeOptions>(
        parse({"serve", "--store", "/s", bound.flag, bound.highest})));
    check_usage_error({"serve", "--store", "/s", bound.flag, bound.below}, bound.flag);
    check_usage_error({"serve", "--store", "/s", bound.flag, bound.above}, bound.flag);
    check_usage_error({"serve", "--store", "/s", bound.flag, "1.5"}, bound.flag);
    check_usage_error({"serve", "--store", "/s", bound.flag, "many"}, bound.flag);
  }
  CHECK(parse_ok({"serve", "--store", "/s", "--fake-time", "0"}).fake_time_s == 0);
  CHECK(parse_ok({"serve", "--store", "/s", "--threads", "1"}).threads == 1);
}

TEST_CASE("online CPUs is at least one") {
  CHECK(online_cpus() >= 1);
  CHECK(online_cpus() <= kThreadsMax);
}

TEST_CASE("a config file sets flags by their long names") {
  const TempDir dir;
  const std::string path = dir.file("ringstat.toml");
  write_file(path,
             "# ringstat configuration\n"
             "store = \"/var/lib/ringstat\"\n"
             "http-port = 18099\n"
             "listen-address = \"::1\"\n"
             "retention = \"10s:1d,5m:30d\"\n"
             "log-level = \"debug\"\n"
             "fake-time = 1000\n"
             "shards = 8\n");
  const ServeOptions options = parse_ok({"serve", "--config", path});
  CHECK(options.config_path == path);
  CHECK(options.store_dir == "/var/lib/ringstat");
  CHECK(options.http_port == 18099);
  CHECK(options.listen_address == "::1");
  CHECK(options.listen_ipv6);
  CHECK(options.retention == parse_retention("10s:1d,5m:30d").value());
  CHECK(options.log_level == LogLevel::kDebug);
  CHECK(options.fake_time_s == 1000);
  CHECK(options.shards == 8);
  CHECK(options.stat_port == 18001);  // untouched keys keep their defaults
}

TEST_CASE("command-line flags win over the config file, before or after --config") {
  const TempDir dir;
  const std::string path = dir.file("ringstat.toml");
  write_file(path, "store = \"/from/file\"\nhttp-port = 1111\nadmin-port = 2222\n");
  const ServeOptions after =
      parse_ok({"serve", "--config", path, "--http-port", "3333", "--store", "/cli"});
  CHECK(after.store_dir == "/cli");
  CHECK(after.http_port == 3333);
  CHECK(after.admin_port == 2222);
  const ServeOptions before = parse_ok({"serve", "--http-port", "4444", "--config", path});
  CHECK(before.http_port == 4444);
  CHECK(before.store_dir == "/from/file");
}

TEST_CASE("an unquoted or array retention in the config file is one spec, commas kept") {
  const TempDir dir;
  const std::string path = dir.file("ringstat.toml");
  write_file(path, "store = /s\nretention = 10s:1d,5m:30d\nlisten-address = ::1\n");
  const ServeOptions unquoted = parse_ok({"serve", "--config", path});
  CHECK(unquoted.store_dir == "/s");
  CHECK(unquoted.retention_spec == "10s:1d,5m:30d");
  CHECK(unquoted.listen_address == "::1");
  write_file(path, "store = \"/s\"\nretention = [\"10s:1d\", \"5m:30d\"]\n");
  CHECK(parse_ok({"serve", "--config", path}).retention_spec == "10s:1d,5m:30d");
  // Validated whole: the second level must be coarser than the first.
  write_file(path, "store = \"/s\"\nretention = 5m:30d,10s:1d\n");
  check_usage_error({"serve", "--config", path}, "--retention");
}

TEST_CASE("config keys may also sit under a [serve] section") {
  const TempDir dir;
  const std::string path = dir.file("ringstat.toml");
  write_file(path, "[serve]\nstore = \"/s\"\nadmin-port = 18031\n");
  const ServeOptions options = parse_ok({"serve", "--config", path});
  CHECK(options.store_dir == "/s");
  CHECK(options.admin_port == 18031);
}

TEST_CASE("a bad config file is a usage error naming the problem") {
  const TempDir dir;
  const std::string path = dir.file("bad.toml");
  check_usage_error({"serve", "--store", "/s", "--config", dir.file("missing.toml")},
                    "missing.toml");

  const std::pair<const char*, const char*> bad_files[] = {
      {"htp-port = 1\n", "unknown key 'htp-port'"},
      {"[other]\nx = 1\n", "unknown section [other]"},
      {"http-port = 99999\n", "--http-port"},
      {"http-port = \"web\"\n", "--http-port"},
      {"retention = \"10s:never\"\n", "--retention"},
      {"listen-address = \"example.com\"\n", "--listen-address"},
      {"config = \"other.toml\"\n", "config"},  // a config file cannot name another one
  };
  for (const auto& [text, names] : bad_files) {
    CAPTURE(text);
    write_file(path, text);
    check_usage_error({"serve", "--store", "/s", "--config", path}, names);
  }

  // The file supplies no store and the command line neither.
  write_file(path, "http-port = 1\n");
  check_usage_error({"serve", "--config", path}, "--store");

  check_usage_error({"serve", "--store", "/s", "--config", path, "--config", path}, "--config");
}

}  // namespace
}  // namespace ringstat
