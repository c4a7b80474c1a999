// Byte scanning eight bytes at a time (SWAR) for the ingest hot path: every byte of every line
// passes through the field splitter and the name checks. Pure constexpr helpers; any thread.
#pragma once

#include <cstdint>

namespace ringstat {

inline constexpr uint64_t kByteOnes = 0x0101010101010101;

// 0x80 in every byte of `word` that equals `c`, 0 in every other byte. Exact: unlike the classic
// "has zero byte" trick there are no false positives from borrows between bytes.
constexpr uint64_t bytes_equal(uint64_t word, uint8_t c) {
  constexpr uint64_t kLows = 0x7f7f7f7f7f7f7f7f;
  constexpr uint64_t kHighs = 0x8080808080808080;
  const uint64_t diff = word ^ (kByteOnes * c);
  return ~(((diff & kLows) + kLows) | diff) & kHighs;
}

static_assert(bytes_equal(0x2e002e2e00000000, '.') == 0x8000808000000000);
static_assert(bytes_equal(0x0000000000000000, 0) == 0x8080808080808080);
static_assert(bytes_equal(0x80ff7f0102030405, 0x7f) == 0x0000800000000000);

}  // namespace ringstat
