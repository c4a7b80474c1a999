// Fuzz target: the superblock decoder (fileformat/checkpoint_format.h). Pair assertion: a
// superblock that decodes re-encodes to exactly the same 4096 bytes, and its fields satisfy the
// bounds recovery relies on (docs/format.md section 6.1).
#include <array>
#include <cstddef>
#include <cstdint>

#include "base/verify.h"
#include "fileformat/checkpoint_format.h"
#include "fuzz/fuzz_support.h"

using namespace ringstat;

namespace {

void check_superblock(const std::array<std::byte, kSuperblockBytes>& block) {
  const Result<Superblock> superblock = decode_superblock(block);
  if (!superblock) {
    VERIFY(!superblock.error().empty());
    return;
  }
  const Superblock& decoded = superblock.value();
  VERIFY(decoded.checkpoint_sequence >= 1);
  VERIFY(decoded.snapshot_bytes >= 1);
  VERIFY(decoded.snapshot_slot <= 1);
  // snapshot_blocks == ceil(snapshot_bytes / 4064), written without the division's rounding.
  VERIFY(uint64_t{decoded.snapshot_blocks} * kSnapshotPayloadBytes >= decoded.snapshot_bytes);
  VERIFY((uint64_t{decoded.snapshot_blocks} - 1) * kSnapshotPayloadBytes < decoded.snapshot_bytes);
  std::array<std::byte, kSuperblockBytes> encoded{};
  encode_superblock(decoded, encoded);
  VERIFY(encoded == block);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::array<std::byte, kSuperblockBytes> block =
      fuzz::block_from_input<kSuperblockBytes>(data, size);
  check_superblock(block);  // as given: mostly a CRC mismatch, unless the input is a real copy
  fuzz::set_block_crc(block);
  check_superblock(block);
  return 0;
}
