#include "cmd/serve_options.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/query/query_plan.h"

#ifndef RINGSTAT_VERSION
#error "meson passes RINGSTAT_VERSION (the project version)"
#endif

namespace ringstat {
namespace {

constexpr std::string_view kServeSubcommand = "serve";

// CLI11 2.1.2 reads a config file only for the top-level app, and matches a key without a
// section against the top-level options. The spec's file has bare keys (`http-port = 18011`)
// that mean `serve` flags, so they are moved into the `serve` section as they are read; keys
// written under `[serve]` already are.
class ServeConfigFile final : public CLI::ConfigTOML {
 public:
  std::vector<CLI::ConfigItem> from_config(std::istream& input) const override {
    std::vector<CLI::ConfigItem> config_items = CLI::ConfigTOML::from_config(input);
    for (CLI::ConfigItem& item : config_items) {
      if (item.parents.empty()) item.parents.emplace_back(kServeSubcommand);
      // No serve flag takes a list, so several values can only be a comma list CLI11 split
      // (`retention = 10s:1d,5m:30d` unquoted, or written as an array): put the commas back.
      if (item.inputs.size() > 1) item.inputs = {CLI::detail::join(item.inputs, ",")};
    }
    return config_items;
  }
};

// CLI11 messages sometimes span lines; the contract is one line on stderr.
std::string one_line(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

ExitNow usage_error(const std::string& message) {
  return ExitNow{kExitUsage, "", "ringstat: " + one_line(message) + "\n"};
}

// CLI11 names a config key as `serve.key` (ServeConfigFile put it there) and calls an unknown
// one "INI was not able to parse"; the user wrote `key` in a TOML file.
std::string describe_config_error(const std::string& path, std::string message) {
  constexpr std::string_view kUnknownKey = "INI was not able to parse ";
  const std::string section = std::string(kServeSubcommand) + ".";
  bool unknown = false;
  if (message.starts_with(kUnknownKey)) {
    message.erase(0, kUnknownKey.size());
    unknown = true;
  }
  if (message.starts_with(section)) message.erase(0, section.size());
  // A section CLI11 cannot place is reported as its opening marker, `name.++`.
  if (unknown && message.ends_with(".++")) {
    message = "unknown section [" + message.substr(0, message.size() - 3) + "]";
  } else if (unknown) {
    message = "unknown key '" + message + "'";
  }
  return "config file " + path + ": " + message;
}

std::string check_address(const std::string& text) {
  in_addr ipv4{};
  in6_addr ipv6{};
  if (inet_pton(AF_INET, text.c_str(), &ipv4) == 1) return "";
  if (inet_pton(AF_INET6, text.c_str(), &ipv6) == 1) return "";
  return "'" + text + "' is not an IPv4 or IPv6 address literal";
}

std::string check_retention(const std::string& text) {
  const Result<Retention> retention = parse_retention(text);
  return retention.ok() ? "" : retention.error();
}

std::string check_store(const std::string& text) {
  return text.empty() ? "the store directory must not be empty" : "";
}

// The options as CLI11 fills them: the enumerations as their words until validated.
struct RawServeOptions {
  ServeOptions options;
  std::string log_level = "info";
  std::string direct_io = "auto";
};

void add_serve_options(CLI::App& serve, CLI::Option& root_config, RawServeOptions& raw) {
  ServeOptions& options = raw.options;
  // The file is read by the top-level app (see ServeConfigFile); `serve --config` hands it over
  // while the command line is parsed, before the app reads config files.
  serve
      .add_option_function<std::string>(
          "--config",
          [&options, &root_config](const std::string& path) {
            if (!options.config_path.empty()) {
              throw CLI::ValidationError("--config", "given more than once");
            }
            options.config_path = path;
            root_config.add_result(path);
          },
          "TOML file; keys are the long flag names (http-port = 18011); flags on the command line "
          "win")
      ->type_name("FILE")
      ->trigger_on_parse()
      ->configurable(false);
  serve
      .add_option("--store", options.store_dir,
                  "data directory; created if missing; one daemon per store (lock file)")
      ->type_name("DIR")
      ->required()
      ->check(check_store);
  serve.add_option("--listen-address", options.listen_address, "address of every listener")
      ->type_name("ADDR")
      ->capture_default_str()
      ->check(check_address);
  serve
      .add_option("--admin-address", options.admin_address,
                  "address of the admin port (loopback unless set: it can delete data)")
      ->type_name("ADDR")
      ->capture_default_str()
      ->check(check_address);
  const CLI::Range port_range(0, 65535);
  serve.add_option("--stat-port", options.stat_port, "istatd line protocol, TCP+UDP; 0 = off")
      ->type_name("N")
      ->capture_default_str()
      ->check(port_range);
  serve
      .add_option("--graphite-port", options.graphite_port, "Graphite plaintext, TCP+UDP; 0 = off")
      ->type_name("N")
      ->capture_default_str()
      ->check(port_range);
  serve.add_option("--http-port", options.http_port, "HTTP API; 0 = off")
      ->type_name("N")
      ->capture_default_str()
      ->check(port_range);
  serve.add_option("--admin-port", options.admin_port, "admin line protocol; 0 = off")
      ->type_name("N")
      ->capture_default_str()
      ->check(port_range);
  serve.add_option("--retention", options.retention_spec, "retention levels of new counters")
      ->type_name("SPEC")
      ->capture_default_str()
      ->check(check_retention);
  serve
      .add_option("--threads", options.threads,
                  "reactors, one per core, each pinned (default: online CPUs)")
      ->type_name("N")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{kThreadsMax}));
  serve
      .add_option("--commit-interval-ms", options.commit_interval_ms,
                  "the write-ahead log is made durable at least this often")
      ->type_name("N")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{kCommitInterval_ms_max}));
  serve
      .add_option("--fake-time", options.fake_time_s,
                  "freeze the clock at unix time T (tests); 0 = the real clock")
      ->type_name("T")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, kQueryTime_s_max));
  serve.add_option("--log-level", raw.log_level, "error, warn, info or debug")
      ->type_name("L")
      ->capture_default_str()
      ->check(CLI::IsMember({"error", "warn", "info", "debug"}));
  serve
      .add_option("--direct-io", raw.direct_io,
                  "O_DIRECT for the store: auto (fall back when the filesystem refuses it), on, "
                  "off")
      ->type_name("MODE")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "on", "off"}));
  serve
      .add_option("--shards", options.shards,
                  "shards of a new store (an existing store keeps its own)")
      ->type_name("N")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{kShardsMax}));
  serve.add_option("--max-counters", options.counters_max, "live counters in the store")
      ->type_name("N")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{1}, kStoreCountersMax));
  serve
      .add_option("--staging-mb", options.staging_mb,
                  "memory for staged buckets, for the whole daemon (taken as needed)")
      ->type_name("N")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{1}, kStaging_mb_max));
  serve.add_option("--wal-mb", options.wal_mb, "write-ahead log size per shard of a new store")
      ->type_name("N")
      ->capture_default_str()
      ->check(CLI::Range(kWal_mb_min, kWal_mb_max));
  const CLI::Range timeout_range(int64_t{kTimeout_ms_min}, int64_t{kTimeout_ms_max});
  serve
      .add_option("--http-request-timeout-ms", options.http_request_timeout_ms,
                  "an HTTP request (head and body) must arrive within this of its first byte, "
                  "else the connection is closed")
      ->type_name("N")
      ->capture_default_str()
      ->check(timeout_range);
  serve
      .add_option("--http-idle-timeout-ms", options.http_idle_timeout_ms,
                  "an HTTP connection idle this long between requests is closed")
      ->type_name("N")
      ->capture_default_str()
      ->check(timeout_range);
  serve
      .add_option("--admin-idle-timeout-ms", options.admin_idle_timeout_ms,
                  "an admin connection idle this long is closed")
      ->type_name("N")
      ->capture_default_str()
      ->check(timeout_range);
}

// Two listeners on one port would both bind it (every listener is SO_REUSEPORT, so the port
// probe cannot see the clash) and the kernel would deal connections between them: an HTTP
// client answered by the stat port waits for ever. So two enabled ports on one address must
// differ; the admin port may share a number only when it is on another address.
std::optional<std::string> port_clash(const ServeOptions& options) {
  struct Port {
    const char* flag;
    uint16_t number;
    const std::string* address;
  };
  const Port ports[] = {{"--stat-port", options.stat_port, &options.listen_address},
                        {"--graphite-port", options.graphite_port, &options.listen_address},
                        {"--http-port", options.http_port, &options.listen_address},
                        {"--admin-port", options.admin_port, &options.admin_address}};
  const auto wildcard = [](const std::string& address) {
    return address == "0.0.0.0" || address == "::";
  };
  for (size_t i = 0; i < std::size(ports); ++i) {
    for (size_t j = i + 1; j < std::size(ports); ++j) {
      const Port& a = ports[i];
      const Port& b = ports[j];
      if (a.number == 0 || a.number != b.number) continue;
      if (*a.address != *b.address && !wildcard(*a.address) && !wildcard(*b.address)) continue;
      return std::string(a.flag) + " and " + b.flag + " are both " + std::to_string(a.number) +
             ": each port needs its own number";
    }
  }
  return std::nullopt;
}

// The validated words and texts turned into their values. CLI11 has already checked each one,
// so a failure here is a bug.
ServeOptions finish_options(RawServeOptions raw) {
  ServeOptions options = std::move(raw.options);
  Result<Retention> retention = parse_retention(options.retention_spec);
  VERIFY(retention.ok());
  options.retention = std::move(retention.value());
  const std::optional<LogLevel> level = parse_log_level(raw.log_level);
  VERIFY(level.has_value());
  options.log_level = *level;
  options.direct_io = raw.direct_io == "on"    ? DirectIoMode::kOn
                      : raw.direct_io == "off" ? DirectIoMode::kOff
                                               : DirectIoMode::kAuto;
  in6_addr ipv6{};
  options.listen_ipv6 = inet_pton(AF_INET6, options.listen_address.c_str(), &ipv6) == 1;
  return options;
}

}  // namespace

CommandLine parse_command_line(int argc, const char* const* argv) {
  CLI::App app("ringstat: a time-series counter daemon", "ringstat");
  app.set_version_flag("--version", "ringstat " + std::string(ringstat_version()));
  app.require_subcommand(1);
  app.config_formatter(std::make_shared<ServeConfigFile>());
  app.allow_config_extras(CLI::config_extras_mode::error);
  // The top-level `--config` is the one CLI11 reads files for; it is kept out of the top-level
  // help because `serve --config` is the documented spelling.
  CLI::Option* const root_config = app.set_config("--config", "", "TOML config file for serve");
  root_config->group("");

  CLI::App* const serve =
      app.add_subcommand(std::string(kServeSubcommand), "run the daemon in the foreground");
  RawServeOptions raw;
  raw.options.threads = online_cpus();
  add_serve_options(*serve, *root_config, raw);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    return ExitNow{kExitOk, app.help(), ""};
  } catch (const CLI::CallForAllHelp&) {
    return ExitNow{kExitOk, app.help("", CLI::AppFormatMode::All), ""};
  } catch (const CLI::CallForVersion& version) {
    return ExitNow{kExitOk, std::string(version.what()) + "\n", ""};
  } catch (const CLI::FileError& error) {
    return usage_error("--config: " + std::string(error.what()));
  } catch (const CLI::ConfigError& error) {
    return usage_error(describe_config_error(root_config->as<std::string>(), error.what()));
  } catch (const CLI::ParseError& error) {
    // CLI11 reports a misspelt subcommand or option before any subcommand as "A subcommand is
    // required"; name the word instead.
    const std::vector<std::string> leftover = app.remaining();
    if (app.get_subcommands().empty() && !leftover.empty()) {
      const std::string& word = leftover.front();
      return usage_error(word.starts_with("-")
                             ? "unknown option '" + word + "'"
                             : "unknown command '" + word + "' (commands: serve)");
    }
    return usage_error(error.what());
  }
  if (raw.options.config_path.empty()) raw.options.config_path = root_config->as<std::string>();
  if (std::optional<std::string> clash = port_clash(raw.options)) return usage_error(*clash);
  return finish_options(std::move(raw));
}

int print_and_exit_status(const ExitNow& exit) {
  if (!exit.stdout_text.empty()) {
    std::fwrite(exit.stdout_text.data(), 1, exit.stdout_text.size(), stdout);
    std::fflush(stdout);
  }
  if (!exit.stderr_text.empty()) {
    std::fwrite(exit.stderr_text.data(), 1, exit.stderr_text.size(), stderr);
    std::fflush(stderr);
  }
  return exit.status;
}

std::string_view ringstat_version() { return RINGSTAT_VERSION; }

uint32_t online_cpus() {
  const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  if (cpus < 1) return 1;
  return static_cast<uint32_t>(std::min<long>(cpus, kThreadsMax));
}

}  // namespace ringstat
