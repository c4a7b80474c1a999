// Parsers for ringstat-bench's flag values (host:port, rates, CPU lists, query kinds, t0), kept
// out of main.cc so they can be tested. Single-threaded pure code.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "perf/bench/query_load.h"
#include "perf/bench/tcp_connection.h"

namespace ringstat {

// --timestamps: `steady` sends t0 + 10 s x round with every sample, so each sample opens its
// counter's next 10 s bucket (the fleet's steady state); `now` sends none and the server stamps
// each sample. `explicit` and `none`, their earlier names, stay accepted.
enum class TimestampMode { kSteady, kNow };
std::optional<TimestampMode> parse_timestamp_mode(std::string_view text);
std::string_view timestamp_mode_name(TimestampMode mode);

// The most CPUs --cpus may name.
inline constexpr size_t kCpuListEntriesMax = 1024;

// `host:port`, `[v6-address]:port`; the port is 1..65535 and the host is not empty.
std::optional<TcpEndpoint> parse_host_port(std::string_view text);
// `max` is 0; otherwise a positive finite number of samples per second.
std::optional<double> parse_rate(std::string_view text);
// `0`, `0,1`, `0-3` or a mix (`0,2-3`); every entry a CPU number below kCpuListEntriesMax.
std::optional<std::vector<int>> parse_cpu_list(std::string_view text);
// `day,list,post` (any of day, list, post, vm_day; no repeats, not empty).
std::optional<std::vector<QueryKind>> parse_query_kinds(std::string_view text);

// The default t0: two days before `now_s`, floored to a multiple of kRoundStep_s.
int64_t default_t0(int64_t now_s);
// With explicit timestamps: how many rounds lie at or before `now_s` (0 when t0 is later).
uint32_t rounds_until(int64_t t0, int64_t now_s);

}  // namespace ringstat
