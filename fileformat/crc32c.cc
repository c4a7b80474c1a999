#include "fileformat/crc32c.h"

#include <array>
#include <cstring>

#if defined(RINGSTAT_X86_64)
#include <nmmintrin.h>
#endif

namespace ringstat {
namespace {

constexpr uint32_t kCrc32cPolynomial = 0x82F63B78;  // reflected Castagnoli polynomial
constexpr size_t kSliceCount = 8;

using SliceTables = std::array<std::array<uint32_t, 256>, kSliceCount>;

// tables[0] is the classic byte-at-a-time table; tables[k][b] is the CRC of byte b followed by k
// zero bytes, which lets the portable loop fold eight input bytes per step.
constexpr SliceTables make_slice_tables() {
  SliceTables tables{};
  for (uint32_t byte = 0; byte < 256; ++byte) {
    uint32_t crc = byte;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1) ? kCrc32cPolynomial : 0);
    tables[0][byte] = crc;
  }
  for (size_t slice = 1; slice < kSliceCount; ++slice) {
    for (uint32_t byte = 0; byte < 256; ++byte) {
      const uint32_t previous = tables[slice - 1][byte];
      tables[slice][byte] = (previous >> 8) ^ tables[0][previous & 0xFF];
    }
  }
  return tables;
}

constexpr SliceTables kSliceTables = make_slice_tables();

using Crc32cFunction = uint32_t (*)(uint32_t, const void*, size_t);

Crc32cFunction pick_implementation() {
#if defined(RINGSTAT_X86_64)
  if (crc32c_has_sse42()) return &crc32c_sse42;
#endif
  return &crc32c_portable;
}

}  // namespace

uint32_t crc32c_portable(uint32_t crc, const void* data, size_t size) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  uint32_t state = ~crc;
  while (size >= kSliceCount) {
    uint32_t low;
    uint32_t high;
    std::memcpy(&low, bytes, 4);
    std::memcpy(&high, bytes + 4, 4);
    low ^= state;
    state = kSliceTables[7][low & 0xFF] ^ kSliceTables[6][(low >> 8) & 0xFF] ^
            kSliceTables[5][(low >> 16) & 0xFF] ^ kSliceTables[4][low >> 24] ^
            kSliceTables[3][high & 0xFF] ^ kSliceTables[2][(high >> 8) & 0xFF] ^
            kSliceTables[1][(high >> 16) & 0xFF] ^ kSliceTables[0][high >> 24];
    bytes += kSliceCount;
    size -= kSliceCount;
  }
  while (size > 0) {
    state = (state >> 8) ^ kSliceTables[0][(state ^ *bytes) & 0xFF];
    ++bytes;
    --size;
  }
  return ~state;
}

bool crc32c_has_sse42() {
#if defined(RINGSTAT_X86_64)
  static const bool has_sse42 = __builtin_cpu_supports("sse4.2") != 0;
  return has_sse42;
#else
  return false;
#endif
}

#if defined(RINGSTAT_X86_64)
__attribute__((target("sse4.2"))) uint32_t crc32c_sse42(uint32_t crc, const void* data,
                                                        size_t size) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  uint64_t state = static_cast<uint32_t>(~crc);
  while (size >= 8) {
    uint64_t word;
    std::memcpy(&word, bytes, 8);
    state = _mm_crc32_u64(state, word);
    bytes += 8;
    size -= 8;
  }
  auto state32 = static_cast<uint32_t>(state);
  while (size > 0) {
    state32 = _mm_crc32_u8(state32, *bytes);
    ++bytes;
    --size;
  }
  return ~state32;
}
#endif

uint32_t crc32c_extend(uint32_t crc, const void* data, size_t size) {
  static const Crc32cFunction implementation = pick_implementation();
  return implementation(crc, data, size);
}

uint32_t crc32c(const void* data, size_t size) { return crc32c_extend(0, data, size); }

}  // namespace ringstat
