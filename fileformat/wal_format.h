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
inline constexpr uint16_t kWalFormatVersion = 1;

// Record sizes on disk (docs/format.md lists every field).
inline constexpr size_t kWalCounterCreateFixedBytes = 8;  // followed by the name
inline constexpr size_t kWalSampleBytes = 24;
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
};

struct WalCounterCreate {
  uint32_t counter_id = 0;
  CounterKind kind = CounterKind::kGauge;
  uint8_t retention_slot = 0;
  std::string name;  // 1..255 bytes
  friend bool operator==(const WalCounterCreate&, const WalCounterCreate&) = default;
};
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

// Bytes the record takes in a block's payload. VERIFYs nothing; see WalBlockBuilder::append.
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

  bool empty() const { return record_count_ == 0; }
  size_t payload_bytes() const { return payload_bytes_; }
  uint32_t record_count() const { return record_count_; }
  size_t free_bytes() const { return kWalPayloadBytes - payload_bytes_; }

  // Writes header + payload + zero padding + CRC into out.
  void seal(uint32_t shard_id, uint64_t block_sequence,
            std::span<std::byte, kWalBlockBytes> out) const;

 private:
  std::array<std::byte, kWalPayloadBytes> payload_{};
  size_t payload_bytes_ = 0;
  uint32_t record_count_ = 0;
};

struct WalBlockHeader {
  uint32_t shard_id = 0;
  uint64_t block_sequence = 0;
  uint16_t payload_bytes = 0;
  uint32_t record_count = 0;
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
