// ringstat-bench: load generator and measurer for ringstat or any peer (docs/perf.md). main parses
// the command line with CLI11 and hands a validated IngestRunOptions to run_ingest. Usage errors
// exit with 2, a run that could not be made with 1.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <ctime>
#include <string>

#include "perf/bench/ingest_flags.h"
#include "perf/bench/ingest_run.h"

namespace ringstat {
namespace {

constexpr int kUsageExit = 2;

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
  const int64_t now_s = static_cast<int64_t>(std::time(nullptr));
  if (std::optional<std::string> error = build_ingest_options(raw, now_s, options)) {
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
