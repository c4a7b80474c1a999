#include "perf/bench/bench_options.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <string>

#include "fileformat/bucket.h"
#include "perf/bench/workload.h"

namespace ringstat {

namespace {

constexpr int64_t kTwoDays_s = 2 * 86'400;

template <class T>
std::optional<T> parse_number(std::string_view text) {
  T value{};
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

}  // namespace

std::optional<TimestampMode> parse_timestamp_mode(std::string_view text) {
  if (text == "steady" || text == "explicit") return TimestampMode::kSteady;
  if (text == "now" || text == "none") return TimestampMode::kNow;
  return std::nullopt;
}

std::string_view timestamp_mode_name(TimestampMode mode) {
  return mode == TimestampMode::kSteady ? "steady" : "now";
}

std::optional<TcpEndpoint> parse_host_port(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    // An unbracketed IPv6 address is ambiguous.
    if (host.find(':') != std::string_view::npos) return std::nullopt;
  }
  const std::optional<uint32_t> number = parse_number<uint32_t>(port);
  if (host.empty() || !number || *number == 0 || *number > 65535) return std::nullopt;
  return TcpEndpoint{std::string(host), static_cast<uint16_t>(*number)};
}

std::optional<double> parse_rate(std::string_view text) {
  if (text == "max") return 0.0;
  const std::optional<double> rate = parse_number<double>(text);
  if (!rate || !std::isfinite(*rate) || *rate <= 0) return std::nullopt;
  return rate;
}

std::optional<std::vector<int>> parse_cpu_list(std::string_view text) {
  std::vector<int> cpus;
  while (true) {
    const size_t comma = text.find(',');
    const std::string_view entry = text.substr(0, comma);
    const size_t dash = entry.find('-');
    const std::optional<int> first = parse_number<int>(entry.substr(0, dash));
    const std::optional<int> last =
        dash == std::string_view::npos ? first : parse_number<int>(entry.substr(dash + 1));
    if (!first || !last || *first < 0 || *last < *first ||
        *last >= static_cast<int>(kCpuListEntriesMax)) {
      return std::nullopt;
    }
    for (int cpu = *first; cpu <= *last; ++cpu) {
      if (cpus.size() == kCpuListEntriesMax) return std::nullopt;
      cpus.push_back(cpu);
    }
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return cpus;
}

std::optional<std::vector<QueryKind>> parse_query_kinds(std::string_view text) {
  std::vector<QueryKind> kinds;
  while (true) {
    const size_t comma = text.find(',');
    const std::optional<QueryKind> kind = parse_query_kind(text.substr(0, comma));
    if (!kind) return std::nullopt;
    for (QueryKind seen : kinds) {
      if (seen == *kind) return std::nullopt;
    }
    kinds.push_back(*kind);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return kinds;
}

int64_t default_t0(int64_t now_s) {
  return floor_div(now_s - kTwoDays_s, kRoundStep_s) * kRoundStep_s;
}

uint32_t rounds_until(int64_t t0, int64_t now_s) {
  if (t0 > now_s) return 0;
  const int64_t rounds = (now_s - t0) / kRoundStep_s + 1;
  return rounds >= int64_t{UINT32_MAX} ? UINT32_MAX - 1 : static_cast<uint32_t>(rounds);
}

}  // namespace ringstat
