// Write-ahead log block: one 4 KiB block of a shard's circular log, holding whole records packed
// back to back (docs/format.md, "Write-ahead log"). Pure single-threaded encode/decode, no I/O;
// a WalBlockBuilder belongs to the one shard that fills it. Owned by fileformat/.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "base/result.h"
#include "fileformat/block.h"
#include "fileformat/bucket.h"
#include "fileformat/counter_kind.h"
#include "fileformat/retention_level.h"

namespace ringstat {

inline constexpr size_t kWalBlockBytes = kBlockBytes;
inline constexpr size_t kWalBlockHeaderBytes = 32;
inline constexpr size_t kWalPayloadBytes = kWalBlockBytes - kWalBlockHeaderBytes;  // 4064
// Version 2 added the 16-byte SampleDelta record; version 1 blocks are still read.
inline constexpr uint16_t kWalFormatVersion = 2;
inline constexpr uint16_t kWalFormatVersionOldest = 1;

// Record sizes on disk (docs/format.md lists every field).
inline constexpr size_t kWalCounterCreateFixedBytes = 8;  // followed by the name
inline constexpr size_t kWalSampleBytes = 24;
inline constexpr size_t kWalSampleDeltaBytes = 16;
// A SampleDelta's time is a signed 24-bit offset from the previous timed record of its block.
inline constexpr int64_t kWalSampleDeltaMax = (int64_t{1} << 23) - 1;
inline constexpr int64_t kWalSampleDeltaMin = -(int64_t{1} << 23);
inline constexpr size_t kWalBucketSampleBytes = 56;
inline constexpr size_t kWalCounterDeleteBytes = 8;
inline constexpr size_t kWalRetentionDefineFixedBytes = 4;  // followed by the levels
inline constexpr size_t kWalRetentionLevelBytes = 12;
inline constexpr size_t kWalMaxNameBytes = 255;  // name_length is one byte; 0 is not a name
inline constexpr size_t kWalMinRecordBytes = 8;
inline constexpr uint32_t kWalRecordsPerBlockMax =
    static_cast<uint32_t>(kWalPayloadBytes / kWalMinRecordBytes);  // 508

enum class WalRecordType : uint8_t {
  kCounterCreate = 1,
  kSample = 2,
  kBucketSample = 3,
  kCounterDelete = 4,
  kRetentionDefine = 5,
  kSampleDelta = 6,  // version 2: a Sample stored as the time offset from the previous one
};

struct WalCounterCreate {
  uint32_t counter_id = 0;
  CounterKind kind = CounterKind::kGauge;
  uint8_t retention_slot = 0;
  std::string name;  // 1..255 bytes
  friend bool operator==(const WalCounterCreate&, const WalCounterCreate&) = default;
};
// A plain sample. On disk it is a Sample record, or a SampleDelta when an earlier record of the
// same block carries a time within kWalSampleDeltaMin..kWalSampleDeltaMax of it (the encoding is
// canonical: a block writer always takes the SampleDelta then, and a reader refuses a version 2
// Sample that should have been one).
struct WalSample {
  uint32_t counter_id = 0;
  int64_t time = 0;
  double value = 0;
  friend bool operator==(const WalSample&, const WalSample&) = default;
};
struct WalBucketSample {
  uint32_t counter_id = 0;
  int64_t time = 0;
  Bucket bucket;  // count >= 1
  friend bool operator==(const WalBucketSample&, const WalBucketSample&) = default;
};
struct WalCounterDelete {
  uint32_t counter_id = 0;
  friend bool operator==(const WalCounterDelete&, const WalCounterDelete&) = default;
};
struct WalRetentionDefine {
  uint8_t slot = 0;
  std::vector<RetentionLevel> levels;  // 1..kRetentionLevelsMax, each interval_s > 0
  friend bool operator==(const WalRetentionDefine&, const WalRetentionDefine&) = default;
};
using WalRecord = std::variant<WalCounterCreate, WalSample, WalBucketSample, WalCounterDelete,
                               WalRetentionDefine>;

// The most bytes the record can take in a block's payload (a WalSample may take fewer: see
// WalBlockBuilder::record_bytes). VERIFYs nothing.
size_t wal_record_bytes(const WalRecord& record);

// Fills one block's payload. Reused block after block; never allocates.
class WalBlockBuilder {
 public:
  void reset();
  // False when the record does not fit in what is left of this block (nothing is written).
  // VERIFYs the record is valid: name 1..255 bytes, kind valid, bucket count >= 1, 1..8 levels
  // each with interval_s > 0.
  bool append(const WalRecord& record);
  // The hot path: the same bytes as append(WalSample{...}) without building a variant.
  bool append_sample(uint32_t counter_id, int64_t time, double value);
  // The bytes a sample at `time` would take if appended now: kWalSampleDeltaBytes or
  // kWalSampleBytes.
  size_t sample_bytes(int64_t time) const;

  bool empty() const { return record_count_ == 0; }
  size_t payload_bytes() const { return payload_bytes_; }
  uint32_t record_count() const { return record_count_; }
  size_t free_bytes() const { return kWalPayloadBytes - payload_bytes_; }

  // Writes header + payload + zero padding + CRC into out.
  void seal(uint32_t shard_id, uint64_t block_sequence,
            std::span<std::byte, kWalBlockBytes> out) const;

 private:
  void note_time(int64_t time) {
    last_time_ = time;
    has_time_ = true;
  }

  std::array<std::byte, kWalPayloadBytes> payload_{};
  size_t payload_bytes_ = 0;
  uint32_t record_count_ = 0;
  int64_t last_time_ = 0;  // of the last Sample, SampleDelta or BucketSample in this block
  bool has_time_ = false;
};

// Whether a sample at `time` after a timed record at `previous` is stored as a SampleDelta.
inline bool wal_delta_fits(int64_t previous, int64_t time) {
  int64_t delta = 0;
  if (__builtin_sub_overflow(time, previous, &delta)) return false;
  return delta >= kWalSampleDeltaMin && delta <= kWalSampleDeltaMax;
}

struct WalBlockHeader {
  uint32_t shard_id = 0;
  uint64_t block_sequence = 0;
  uint16_t payload_bytes = 0;
  uint32_t record_count = 0;
  uint16_t version = kWalFormatVersion;
  friend bool operator==(const WalBlockHeader&, const WalBlockHeader&) = default;
};

// Checks magic, CRC, version, payload_bytes and record_count bounds, reserved bytes and zero
// padding. Recovery compares block_sequence with the one it expects (docs/format.md).
Result<WalBlockHeader> decode_wal_block_header(std::span<const std::byte, kWalBlockBytes> block);

// decode_wal_block_header, then every record: known type, zero pad bytes, name length, kind,
// count >= 1, level count, no record overrunning payload_bytes, records exactly filling
// payload_bytes, and record_count matching.
Result<std::vector<WalRecord>> decode_wal_records(std::span<const std::byte, kWalBlockBytes> block);

}  // namespace ringstat
