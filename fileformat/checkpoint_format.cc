#include "fileformat/checkpoint_format.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "base/verify.h"
#include "fileformat/bytes.h"
#include "fileformat/crc32c.h"
#include "fileformat/page_format.h"

namespace ringstat {
namespace {

constexpr uint32_t kSuperblockMagic = magic_from_chars('R', 'S', 'S', 'B');
constexpr uint32_t kSnapshotMagic = magic_from_chars('R', 'S', 'C', 'K');
constexpr size_t kCrcCoveredFrom = 8;  // every CRC covers [8, 4096): everything after itself

// Field offsets shared by the superblock and snapshot blocks (docs/format.md, "Checkpoint").
constexpr size_t kMagicOffset = 0;
constexpr size_t kCrcOffset = 4;
constexpr size_t kVersionOffset = 8;

constexpr size_t kSuperReservedOffset = 10;
constexpr size_t kSuperShardIdOffset = 12;
constexpr size_t kSuperCheckpointSequenceOffset = 16;
constexpr size_t kSuperWalReplaySequenceOffset = 24;
constexpr size_t kSuperSnapshotBytesOffset = 32;
constexpr size_t kSuperSnapshotBlocksOffset = 40;
constexpr size_t kSuperSnapshotCrcOffset = 44;
constexpr size_t kSuperSnapshotSlotOffset = 48;
constexpr size_t kSuperUsedBytes = 49;  // bytes 49..4096 are zero

constexpr size_t kBlockPayloadBytesOffset = 10;
constexpr size_t kBlockShardIdOffset = 12;
constexpr size_t kBlockCheckpointSequenceOffset = 16;
constexpr size_t kBlockIndexOffset = 24;
constexpr size_t kBlockReservedOffset = 28;
static_assert(kBlockReservedOffset + 4 == kSnapshotBlockHeaderBytes);
static_assert(kSnapshotPayloadBytes <= UINT16_MAX, "payload_bytes is a u16 field");

Error superblock_error(const std::string& what) { return Error{"superblock: " + what}; }
Error snapshot_block_error(const std::string& what) { return Error{"snapshot block: " + what}; }

uint64_t blocks_for_payload(uint64_t payload_bytes) {
  return payload_bytes / kSnapshotPayloadBytes + (payload_bytes % kSnapshotPayloadBytes != 0);
}

// The bounds both encode_superblock (as VERIFYs) and decode_superblock (as errors) enforce.
std::optional<std::string> superblock_field_problem(const Superblock& superblock) {
  if (superblock.checkpoint_sequence == 0) return "checkpoint_sequence is 0";
  if (superblock.snapshot_bytes == 0) return "snapshot_bytes is 0";
  if (blocks_for_payload(superblock.snapshot_bytes) != superblock.snapshot_blocks) {
    return "snapshot_blocks " + std::to_string(superblock.snapshot_blocks) +
           " does not match snapshot_bytes " + std::to_string(superblock.snapshot_bytes);
  }
  if (superblock.snapshot_slot > 1) {
    return "snapshot_slot " + std::to_string(superblock.snapshot_slot) + " is not 0 or 1";
  }
  return std::nullopt;
}

}  // namespace

void encode_superblock(const Superblock& superblock, std::span<std::byte, kSuperblockBytes> out) {
  VERIFY(!superblock_field_problem(superblock).has_value());
  std::byte* base = out.data();
  std::memset(base, 0, kSuperblockBytes);
  store_u32(base + kMagicOffset, kSuperblockMagic);
  store_u16(base + kVersionOffset, kSuperblockFormatVersion);
  store_u32(base + kSuperShardIdOffset, superblock.shard_id);
  store_u64(base + kSuperCheckpointSequenceOffset, superblock.checkpoint_sequence);
  store_u64(base + kSuperWalReplaySequenceOffset, superblock.wal_replay_sequence);
  store_u64(base + kSuperSnapshotBytesOffset, superblock.snapshot_bytes);
  store_u32(base + kSuperSnapshotBlocksOffset, superblock.snapshot_blocks);
  store_u32(base + kSuperSnapshotCrcOffset, superblock.snapshot_crc);
  store_u8(base + kSuperSnapshotSlotOffset, superblock.snapshot_slot);
  store_u32(base + kCrcOffset, crc32c(base + kCrcCoveredFrom, kSuperblockBytes - kCrcCoveredFrom));
}

Result<Superblock> decode_superblock(std::span<const std::byte, kSuperblockBytes> in) {
  const std::byte* base = in.data();
  if (load_u32(base + kMagicOffset) != kSuperblockMagic) return superblock_error("bad magic");
  if (load_u32(base + kCrcOffset) !=
      crc32c(base + kCrcCoveredFrom, kSuperblockBytes - kCrcCoveredFrom)) {
    return superblock_error("crc mismatch");
  }
  const uint16_t version = load_u16(base + kVersionOffset);
  if (version != kSuperblockFormatVersion) {
    return superblock_error("unsupported version " + std::to_string(version));
  }
  if (load_u16(base + kSuperReservedOffset) != 0) {
    return superblock_error("reserved bytes 10..12 not zero");
  }
  if (!all_zero({base + kSuperUsedBytes, kSuperblockBytes - kSuperUsedBytes})) {
    return superblock_error("reserved bytes 49..4096 not zero");
  }
  Superblock superblock;
  superblock.shard_id = load_u32(base + kSuperShardIdOffset);
  superblock.checkpoint_sequence = load_u64(base + kSuperCheckpointSequenceOffset);
  superblock.wal_replay_sequence = load_u64(base + kSuperWalReplaySequenceOffset);
  superblock.snapshot_bytes = load_u64(base + kSuperSnapshotBytesOffset);
  superblock.snapshot_blocks = load_u32(base + kSuperSnapshotBlocksOffset);
  superblock.snapshot_crc = load_u32(base + kSuperSnapshotCrcOffset);
  superblock.snapshot_slot = load_u8(base + kSuperSnapshotSlotOffset);
  if (auto problem = superblock_field_problem(superblock)) return superblock_error(*problem);
  return superblock;
}

void seal_snapshot_block(const SnapshotBlockHeader& header,
                         std::span<std::byte, kSnapshotBlockBytes> block) {
  VERIFY(header.payload_bytes <= kSnapshotPayloadBytes);
  std::byte* base = block.data();
  store_u32(base + kMagicOffset, kSnapshotMagic);
  store_u16(base + kVersionOffset, kSnapshotFormatVersion);
  store_u16(base + kBlockPayloadBytesOffset, header.payload_bytes);
  store_u32(base + kBlockShardIdOffset, header.shard_id);
  store_u64(base + kBlockCheckpointSequenceOffset, header.checkpoint_sequence);
  store_u32(base + kBlockIndexOffset, header.block_index);
  store_u32(base + kBlockReservedOffset, 0);
  std::memset(base + kSnapshotBlockHeaderBytes + header.payload_bytes, 0,
              kSnapshotPayloadBytes - header.payload_bytes);
  store_u32(base + kCrcOffset,
            crc32c(base + kCrcCoveredFrom, kSnapshotBlockBytes - kCrcCoveredFrom));
}

Result<SnapshotBlockHeader> decode_snapshot_block_header(
    std::span<const std::byte, kSnapshotBlockBytes> block) {
  const std::byte* base = block.data();
  if (load_u32(base + kMagicOffset) != kSnapshotMagic) return snapshot_block_error("bad magic");
  if (load_u32(base + kCrcOffset) !=
      crc32c(base + kCrcCoveredFrom, kSnapshotBlockBytes - kCrcCoveredFrom)) {
    return snapshot_block_error("crc mismatch");
  }
  const uint16_t version = load_u16(base + kVersionOffset);
  if (version != kSnapshotFormatVersion) {
    return snapshot_block_error("unsupported version " + std::to_string(version));
  }
  SnapshotBlockHeader header;
  header.payload_bytes = load_u16(base + kBlockPayloadBytesOffset);
  if (header.payload_bytes > kSnapshotPayloadBytes) {
    return snapshot_block_error("payload_bytes " + std::to_string(header.payload_bytes) +
                                " too large");
  }
  header.shard_id = load_u32(base + kBlockShardIdOffset);
  header.checkpoint_sequence = load_u64(base + kBlockCheckpointSequenceOffset);
  header.block_index = load_u32(base + kBlockIndexOffset);
  if (load_u32(base + kBlockReservedOffset) != 0)
    return snapshot_block_error("reserved bytes not zero");
  if (!all_zero({base + kSnapshotBlockHeaderBytes + header.payload_bytes,
                 kSnapshotPayloadBytes - header.payload_bytes})) {
    return snapshot_block_error("padding after payload not zero");
  }
  return header;
}

SnapshotWriter::SnapshotWriter(uint32_t shard_id, uint64_t checkpoint_sequence)
    : shard_id_(shard_id), checkpoint_sequence_(checkpoint_sequence) {
  VERIFY(checkpoint_sequence >= 1);
}

void SnapshotWriter::put_header(const SnapshotHeader& header) {
  VERIFY(stage_ == Stage::kHeader);
  VERIFY(header.free_pages.size() <= kFreePagesMax);
  VERIFY(header.retentions.size() <= kSnapshotRetentionsMax);
  VERIFY(header.counter_count <= header.next_counter_id);

  put_u8(static_cast<uint8_t>(SnapshotTag::kHeader));
  put_u32(header.next_counter_id);
  put_u64(header.next_write_sequence);
  put_i64(header.clock_time);
  put_u32(header.page_high_water);
  put_u32(static_cast<uint32_t>(header.free_pages.size()));
  for (uint32_t page : header.free_pages) {
    VERIFY(page != 0);
    VERIFY(page < header.page_high_water);
    put_u32(page);
  }
  put_u32(static_cast<uint32_t>(header.retentions.size()));
  for (const SnapshotRetention& retention : header.retentions) {
    VERIFY(level_count_by_slot_[retention.slot] == 0);  // slots are unique
    VERIFY(!retention.levels.empty());
    VERIFY(retention.levels.size() <= kRetentionLevelsMax);
    level_count_by_slot_[retention.slot] = static_cast<uint8_t>(retention.levels.size());
    put_u8(retention.slot);
    put_u32(static_cast<uint32_t>(retention.levels.size()));
    for (const RetentionLevel& level : retention.levels) {
      VERIFY(level.interval_s > 0);
      put_u32(level.interval_s);
      put_u64(level.retention_s);
    }
  }
  put_u64(header.counter_count);

  next_counter_id_ = header.next_counter_id;
  page_high_water_ = header.page_high_water;
  counters_left_ = header.counter_count;
  stage_ = Stage::kCounters;
}

void SnapshotWriter::put_counter(const SnapshotCounter& counter) {
  VERIFY(stage_ == Stage::kCounters);
  VERIFY(counters_left_ > 0);
  VERIFY(counter.counter_id < next_counter_id_);
  VERIFY(is_valid_counter_kind(static_cast<uint8_t>(counter.kind)));
  VERIFY(level_count_by_slot_[counter.retention_slot] != 0);
  VERIFY(counter.levels.size() == level_count_by_slot_[counter.retention_slot]);
  VERIFY(!counter.name.empty());
  VERIFY(counter.name.size() <= kSnapshotMaxNameBytes);

  put_u8(static_cast<uint8_t>(SnapshotTag::kCounter));
  put_u32(counter.counter_id);
  put_u8(static_cast<uint8_t>(counter.kind));
  put_u8(counter.retention_slot);
  put_i64(counter.first_time);
  put_u8(static_cast<uint8_t>(counter.name.size()));
  put_bytes(reinterpret_cast<const std::byte*>(counter.name.data()), counter.name.size());
  put_u32(static_cast<uint32_t>(counter.levels.size()));
  for (size_t level_index = 0; level_index < counter.levels.size(); ++level_index) {
    const SnapshotLevel& level = counter.levels[level_index];
    VERIFY(level.disk_pages.size() <= kPagesPerLevelMax);
    VERIFY(level.staged.size() <= kStagedPerLevelMax);
    VERIFY(page_range_is_valid(level.first_page_number, level.disk_pages.size()));
    put_i64(level.first_page_number);
    put_u32(static_cast<uint32_t>(level.disk_pages.size()));
    for (uint32_t page : level.disk_pages) {
      VERIFY(page < page_high_water_ || page == 0);
      put_u32(page);
    }
    put_u32(static_cast<uint32_t>(level.staged.size()));
    for (const SnapshotStagedBucket& staged : level.staged) {
      VERIFY((staged.flags & ~kStagedFlagEventRaw) == 0);
      // Raw event sums only exist in an event counter's finest level.
      VERIFY(staged.flags == 0 || (counter.kind == CounterKind::kEvent && level_index == 0));
      VERIFY(staged.bucket.count >= 1);
      put_i64(staged.index);
      put_u8(staged.flags);
      std::array<std::byte, kBucketRecordBytes> record;
      store_bucket_record(record.data(), staged.bucket);
      put_bytes(record.data(), record.size());
    }
  }
  --counters_left_;
}

void SnapshotWriter::finish() {
  VERIFY(stage_ == Stage::kCounters);
  VERIFY(counters_left_ == 0);
  put_u8(static_cast<uint8_t>(SnapshotTag::kEnd));
  seal_last_block();
  stage_ = Stage::kFinished;
}

std::span<const std::byte> SnapshotWriter::blocks() const {
  VERIFY(stage_ == Stage::kFinished);
  return blocks_;
}

uint64_t SnapshotWriter::payload_bytes() const {
  VERIFY(stage_ == Stage::kFinished);
  return payload_bytes_;
}

uint32_t SnapshotWriter::block_count() const {
  VERIFY(stage_ == Stage::kFinished);
  return static_cast<uint32_t>(blocks_.size() / kSnapshotBlockBytes);
}

uint32_t SnapshotWriter::payload_crc() const {
  VERIFY(stage_ == Stage::kFinished);
  return payload_crc_;
}

void SnapshotWriter::put_bytes(const std::byte* data, size_t size) {
  while (size > 0) {
    // A block is opened only when a byte needs it, so every block holds at least one payload
    // byte and every block but the last is full.
    if (blocks_.empty() || last_block_fill_ == kSnapshotPayloadBytes) {
      if (!blocks_.empty()) seal_last_block();
      VERIFY(blocks_.size() / kSnapshotBlockBytes < std::numeric_limits<uint32_t>::max());
      blocks_.resize(blocks_.size() + kSnapshotBlockBytes);  // zero-filled
      last_block_fill_ = 0;
    }
    std::byte* payload = blocks_.data() + blocks_.size() - kSnapshotPayloadBytes;
    const size_t chunk = std::min(size, kSnapshotPayloadBytes - last_block_fill_);
    std::memcpy(payload + last_block_fill_, data, chunk);
    last_block_fill_ += chunk;
    payload_bytes_ += chunk;
    data += chunk;
    size -= chunk;
  }
}

void SnapshotWriter::put_u8(uint8_t value) {
  std::byte field[1];
  store_u8(field, value);
  put_bytes(field, sizeof field);
}

void SnapshotWriter::put_u32(uint32_t value) {
  std::byte field[4];
  store_u32(field, value);
  put_bytes(field, sizeof field);
}

void SnapshotWriter::put_u64(uint64_t value) {
  std::byte field[8];
  store_u64(field, value);
  put_bytes(field, sizeof field);
}

void SnapshotWriter::put_i64(int64_t value) {
  std::byte field[8];
  store_i64(field, value);
  put_bytes(field, sizeof field);
}

void SnapshotWriter::seal_last_block() {
  VERIFY(!blocks_.empty());
  const std::span<std::byte, kSnapshotBlockBytes> block(
      blocks_.data() + blocks_.size() - kSnapshotBlockBytes, kSnapshotBlockBytes);
  const SnapshotBlockHeader header{shard_id_, checkpoint_sequence_,
                                   static_cast<uint32_t>(blocks_.size() / kSnapshotBlockBytes - 1),
                                   static_cast<uint16_t>(last_block_fill_)};
  seal_snapshot_block(header, block);
  payload_crc_ =
      crc32c_extend(payload_crc_, block.data() + kSnapshotBlockHeaderBytes, last_block_fill_);
}

}  // namespace ringstat
