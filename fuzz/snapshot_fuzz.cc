// Fuzz target: the snapshot stream reader and the snapshot block header decoder
// (fileformat/checkpoint_format.h, snapshot_reader.cc). The input is a snapshot payload; the
// target cuts it into sealed blocks the way SnapshotWriter does, so the reader's entry decoding is
// what gets fuzzed. Pair assertions: a stream that reads to its End is written again by
// SnapshotWriter to exactly the same blocks, and a block header that decodes re-seals to the same
// bytes.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "base/verify.h"
#include "fileformat/checkpoint_format.h"
#include "fileformat/crc32c.h"
#include "fuzz/fuzz_support.h"

using namespace ringstat;

namespace {

constexpr uint32_t kShardId = 7;
constexpr uint64_t kCheckpointSequence = 3;

// The payload cut into sealed blocks, every block but the last full (docs/format.md 6.2).
std::vector<std::byte> seal_payload(const uint8_t* data, size_t size) {
  const size_t block_count = (size + kSnapshotPayloadBytes - 1) / kSnapshotPayloadBytes;
  std::vector<std::byte> blocks(block_count * kSnapshotBlockBytes);
  for (size_t index = 0; index < block_count; ++index) {
    const size_t offset = index * kSnapshotPayloadBytes;
    const size_t payload_bytes = std::min(size - offset, kSnapshotPayloadBytes);
    const std::span<std::byte, kSnapshotBlockBytes> block(
        blocks.data() + index * kSnapshotBlockBytes, kSnapshotBlockBytes);
    std::memcpy(block.data() + kSnapshotBlockHeaderBytes, data + offset, payload_bytes);
    seal_snapshot_block(
        SnapshotBlockHeader{kShardId, kCheckpointSequence, static_cast<uint32_t>(index),
                            static_cast<uint16_t>(payload_bytes)},
        block);
  }
  return blocks;
}

void check_stream(const uint8_t* data, size_t size) {
  if (size == 0) return;  // a snapshot holds at least its Header entry
  const std::vector<std::byte> blocks = seal_payload(data, size);
  const Superblock superblock{
      kShardId,
      kCheckpointSequence,
      /*wal_replay_sequence=*/1,
      size,
      static_cast<uint32_t>(blocks.size() / kSnapshotBlockBytes),
      crc32c(data, size),
      /*snapshot_slot=*/0,
  };
  Result<SnapshotReader> reader = SnapshotReader::open(blocks, superblock);
  VERIFY(reader.ok());  // the blocks were sealed right above: only entries can be wrong
  const Result<SnapshotHeader> header = reader.value().read_header();
  if (!header) return;
  VERIFY(header.value().counter_count <= header.value().next_counter_id);
  std::vector<SnapshotCounter> counters;
  while (true) {
    Result<std::optional<SnapshotCounter>> counter = reader.value().next_counter();
    if (!counter) {
      // The first error is sticky: asking again gives it again.
      const std::string error = counter.error();
      const Result<std::optional<SnapshotCounter>> again = reader.value().next_counter();
      VERIFY(!again.ok() && again.error() == error);
      return;
    }
    if (!counter.value()) break;
    VERIFY(counters.size() < header.value().counter_count);
    counters.push_back(std::move(*counter.value()));
  }
  VERIFY(counters.size() == header.value().counter_count);
  // After End, the reader stays at End.
  const Result<std::optional<SnapshotCounter>> after_end = reader.value().next_counter();
  VERIFY(after_end.ok() && !after_end.value());

  SnapshotWriter writer(kShardId, kCheckpointSequence);
  writer.put_header(header.value());
  for (const SnapshotCounter& counter : counters) writer.put_counter(counter);
  writer.finish();
  VERIFY(writer.payload_bytes() == size);
  VERIFY(writer.payload_crc() == superblock.snapshot_crc);
  VERIFY(writer.block_count() == superblock.snapshot_blocks);
  VERIFY(std::ranges::equal(writer.blocks(), blocks));
}

void check_block_header(const uint8_t* data, size_t size) {
  std::array<std::byte, kSnapshotBlockBytes> block =
      fuzz::block_from_input<kSnapshotBlockBytes>(data, size);
  fuzz::set_block_crc(block);
  const Result<SnapshotBlockHeader> header = decode_snapshot_block_header(block);
  if (!header) return;
  VERIFY(header.value().payload_bytes <= kSnapshotPayloadBytes);
  std::array<std::byte, kSnapshotBlockBytes> sealed = block;
  seal_snapshot_block(header.value(), sealed);
  VERIFY(sealed == block);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  check_stream(data, size);
  check_block_header(data, size);
  return 0;
}
