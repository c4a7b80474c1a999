#include "fileformat/crc32c.h"

#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <random>
#include <string_view>
#include <vector>

namespace ringstat {
namespace {

constexpr size_t kRfcVectorBytes = 32;

struct KnownVector {
  const char* name;
  std::array<uint8_t, kRfcVectorBytes> bytes;
  uint32_t crc;
};

// RFC 3720 appendix B.4.
std::vector<KnownVector> rfc3720_vectors() {
  std::vector<KnownVector> vectors;
  KnownVector zeros{"32 zero bytes", {}, 0x8A9136AA};
  KnownVector ones{"32 0xFF bytes", {}, 0x62A8AB43};
  ones.bytes.fill(0xFF);
  KnownVector ascending{"0..31 ascending", {}, 0x46DD794E};
  KnownVector descending{"31..0 descending", {}, 0x113FDB5C};
  for (size_t i = 0; i < kRfcVectorBytes; ++i) {
    ascending.bytes[i] = static_cast<uint8_t>(i);
    descending.bytes[i] = static_cast<uint8_t>(kRfcVectorBytes - 1 - i);
  }
  vectors.push_back(zeros);
  vectors.push_back(ones);
  vectors.push_back(ascending);
  vectors.push_back(descending);
  return vectors;
}

std::vector<uint8_t> random_bytes(std::mt19937_64& random, size_t size) {
  std::vector<uint8_t> bytes(size);
  for (uint8_t& byte : bytes) byte = static_cast<uint8_t>(random());
  return bytes;
}

TEST_CASE("crc32c of the check string 123456789 is 0xE3069283") {
  constexpr std::string_view kCheck = "123456789";
  CHECK(crc32c(kCheck.data(), kCheck.size()) == 0xE3069283);
  CHECK(crc32c_portable(0, kCheck.data(), kCheck.size()) == 0xE3069283);
#if defined(RINGSTAT_X86_64)
  if (crc32c_has_sse42()) CHECK(crc32c_sse42(0, kCheck.data(), kCheck.size()) == 0xE3069283);
#endif
}

TEST_CASE("crc32c of empty input is 0 and extending by nothing keeps the crc") {
  CHECK(crc32c(nullptr, 0) == 0);
  CHECK(crc32c_extend(0x12345678, nullptr, 0) == 0x12345678);
  CHECK(crc32c_portable(0xCAFEF00D, nullptr, 0) == 0xCAFEF00D);
}

TEST_CASE("portable crc32c matches the RFC 3720 vectors") {
  for (const KnownVector& vector : rfc3720_vectors()) {
    CAPTURE(vector.name);
    CHECK(crc32c_portable(0, vector.bytes.data(), vector.bytes.size()) == vector.crc);
  }
}

TEST_CASE("sse4.2 crc32c matches the RFC 3720 vectors") {
#if defined(RINGSTAT_X86_64)
  if (!crc32c_has_sse42()) {
    MESSAGE("this CPU has no SSE4.2; only the portable CRC is exercised");
    return;
  }
  for (const KnownVector& vector : rfc3720_vectors()) {
    CAPTURE(vector.name);
    CHECK(crc32c_sse42(0, vector.bytes.data(), vector.bytes.size()) == vector.crc);
  }
#else
  MESSAGE("not an x86-64 build; crc32c_sse42 does not exist");
#endif
}

TEST_CASE("dispatching crc32c matches the RFC 3720 vectors") {
  for (const KnownVector& vector : rfc3720_vectors()) {
    CAPTURE(vector.name);
    CHECK(crc32c(vector.bytes.data(), vector.bytes.size()) == vector.crc);
  }
}

TEST_CASE("crc32c_extend over every split point equals the crc of the whole") {
  std::mt19937_64 random(7);
  const std::vector<uint8_t> bytes = random_bytes(random, 300);
  const uint32_t whole = crc32c(bytes.data(), bytes.size());
  for (size_t split = 0; split <= bytes.size(); ++split) {
    CAPTURE(split);
    const uint32_t head = crc32c(bytes.data(), split);
    CHECK(crc32c_extend(head, bytes.data() + split, bytes.size() - split) == whole);
    CHECK(crc32c_portable(crc32c_portable(0, bytes.data(), split), bytes.data() + split,
                          bytes.size() - split) == whole);
  }
}

TEST_CASE("portable and sse4.2 crc32c agree on random lengths, alignments and seeds") {
#if defined(RINGSTAT_X86_64)
  if (!crc32c_has_sse42()) return;
  std::mt19937_64 random(42);
  const std::vector<uint8_t> bytes = random_bytes(random, 5000);
  for (int round = 0; round < 2000; ++round) {
    const size_t offset = random() % 16;
    const size_t size = random() % (bytes.size() - 16);
    const auto seed = static_cast<uint32_t>(random());
    CAPTURE(offset);
    CAPTURE(size);
    CHECK(crc32c_portable(seed, bytes.data() + offset, size) ==
          crc32c_sse42(seed, bytes.data() + offset, size));
  }
#endif
}

TEST_CASE("every single-bit flip in a 4 KiB block changes its crc32c") {
  std::mt19937_64 random(3);
  std::vector<uint8_t> bytes = random_bytes(random, 4096);
  const uint32_t original = crc32c(bytes.data(), bytes.size());
  for (size_t position = 0; position < bytes.size(); position += 7) {
    for (int bit = 0; bit < 8; ++bit) {
      bytes[position] ^= static_cast<uint8_t>(1u << bit);
      CHECK(crc32c(bytes.data(), bytes.size()) != original);
      bytes[position] ^= static_cast<uint8_t>(1u << bit);
    }
  }
  CHECK(crc32c(bytes.data(), bytes.size()) == original);
}

}  // namespace
}  // namespace ringstat
