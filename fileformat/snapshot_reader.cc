// SnapshotReader (declared in fileformat/checkpoint_format.h): decodes a snapshot stream entry by
// entry straight out of the sealed blocks, without copying the payload.
#include "fileformat/checkpoint_format.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "base/verify.h"
#include "fileformat/bytes.h"
#include "fileformat/crc32c.h"
#include "fileformat/page_format.h"

namespace ringstat {
namespace {

Error snapshot_error(const std::string& what) { return Error{"snapshot: " + what}; }

}  // namespace

SnapshotReader::SnapshotReader(std::span<const std::byte> blocks, uint64_t payload_bytes)
    : blocks_(blocks), payload_bytes_(payload_bytes) {}

Result<SnapshotReader> SnapshotReader::open(std::span<const std::byte> blocks,
                                            const Superblock& superblock) {
  if (superblock.snapshot_blocks == 0) return snapshot_error("superblock names no blocks");
  if (blocks.size() % kSnapshotBlockBytes != 0) {
    return snapshot_error("size " + std::to_string(blocks.size()) + " is not whole blocks");
  }
  const uint64_t present_blocks = blocks.size() / kSnapshotBlockBytes;
  if (present_blocks < superblock.snapshot_blocks) {
    return snapshot_error("superblock names " + std::to_string(superblock.snapshot_blocks) +
                          " blocks but only " + std::to_string(present_blocks) + " are present");
  }
  uint64_t payload_total = 0;
  uint32_t payload_crc = 0;
  for (uint32_t index = 0; index < superblock.snapshot_blocks; ++index) {
    const std::span<const std::byte, kSnapshotBlockBytes> block(
        blocks.data() + uint64_t{index} * kSnapshotBlockBytes, kSnapshotBlockBytes);
    const std::string where = "block " + std::to_string(index) + ": ";
    Result<SnapshotBlockHeader> header = decode_snapshot_block_header(block);
    if (!header) return Error{header.error() + " (block " + std::to_string(index) + ")"};
    if (header.value().shard_id != superblock.shard_id) {
      return snapshot_error(where + "shard_id does not match the superblock");
    }
    if (header.value().checkpoint_sequence != superblock.checkpoint_sequence) {
      return snapshot_error(where + "checkpoint_sequence does not match the superblock");
    }
    if (header.value().block_index != index) {
      return snapshot_error(where + "has block_index " +
                            std::to_string(header.value().block_index));
    }
    const uint16_t payload_bytes = header.value().payload_bytes;
    const bool last = index + 1 == superblock.snapshot_blocks;
    // Entries span blocks, so only the last block may be partly filled, and it is not empty.
    if (last ? payload_bytes == 0 : payload_bytes != kSnapshotPayloadBytes) {
      return snapshot_error(
          where + "payload_bytes " + std::to_string(payload_bytes) +
          (last ? " in the last block" : " but only the last block may be partial"));
    }
    const std::byte* payload = block.data() + kSnapshotBlockHeaderBytes;
    payload_total += payload_bytes;
    payload_crc = crc32c_extend(payload_crc, payload, payload_bytes);
  }
  if (payload_total != superblock.snapshot_bytes) {
    return snapshot_error("payload is " + std::to_string(payload_total) +
                          " bytes but the superblock says " +
                          std::to_string(superblock.snapshot_bytes));
  }
  if (payload_crc != superblock.snapshot_crc) {
    return snapshot_error("payload crc does not match the superblock");
  }
  return SnapshotReader(blocks.first(uint64_t{superblock.snapshot_blocks} * kSnapshotBlockBytes),
                        payload_total);
}

Result<SnapshotHeader> SnapshotReader::read_header() {
  VERIFY(stage_ == Stage::kHeader);
  SnapshotHeader header;
  const uint8_t tag = read_u8();
  if (tag != static_cast<uint8_t>(SnapshotTag::kHeader)) {
    return fail("stream does not start with a Header entry (tag " + std::to_string(tag) + ")");
  }
  header.next_counter_id = read_u32();
  header.next_write_sequence = read_u64();
  header.clock_time = read_i64();
  header.page_high_water = read_u32();
  const uint32_t free_page_count = read_u32();
  if (free_page_count > kFreePagesMax) {
    return fail("header: free page count " + std::to_string(free_page_count) + " over limit");
  }
  if (uint64_t{free_page_count} * 4 > remaining_bytes()) return fail("header: truncated");
  header.free_pages.reserve(free_page_count);
  for (uint32_t i = 0; i < free_page_count; ++i) {
    const uint32_t page = read_u32();
    if (page == 0 || page >= header.page_high_water) {
      return fail("header: free page " + std::to_string(page) + " outside [1, page_high_water)");
    }
    header.free_pages.push_back(page);
  }
  const uint32_t retention_count = read_u32();
  if (retention_count > kSnapshotRetentionsMax) {
    return fail("header: retention count " + std::to_string(retention_count) + " over limit");
  }
  for (uint32_t i = 0; i < retention_count; ++i) {
    SnapshotRetention retention;
    retention.slot = read_u8();
    const uint32_t level_count = read_u32();
    if (overrun_) return fail("header: truncated");
    if (level_count_by_slot_[retention.slot] != 0) {
      return fail("header: retention slot " + std::to_string(retention.slot) + " twice");
    }
    if (level_count == 0 || level_count > kRetentionLevelsMax) {
      return fail("header: retention level count " + std::to_string(level_count) + " out of range");
    }
    for (uint32_t j = 0; j < level_count; ++j) {
      RetentionLevel level{read_u32(), read_u64()};
      if (level.interval_s == 0 && !overrun_) return fail("header: retention interval_s is 0");
      retention.levels.push_back(level);
    }
    level_count_by_slot_[retention.slot] = static_cast<uint8_t>(level_count);
    header.retentions.push_back(std::move(retention));
  }
  header.counter_count = read_u64();
  if (overrun_) return fail("header: truncated");
  if (header.counter_count > header.next_counter_id) {
    return fail("header: counter_count " + std::to_string(header.counter_count) +
                " exceeds next_counter_id");
  }
  next_counter_id_ = header.next_counter_id;
  page_high_water_ = header.page_high_water;
  counters_left_ = header.counter_count;
  stage_ = Stage::kCounters;
  return header;
}

Result<std::optional<SnapshotCounter>> SnapshotReader::next_counter() {
  VERIFY(stage_ != Stage::kHeader);  // read_header() comes first
  if (stage_ == Stage::kFailed) return Error{error_};
  if (stage_ == Stage::kEnded) return std::optional<SnapshotCounter>{};
  const uint8_t tag = read_u8();
  if (overrun_) return fail("truncated before End");
  if (tag == static_cast<uint8_t>(SnapshotTag::kEnd)) {
    if (counters_left_ != 0) {
      return fail("End after " + std::to_string(counter_index_) + " counters, header promised " +
                  std::to_string(counter_index_ + counters_left_));
    }
    if (remaining_bytes() != 0) return fail("bytes after End");
    stage_ = Stage::kEnded;
    return std::optional<SnapshotCounter>{};
  }
  const std::string where = "counter " + std::to_string(counter_index_) + ": ";
  if (tag != static_cast<uint8_t>(SnapshotTag::kCounter)) {
    return fail(where + "bad entry tag " + std::to_string(tag));
  }
  if (counters_left_ == 0) return fail(where + "more counters than the header promised");

  SnapshotCounter counter;
  counter.counter_id = read_u32();
  const uint8_t kind = read_u8();
  counter.retention_slot = read_u8();
  counter.first_time = read_i64();
  const uint8_t name_length = read_u8();
  if (overrun_) return fail(where + "truncated");
  if (counter.counter_id >= next_counter_id_) {
    return fail(where + "counter_id " + std::to_string(counter.counter_id) +
                " not below next_counter_id");
  }
  if (!is_valid_counter_kind(kind)) return fail(where + "bad kind " + std::to_string(kind));
  counter.kind = static_cast<CounterKind>(kind);
  const uint8_t expected_levels = level_count_by_slot_[counter.retention_slot];
  if (expected_levels == 0) {
    return fail(where + "retention slot " + std::to_string(counter.retention_slot) +
                " is not defined");
  }
  if (name_length == 0) return fail(where + "empty name");
  counter.name.resize(name_length);
  read_bytes(reinterpret_cast<std::byte*>(counter.name.data()), name_length);
  const uint32_t level_count = read_u32();
  if (overrun_) return fail(where + "truncated");
  if (level_count != expected_levels) {
    return fail(where + std::to_string(level_count) + " levels but its retention has " +
                std::to_string(expected_levels));
  }
  counter.levels.reserve(level_count);
  for (size_t level_index = 0; level_index < level_count; ++level_index) {
    Result<SnapshotLevel> level = read_level(counter, level_index);
    if (!level) return Error{level.error()};
    counter.levels.push_back(std::move(level.value()));
  }
  ++counter_index_;
  --counters_left_;
  return std::optional<SnapshotCounter>{std::move(counter)};
}

Result<SnapshotLevel> SnapshotReader::read_level(const SnapshotCounter& counter,
                                                 size_t level_index) {
  const std::string where =
      "counter " + std::to_string(counter_index_) + " level " + std::to_string(level_index) + ": ";
  constexpr size_t kStagedEntryBytes = 8 + 1 + kBucketRecordBytes;
  SnapshotLevel level;
  level.first_page_number = read_i64();
  const uint32_t page_count = read_u32();
  if (overrun_) return fail(where + "truncated");
  if (page_count > kPagesPerLevelMax) {
    return fail(where + "page count " + std::to_string(page_count) + " over limit");
  }
  if (!page_range_is_valid(level.first_page_number, page_count)) {
    return fail(where + "first_page_number " + std::to_string(level.first_page_number) +
                " out of range");
  }
  if (uint64_t{page_count} * 4 > remaining_bytes()) return fail(where + "truncated pages");
  level.disk_pages.resize(page_count);
  for (uint32_t& page : level.disk_pages) {
    page = read_u32();
    if (page != 0 && page >= page_high_water_) {
      return fail(where + "disk page " + std::to_string(page) + " not below page_high_water");
    }
  }
  const uint32_t staged_count = read_u32();
  if (overrun_) return fail(where + "truncated");
  if (staged_count > kStagedPerLevelMax) {
    return fail(where + "staged count " + std::to_string(staged_count) + " over limit");
  }
  if (uint64_t{staged_count} * kStagedEntryBytes > remaining_bytes()) {
    return fail(where + "truncated staged buckets");
  }
  level.staged.resize(staged_count);
  for (SnapshotStagedBucket& staged : level.staged) {
    staged.index = read_i64();
    staged.flags = read_u8();
    std::array<std::byte, kBucketRecordBytes> record;
    read_bytes(record.data(), record.size());
    staged.bucket = load_bucket_record(record.data());
    if ((staged.flags & ~kStagedFlagEventRaw) != 0) {
      return fail(where + "unknown staged flags " + std::to_string(staged.flags));
    }
    if (staged.flags != 0 && (counter.kind != CounterKind::kEvent || level_index != 0)) {
      return fail(where + "raw event flag outside an event counter's finest level");
    }
    if (staged.bucket.count == 0) return fail(where + "staged bucket with count 0");
  }
  return level;
}

uint64_t SnapshotReader::remaining_bytes() const { return payload_bytes_ - position_; }

void SnapshotReader::read_bytes(std::byte* out, size_t size) {
  if (overrun_ || size > remaining_bytes()) {
    overrun_ = true;
    std::memset(out, 0, size);
    return;
  }
  while (size > 0) {
    // Every block but the last is full, so a payload offset maps to a block by division.
    const uint64_t block = position_ / kSnapshotPayloadBytes;
    const size_t offset = static_cast<size_t>(position_ % kSnapshotPayloadBytes);
    const size_t chunk = std::min(size, kSnapshotPayloadBytes - offset);
    std::memcpy(out,
                blocks_.data() + block * kSnapshotBlockBytes + kSnapshotBlockHeaderBytes + offset,
                chunk);
    position_ += chunk;
    out += chunk;
    size -= chunk;
  }
}

uint8_t SnapshotReader::read_u8() {
  std::byte field[1];
  read_bytes(field, sizeof field);
  return load_u8(field);
}

uint32_t SnapshotReader::read_u32() {
  std::byte field[4];
  read_bytes(field, sizeof field);
  return load_u32(field);
}

uint64_t SnapshotReader::read_u64() {
  std::byte field[8];
  read_bytes(field, sizeof field);
  return load_u64(field);
}

int64_t SnapshotReader::read_i64() {
  std::byte field[8];
  read_bytes(field, sizeof field);
  return load_i64(field);
}

Error SnapshotReader::fail(const std::string& what) {
  stage_ = Stage::kFailed;
  error_ = "snapshot: " + what;
  return Error{error_};
}

}  // namespace ringstat
