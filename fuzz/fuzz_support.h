// Helpers shared by the libFuzzer targets in fuzz/ (fuzz/README.md): fuzz input as text or as a
// fixed-size block with a valid CRC, so the decoders are exercised past their checksum. Test-only
// code; libFuzzer calls a target from one thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "fileformat/bytes.h"
#include "fileformat/crc32c.h"

namespace ringstat::fuzz {

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

// The input as one block of N bytes: cut after N bytes, zero-padded when shorter. Short inputs
// are what the fuzzer mutates fastest, and a zero tail is what most real blocks hold.
template <size_t N>
std::array<std::byte, N> block_from_input(const uint8_t* data, size_t size) {
  std::array<std::byte, N> block{};
  std::memcpy(block.data(), data, size < N ? size : N);
  return block;
}

// Every block kind keeps its CRC-32C at offset 4, covering [8, N) (docs/format.md section 2).
// Without this almost every mutated block would stop at "crc mismatch".
template <size_t N>
void set_block_crc(std::array<std::byte, N>& block) {
  store_u32(block.data() + 4, crc32c(block.data() + 8, N - 8));
}

}  // namespace ringstat::fuzz
