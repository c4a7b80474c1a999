#include "perf/bench/line_batch.h"

#include <charconv>
#include <cstring>

#include "base/verify.h"

namespace ringstat {

namespace {

// Room for an int64 in decimal with its sign.
constexpr size_t kTimeCharsMax = 20;

// Writes a value below kValueModulus (one or two digits) and returns the new end.
char* put_value(char* p, uint32_t value) {
  static_assert(kValueModulus <= 100);
  if (value >= 10) *p++ = static_cast<char>('0' + value / 10);
  *p++ = static_cast<char>('0' + value % 10);
  return p;
}

}  // namespace

LineFormatter::LineFormatter(const WorkloadPlan& plan, uint32_t connections, uint32_t connection)
    : plan_(plan),
      connections_(connections),
      connection_(connection),
      owned_(owned_counter_count(plan.counters, connections, connection)) {
  VERIFY(plan.counters <= kCountersMax);
  names_.reserve(static_cast<size_t>(owned_) * kCounterNameBytes);
  for (uint32_t k = 0; k < owned_; ++k) append_counter_name(names_, connection_ + k * connections_);
  VERIFY(names_.size() == static_cast<size_t>(owned_) * kCounterNameBytes);
}

void LineFormatter::format(uint64_t first_line, uint64_t stop_line, size_t chunk_bytes,
                           size_t batch_bytes, LineBatch& out) const {
  VERIFY(owned_ > 0);
  VERIFY(kLineBytesMax <= chunk_bytes);
  VERIFY(chunk_bytes <= batch_bytes);
  VERIFY(batch_bytes <= kBatchBytesMax);
  out.first_line = first_line;
  out.lines = 0;
  out.chunks.clear();
  out.bytes.resize(batch_bytes);
  char* const base = out.bytes.data();
  char* p = base;
  size_t chunk_start = 0;
  uint32_t chunk_lines = 0;

  uint64_t line = first_line;
  uint64_t round = line / owned_;
  uint32_t k = static_cast<uint32_t>(line % owned_);
  char time_text[kTimeCharsMax];
  size_t time_chars = 0;
  auto format_time = [&] {
    VERIFY(round < UINT32_MAX);
    auto [end, ec] = std::to_chars(time_text, time_text + kTimeCharsMax,
                                   sample_time(plan_, static_cast<uint32_t>(round)));
    VERIFY(ec == std::errc());
    time_chars = static_cast<size_t>(end - time_text);
  };
  if (plan_.explicit_timestamps) format_time();

  while (line < stop_line && static_cast<size_t>(p - base) + kLineBytesMax <= batch_bytes) {
    if (static_cast<size_t>(p - base) - chunk_start + kLineBytesMax > chunk_bytes) {
      out.chunks.push_back({static_cast<uint32_t>(p - base), chunk_lines});
      chunk_start = static_cast<size_t>(p - base);
      chunk_lines = 0;
    }
    const uint32_t i = connection_ + k * connections_;
    const uint32_t value = sample_value(i, static_cast<uint32_t>(round));
    std::memcpy(p, names_.data() + static_cast<size_t>(k) * kCounterNameBytes, kCounterNameBytes);
    p += kCounterNameBytes;
    *p++ = ' ';
    if (!plan_.explicit_timestamps) {
      p = put_value(p, value);
    } else if (plan_.protocol == Protocol::kIstatd) {
      std::memcpy(p, time_text, time_chars);
      p += time_chars;
      *p++ = ' ';
      p = put_value(p, value);
    } else {
      p = put_value(p, value);
      *p++ = ' ';
      std::memcpy(p, time_text, time_chars);
      p += time_chars;
    }
    *p++ = '\n';
    ++chunk_lines;
    ++line;
    if (++k == owned_) {
      k = 0;
      ++round;
      if (plan_.explicit_timestamps) format_time();
    }
  }
  if (chunk_lines > 0) out.chunks.push_back({static_cast<uint32_t>(p - base), chunk_lines});
  out.bytes.resize(static_cast<size_t>(p - base));
  out.lines = line - first_line;
}

}  // namespace ringstat
