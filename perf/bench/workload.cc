#include "perf/bench/workload.h"

#include <algorithm>
#include <charconv>

#include "base/verify.h"

namespace ringstat {

namespace {

// The sum of 0 + 1 + ... + 99: one full cycle of a counter's values.
constexpr uint64_t kValueCycleSum = uint64_t{kValueModulus} * (kValueModulus - 1) / 2;

void append_digits(std::string& out, uint32_t value, int width) {
  char digits[8];
  for (int k = width - 1; k >= 0; --k) {
    digits[k] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  out.append(digits, static_cast<size_t>(width));
}

void append_int(std::string& out, int64_t value) {
  char text[24];
  auto [end, ec] = std::to_chars(text, text + sizeof(text), value);
  VERIFY(ec == std::errc());
  out.append(text, end);
}

}  // namespace

std::string_view protocol_name(Protocol protocol) {
  return protocol == Protocol::kIstatd ? "istatd" : "graphite";
}

std::optional<Protocol> parse_protocol(std::string_view text) {
  if (text == "istatd") return Protocol::kIstatd;
  if (text == "graphite") return Protocol::kGraphite;
  return std::nullopt;
}

void append_counter_name(std::string& out, uint32_t i) {
  VERIFY(i < kCountersMax);
  out.append("rsb.h");
  append_digits(out, i / 1000, 4);
  out.append(".m");
  append_digits(out, i % 1000, 4);
}

std::string counter_name(uint32_t i) {
  std::string name;
  name.reserve(kCounterNameBytes);
  append_counter_name(name, i);
  return name;
}

uint32_t sample_value(uint32_t i, uint32_t round) {
  return static_cast<uint32_t>((uint64_t{7} * i + round) % kValueModulus);
}

int64_t sample_time(const WorkloadPlan& plan, uint32_t round) {
  return plan.t0 + kRoundStep_s * static_cast<int64_t>(round);
}

void append_sample_line(std::string& out, const WorkloadPlan& plan, uint32_t i, uint32_t round) {
  VERIFY(i < plan.counters);
  append_counter_name(out, i);
  out.push_back(' ');
  const int64_t value = sample_value(i, round);
  if (!plan.explicit_timestamps) {
    append_int(out, value);
  } else if (plan.protocol == Protocol::kIstatd) {
    append_int(out, sample_time(plan, round));
    out.push_back(' ');
    append_int(out, value);
  } else {
    append_int(out, value);
    out.push_back(' ');
    append_int(out, sample_time(plan, round));
  }
  out.push_back('\n');
}

uint64_t value_sum(uint32_t i, uint32_t rounds) {
  const uint64_t full_cycles = rounds / kValueModulus;
  uint64_t sum = full_cycles * kValueCycleSum;
  // The tail of fewer than 100 rounds continues the cycle where the full cycles left it.
  const uint32_t tail = rounds % kValueModulus;
  const uint32_t first = sample_value(i, 0);
  for (uint32_t r = 0; r < tail; ++r) sum += (first + r) % kValueModulus;
  return sum;
}

uint64_t SentLedger::expected_count(uint32_t i) const {
  VERIFY(i < rounds.size());
  return rounds[i];
}

uint64_t SentLedger::expected_sum(uint32_t i) const {
  VERIFY(i < rounds.size());
  return value_sum(i, rounds[i]);
}

uint64_t SentLedger::total_samples() const {
  uint64_t total = 0;
  for (uint32_t r : rounds) total += r;
  return total;
}

uint32_t SentLedger::rounds_max() const {
  return rounds.empty() ? 0 : *std::max_element(rounds.begin(), rounds.end());
}

uint32_t owned_counter_count(uint32_t counters, uint32_t connections, uint32_t connection) {
  VERIFY(connections > 0);
  VERIFY(connection < connections);
  return counters / connections + (connection < counters % connections ? 1 : 0);
}

SentLedger ledger_from_progress(uint32_t counters, std::span<const uint64_t> lines_sent) {
  VERIFY(!lines_sent.empty());
  VERIFY(counters <= kCountersMax);
  const auto connections = static_cast<uint32_t>(lines_sent.size());
  SentLedger ledger;
  ledger.rounds.assign(counters, 0);
  for (uint32_t c = 0; c < connections; ++c) {
    const uint32_t owned = owned_counter_count(counters, connections, c);
    if (owned == 0) {
      VERIFY(lines_sent[c] == 0);
      continue;
    }
    const uint64_t full_rounds = lines_sent[c] / owned;
    const uint64_t partial = lines_sent[c] % owned;
    VERIFY(full_rounds < UINT32_MAX);
    // The k-th owned counter of connection c is c + k * C; the first `partial` of them are one
    // round ahead of the rest.
    for (uint64_t k = 0; k < owned; ++k) {
      const uint64_t i = c + k * connections;
      ledger.rounds[i] = static_cast<uint32_t>(full_rounds + (k < partial ? 1 : 0));
    }
  }
  return ledger;
}

}  // namespace ringstat
