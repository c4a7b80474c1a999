// Checkpoint: the superblock (two alternating 4 KiB copies naming the latest snapshot) and the
// snapshot stream (every in-memory state of a shard, cut into 4 KiB blocks), docs/format.md
// "Checkpoint". Pure single-threaded encode/decode, no I/O; a writer or reader belongs to the one
// shard that checkpoints or recovers. Owned by fileformat/.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "fileformat/block.h"
#include "fileformat/bucket.h"
#include "fileformat/counter_kind.h"
#include "fileformat/retention_level.h"

namespace ringstat {

inline constexpr size_t kSuperblockBytes = 4096;
inline constexpr uint16_t kSuperblockFormatVersion = 1;
inline constexpr size_t kSnapshotBlockBytes = kBlockBytes;
inline constexpr size_t kSnapshotBlockHeaderBytes = 32;
inline constexpr size_t kSnapshotPayloadBytes = kSnapshotBlockBytes - kSnapshotBlockHeaderBytes;
inline constexpr uint16_t kSnapshotFormatVersion = 1;

// Limits a snapshot decoder enforces before it allocates anything (docs/format.md).
inline constexpr size_t kSnapshotMaxNameBytes = 255;      // name_length is one byte
inline constexpr uint32_t kPagesPerLevelMax = 1u << 22;   // disk_pages of one level
inline constexpr uint32_t kStagedPerLevelMax = 1u << 16;  // staged buckets of one level
inline constexpr uint32_t kFreePagesMax = 1u << 26;       // the free page list
inline constexpr uint32_t kSnapshotRetentionsMax = 256;   // one per u8 slot
inline constexpr uint8_t kStagedFlagEventRaw = 1;         // the only staged flag bit

// The first byte of every snapshot entry.
enum class SnapshotTag : uint8_t { kHeader = 1, kCounter = 2, kEnd = 0xFF };

struct Superblock {
  uint32_t shard_id = 0;
  uint64_t checkpoint_sequence = 0;  // >= 1; of two valid copies the higher one wins
  uint64_t wal_replay_sequence = 0;  // first WAL block sequence to replay after the snapshot
  uint64_t snapshot_bytes = 0;       // payload bytes of the snapshot stream, >= 1
  uint32_t snapshot_blocks = 0;      // == ceil(snapshot_bytes / 4064)
  uint32_t snapshot_crc = 0;         // crc32c of the whole payload stream
  uint8_t snapshot_slot = 0;         // 0 or 1: file checkpoint.0 or checkpoint.1
  friend bool operator==(const Superblock&, const Superblock&) = default;
};

// VERIFYs the fields are consistent (the bounds decode checks), then writes 4096 bytes.
void encode_superblock(const Superblock& superblock, std::span<std::byte, kSuperblockBytes> out);
// Checks magic, CRC, version, every field bound and that bytes 10..12 and 49..4096 are zero.
// Choosing between the two copies is the engine's job.
Result<Superblock> decode_superblock(std::span<const std::byte, kSuperblockBytes> in);

// The 32-byte header of one snapshot block; the payload follows it in the same block.
struct SnapshotBlockHeader {
  uint32_t shard_id = 0;
  uint64_t checkpoint_sequence = 0;
  uint32_t block_index = 0;    // 0, 1, 2, ... in stream order
  uint16_t payload_bytes = 0;  // <= kSnapshotPayloadBytes
  friend bool operator==(const SnapshotBlockHeader&, const SnapshotBlockHeader&) = default;
};

// Writes the header, zeroes the padding after payload_bytes and sets the CRC of a block whose
// payload (bytes 32 .. 32 + payload_bytes) is already in place. SnapshotWriter uses it.
void seal_snapshot_block(const SnapshotBlockHeader& header,
                         std::span<std::byte, kSnapshotBlockBytes> block);
// Checks magic, CRC, version, payload_bytes, reserved bytes and zero padding of one block.
// SnapshotReader::open adds the checks that need the superblock and the block's position.
Result<SnapshotBlockHeader> decode_snapshot_block_header(
    std::span<const std::byte, kSnapshotBlockBytes> block);

struct SnapshotRetention {
  uint8_t slot = 0;                    // unique within a snapshot
  std::vector<RetentionLevel> levels;  // 1..kRetentionLevelsMax, each interval_s > 0
  friend bool operator==(const SnapshotRetention&, const SnapshotRetention&) = default;
};

struct SnapshotHeader {
  uint32_t next_counter_id = 0;  // every counter_id below is < this
  uint64_t next_write_sequence = 0;
  int64_t clock_time = 0;
  uint32_t page_high_water = 0;               // page numbers below this have been allocated once
  std::vector<uint32_t> free_pages;           // reusable page numbers, each in [1, page_high_water)
  std::vector<SnapshotRetention> retentions;  // at most kSnapshotRetentionsMax
  uint64_t counter_count = 0;  // number of Counter entries that follow, <= next_counter_id
  friend bool operator==(const SnapshotHeader&, const SnapshotHeader&) = default;
};

struct SnapshotStagedBucket {
  int64_t index = 0;  // bucket index in its level
  uint8_t flags = 0;  // kStagedFlagEventRaw: an event counter's finest-level raw sum, not final
  Bucket bucket;      // count >= 1
  friend bool operator==(const SnapshotStagedBucket&, const SnapshotStagedBucket&) = default;
};

struct SnapshotLevel {
  // disk_pages[i] is the page-file page holding page number first_page_number + i; 0 = none.
  // first_page_number must be a valid page number (kPageNumberMin..kPageNumberMax) even when
  // disk_pages is empty, and each non-zero entry is < page_high_water.
  int64_t first_page_number = 0;
  std::vector<uint32_t> disk_pages;          // at most kPagesPerLevelMax
  std::vector<SnapshotStagedBucket> staged;  // at most kStagedPerLevelMax
  friend bool operator==(const SnapshotLevel&, const SnapshotLevel&) = default;
};

struct SnapshotCounter {
  uint32_t counter_id = 0;  // < next_counter_id
  CounterKind kind = CounterKind::kGauge;
  uint8_t retention_slot = 0;  // names a retention of the header
  int64_t first_time = 0;
  std::string name;                   // 1..255 bytes
  std::vector<SnapshotLevel> levels;  // one per level of its retention
  friend bool operator==(const SnapshotCounter&, const SnapshotCounter&) = default;
};

// Builds a whole snapshot stream in memory: put_header once, put_counter counter_count times,
// then finish. Misuse (wrong order or count, a field out of its bound) is a VERIFY failure.
class SnapshotWriter {
 public:
  SnapshotWriter(uint32_t shard_id, uint64_t checkpoint_sequence);
  void put_header(const SnapshotHeader& header);
  void put_counter(const SnapshotCounter& counter);
  void finish();  // writes End, pads and seals the last block

  // Valid after finish(): whole sealed blocks (size % 4096 == 0) and the superblock's fields.
  std::span<const std::byte> blocks() const;
  uint64_t payload_bytes() const;
  uint32_t block_count() const;
  uint32_t payload_crc() const;

 private:
  enum class Stage : uint8_t { kHeader, kCounters, kFinished };
  void put_bytes(const std::byte* data, size_t size);
  void put_u8(uint8_t value);
  void put_u32(uint32_t value);
  void put_u64(uint64_t value);
  void put_i64(int64_t value);
  void seal_last_block();

  uint32_t shard_id_;
  uint64_t checkpoint_sequence_;
  std::vector<std::byte> blocks_;
  size_t last_block_fill_ = 0;  // payload bytes in the last, still open block
  uint64_t payload_bytes_ = 0;
  uint32_t payload_crc_ = 0;
  Stage stage_ = Stage::kHeader;
  uint64_t counters_left_ = 0;
  uint32_t next_counter_id_ = 0;
  uint32_t page_high_water_ = 0;
  std::array<uint8_t, kSnapshotRetentionsMax> level_count_by_slot_{};  // 0 = undefined slot
};

// Reads a snapshot stream back, checking everything it reads; the first error is sticky.
// Implemented in fileformat/snapshot_reader.cc to keep each file short.
class SnapshotReader {
 public:
  // Validates every block (magic, version, crc, shard id, checkpoint sequence, block_index
  // order, reserved bytes, full blocks before the last, zero padding) and that the number of
  // blocks, total payload bytes and payload crc match the superblock. `blocks` may be longer
  // than the snapshot (a reused file); bytes after snapshot_blocks blocks are ignored.
  static Result<SnapshotReader> open(std::span<const std::byte> blocks,
                                     const Superblock& superblock);
  Result<SnapshotHeader> read_header();                   // must be called first, once
  Result<std::optional<SnapshotCounter>> next_counter();  // nullopt at End (and after it)

 private:
  enum class Stage : uint8_t { kHeader, kCounters, kEnded, kFailed };
  SnapshotReader(std::span<const std::byte> blocks, uint64_t payload_bytes);
  uint64_t remaining_bytes() const;
  void read_bytes(std::byte* out, size_t size);
  uint8_t read_u8();
  uint32_t read_u32();
  uint64_t read_u64();
  int64_t read_i64();
  Error fail(const std::string& what);
  Result<SnapshotLevel> read_level(const SnapshotCounter& counter, size_t level_index);

  std::span<const std::byte> blocks_;
  uint64_t payload_bytes_;
  uint64_t position_ = 0;  // payload bytes consumed
  bool overrun_ = false;   // a read went past the end; every later read yields zeros
  Stage stage_ = Stage::kHeader;
  std::string error_;
  uint64_t counters_left_ = 0;
  uint64_t counter_index_ = 0;
  uint32_t next_counter_id_ = 0;
  uint32_t page_high_water_ = 0;
  std::array<uint8_t, kSnapshotRetentionsMax> level_count_by_slot_{};
};

}  // namespace ringstat
