// Test fixture for the snapshot stream tests (tests/checkpoint_format_test.cc): sample content,
// an independent raw encoder of the documented entry layouts, framing of raw payloads into
// blocks, and a whole-stream reader. Header-only test code; single-threaded.
#pragma once

#include <algorithm>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "fileformat/bytes.h"
#include "fileformat/checkpoint_format.h"
#include "fileformat/crc32c.h"
#include "fileformat/page_format.h"

namespace ringstat {

inline SnapshotHeader sample_header() {
  SnapshotHeader header;
  header.next_counter_id = 100;
  header.next_write_sequence = 555;
  header.clock_time = 1700000000;
  header.page_high_water = 5000;
  header.free_pages = {7, 4999, 1};
  header.retentions = {{0, {{10, 864000}, {300, 31536000}, {3600, 189216000}}}, {9, {{60, 600}}}};
  header.counter_count = 3;
  return header;
}

inline std::vector<SnapshotCounter> sample_counters() {
  SnapshotCounter gauge{5, CounterKind::kGauge, 9, 1699999000, "cpu.idle.web13", {}};
  gauge.levels.push_back(SnapshotLevel{-2, {0, 17, 4998}, {{-150, 0, Bucket{2, 3, 5, 1, 2}}}});

  SnapshotCounter event{6, CounterKind::kEvent, 0, 1700000000, "requests", {}};
  event.levels.push_back(SnapshotLevel{0,
                                       {},
                                       {{170000000, kStagedFlagEventRaw, Bucket{4, 12, 50, 1, 6}},
                                        {170000001, 0, Bucket::of_value(0.5)}}});
  event.levels.push_back(SnapshotLevel{1, {2}, {}});
  event.levels.push_back(SnapshotLevel{kPageNumberMax, {3}, {}});

  // Enough disk pages to make the stream span several blocks.
  SnapshotCounter big{99, CounterKind::kGauge, 0, -5, std::string(255, 'n'), {}};
  SnapshotLevel wide{kPageNumberMin, {}, {}};
  for (uint32_t i = 0; i < 3000; ++i) wide.disk_pages.push_back(i % 3 == 0 ? 0 : i + 1);
  big.levels.push_back(wide);
  big.levels.push_back(SnapshotLevel{});
  big.levels.push_back(
      SnapshotLevel{0, {}, std::vector<SnapshotStagedBucket>(100, {-1, 0, Bucket::of_value(-7)})});
  return {gauge, event, big};
}

struct Stream {
  std::vector<std::byte> blocks;
  Superblock superblock;
};

inline Stream write_stream(const SnapshotHeader& header,
                           const std::vector<SnapshotCounter>& counters, uint32_t shard_id = 3,
                           uint64_t sequence = 17) {
  SnapshotWriter writer(shard_id, sequence);
  writer.put_header(header);
  for (const SnapshotCounter& counter : counters) writer.put_counter(counter);
  writer.finish();
  Stream stream;
  stream.blocks.assign(writer.blocks().begin(), writer.blocks().end());
  stream.superblock = Superblock{
      shard_id, sequence, 1, writer.payload_bytes(), writer.block_count(), writer.payload_crc(), 0};
  return stream;
}

inline std::vector<std::byte> payload_of(const Stream& stream) {
  std::vector<std::byte> payload;
  for (size_t offset = 0; offset < stream.blocks.size(); offset += kSnapshotBlockBytes) {
    const std::byte* block = stream.blocks.data() + offset;
    const uint16_t bytes = load_u16(block + 10);
    payload.insert(payload.end(), block + 32, block + 32 + bytes);
  }
  return payload;
}

// Frames arbitrary payload bytes as a snapshot stream, so tests can present entries the writer
// would refuse to produce.
inline Stream frame(const std::vector<std::byte>& payload, uint32_t shard_id = 3,
                    uint64_t sequence = 17) {
  Stream stream;
  uint32_t index = 0;
  for (size_t offset = 0; offset < payload.size(); offset += kSnapshotPayloadBytes, ++index) {
    const size_t chunk = std::min(kSnapshotPayloadBytes, payload.size() - offset);
    stream.blocks.resize(stream.blocks.size() + kSnapshotBlockBytes);
    std::span<std::byte, kSnapshotBlockBytes> block(
        stream.blocks.data() + stream.blocks.size() - kSnapshotBlockBytes, kSnapshotBlockBytes);
    std::memcpy(block.data() + 32, payload.data() + offset, chunk);
    seal_snapshot_block({shard_id, sequence, index, static_cast<uint16_t>(chunk)}, block);
  }
  stream.superblock = Superblock{
      shard_id, sequence, 1, payload.size(), index, crc32c(payload.data(), payload.size()), 0};
  return stream;
}

// An independent encoder of the documented entry layouts (docs/format.md); it checks nothing.
class RawPayload {
 public:
  RawPayload& u8(uint64_t value) { return put(value, 1); }
  RawPayload& u32(uint64_t value) { return put(value, 4); }
  RawPayload& u64(uint64_t value) { return put(value, 8); }
  RawPayload& i64(int64_t value) { return put(static_cast<uint64_t>(value), 8); }
  RawPayload& f64(double value) {
    uint64_t bits;
    std::memcpy(&bits, &value, 8);
    return put(bits, 8);
  }
  RawPayload& text(const std::string& value) {
    for (char c : value) u8(static_cast<uint8_t>(c));
    return *this;
  }
  RawPayload& header(const SnapshotHeader& header) {
    u8(1).u32(header.next_counter_id).u64(header.next_write_sequence).i64(header.clock_time);
    u32(header.page_high_water).u32(header.free_pages.size());
    for (uint32_t page : header.free_pages) u32(page);
    u32(header.retentions.size());
    for (const SnapshotRetention& retention : header.retentions) {
      u8(retention.slot).u32(retention.levels.size());
      for (const RetentionLevel& level : retention.levels)
        u32(level.interval_s).u64(level.retention_s);
    }
    return u64(header.counter_count);
  }
  RawPayload& counter(const SnapshotCounter& counter) {
    u8(2).u32(counter.counter_id).u8(static_cast<uint8_t>(counter.kind)).u8(counter.retention_slot);
    i64(counter.first_time).u8(counter.name.size()).text(counter.name).u32(counter.levels.size());
    for (const SnapshotLevel& level : counter.levels) {
      i64(level.first_page_number).u32(level.disk_pages.size());
      for (uint32_t page : level.disk_pages) u32(page);
      u32(level.staged.size());
      for (const SnapshotStagedBucket& staged : level.staged) {
        i64(staged.index).u8(staged.flags).u64(staged.bucket.count).f64(staged.bucket.sum);
        f64(staged.bucket.sumsq).f64(staged.bucket.min).f64(staged.bucket.max);
      }
    }
    return *this;
  }
  RawPayload& end() { return u8(0xFF); }
  const std::vector<std::byte>& bytes() const { return bytes_; }

 private:
  RawPayload& put(uint64_t value, int size) {
    for (int i = 0; i < size; ++i) bytes_.push_back(static_cast<std::byte>(value >> (8 * i)));
    return *this;
  }
  std::vector<std::byte> bytes_;
};

// Reads a whole stream; returns the first error, or "(decoded)".
inline std::string read_all(const Stream& stream, SnapshotHeader* header_out = nullptr,
                            std::vector<SnapshotCounter>* counters_out = nullptr) {
  Result<SnapshotReader> reader = SnapshotReader::open(stream.blocks, stream.superblock);
  if (!reader) return reader.error();
  Result<SnapshotHeader> header = reader.value().read_header();
  if (!header) return header.error();
  if (header_out) *header_out = header.value();
  while (true) {
    Result<std::optional<SnapshotCounter>> counter = reader.value().next_counter();
    if (!counter) return counter.error();
    if (!counter.value()) break;
    if (counters_out) counters_out->push_back(*counter.value());
  }
  return "(decoded)";
}

inline std::string read_raw(const RawPayload& payload) { return read_all(frame(payload.bytes())); }

}  // namespace ringstat
