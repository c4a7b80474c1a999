// Little-endian load/store of fixed-width fields at a byte address, the only way fileformat/
// reads or writes a multi-byte field. Pure functions, no state; safe from any thread.
// Owned by fileformat/ (docs/format.md: every field on disk is little-endian).
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace ringstat {

// memcpy of a native value is the little-endian encoding only on a little-endian host; ringstat
// targets x86-64 and aarch64 Linux, both little-endian.
static_assert(std::endian::native == std::endian::little,
              "fileformat assumes a little-endian host");
static_assert(sizeof(double) == 8, "f64 fields are IEEE-754 binary64");

inline void store_u8(std::byte* out, uint8_t value) { *out = static_cast<std::byte>(value); }
inline void store_u16(std::byte* out, uint16_t value) { std::memcpy(out, &value, sizeof value); }
inline void store_u32(std::byte* out, uint32_t value) { std::memcpy(out, &value, sizeof value); }
inline void store_u64(std::byte* out, uint64_t value) { std::memcpy(out, &value, sizeof value); }
inline void store_i64(std::byte* out, int64_t value) { std::memcpy(out, &value, sizeof value); }
inline void store_f64(std::byte* out, double value) { std::memcpy(out, &value, sizeof value); }

inline uint8_t load_u8(const std::byte* in) { return static_cast<uint8_t>(*in); }
inline uint16_t load_u16(const std::byte* in) {
  uint16_t value;
  std::memcpy(&value, in, sizeof value);
  return value;
}
inline uint32_t load_u32(const std::byte* in) {
  uint32_t value;
  std::memcpy(&value, in, sizeof value);
  return value;
}
inline uint64_t load_u64(const std::byte* in) {
  uint64_t value;
  std::memcpy(&value, in, sizeof value);
  return value;
}
inline int64_t load_i64(const std::byte* in) {
  int64_t value;
  std::memcpy(&value, in, sizeof value);
  return value;
}
inline double load_f64(const std::byte* in) {
  double value;
  std::memcpy(&value, in, sizeof value);
  return value;
}

// Magic numbers are four ASCII bytes in file order ("RSPG"); as a little-endian u32 the first
// character is the low byte.
constexpr uint32_t magic_from_chars(char c0, char c1, char c2, char c3) {
  return static_cast<uint32_t>(static_cast<uint8_t>(c0)) |
         static_cast<uint32_t>(static_cast<uint8_t>(c1)) << 8 |
         static_cast<uint32_t>(static_cast<uint8_t>(c2)) << 16 |
         static_cast<uint32_t>(static_cast<uint8_t>(c3)) << 24;
}

inline bool all_zero(std::span<const std::byte> bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](std::byte b) { return b == std::byte{0}; });
}

}  // namespace ringstat
