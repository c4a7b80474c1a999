// The shared ringstat-bench workload: counter names, sample values and times, line formats, and
// the ledger of what was sent, fixed here so the ingest generator and the loss check agree.
// Owned by the ingest part of perf/bench; the HTTP part includes it read-only.
// Single-threaded pure code: each sender thread formats its own lines; a ledger is built once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ringstat {

enum class Protocol { kIstatd, kGraphite };

// "istatd" / "graphite", and back (std::nullopt for anything else).
std::string_view protocol_name(Protocol protocol);
std::optional<Protocol> parse_protocol(std::string_view text);

// Names are `rsb.hHHHH.mMMMM` with four digits each, so at most 10 000 * 1000 counters.
inline constexpr uint32_t kCountersMax = 10'000'000;
// `rsb.h0012.m0345`: every name has exactly this length.
inline constexpr size_t kCounterNameBytes = 15;
// Explicit timestamps step by one bucket per round, so no two samples of a counter share a 10 s
// bucket (stored count == sent count even on servers that overwrite within a bucket).
inline constexpr int64_t kRoundStep_s = 10;
// A sample value is below this, so a line is short and a sum fits easily in 64 bits.
inline constexpr uint32_t kValueModulus = 100;
// The longest line any protocol produces: the name, a timestamp of at most 20 characters, a value
// of at most 2 digits, two spaces and '\n'.
inline constexpr size_t kLineBytesMax = kCounterNameBytes + 1 + 20 + 1 + 2 + 1;

struct WorkloadPlan {
  uint32_t counters = 1'000'000;
  // Time of round 0 when explicit_timestamps; a multiple of kRoundStep_s.
  int64_t t0 = 0;
  bool explicit_timestamps = true;
  Protocol protocol = Protocol::kIstatd;
};

// Counter i's name. Requires i < kCountersMax.
std::string counter_name(uint32_t i);
void append_counter_name(std::string& out, uint32_t i);

// Sample (i, round): value (7 * i + round) % 100, time t0 + 10 * round.
uint32_t sample_value(uint32_t i, uint32_t round);
int64_t sample_time(const WorkloadPlan& plan, uint32_t round);

// Appends one line with its '\n': istatd `name value` or `name t value`; graphite `name value`
// or `name value t`. Requires i < plan.counters.
void append_sample_line(std::string& out, const WorkloadPlan& plan, uint32_t i, uint32_t round);

// The sum of sample_value(i, r) for r in [0, rounds).
uint64_t value_sum(uint32_t i, uint32_t rounds);

// What was sent: rounds[i] is how many rounds of counter i went out (rounds 0 .. rounds[i]-1,
// each exactly once, whole lines only).
struct SentLedger {
  std::vector<uint32_t> rounds;

  uint64_t expected_count(uint32_t i) const;
  uint64_t expected_sum(uint32_t i) const;
  uint64_t total_samples() const;
  // The highest round count of any counter (0 when nothing was sent).
  uint32_t rounds_max() const;
};

// Connection c of C owns the counters i with i % C == c and sends them round by round, in
// increasing i within a round. These map a connection's count of whole lines sent to the
// (counter, round) of its next line, and build the ledger from every connection's count.
uint32_t owned_counter_count(uint32_t counters, uint32_t connections, uint32_t connection);
SentLedger ledger_from_progress(uint32_t counters, std::span<const uint64_t> lines_sent);

}  // namespace ringstat
