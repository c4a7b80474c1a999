#include "fileformat/wal_format.h"

#include <cstring>
#include <optional>

#include "base/verify.h"
#include "fileformat/bytes.h"
#include "fileformat/crc32c.h"
#include "fileformat/page_format.h"

namespace ringstat {
namespace {

constexpr uint32_t kWalMagic = magic_from_chars('R', 'S', 'W', 'L');
constexpr size_t kCrcCoveredFrom = 8;  // the CRC covers [8, 4096): everything after itself

// Block header field offsets (docs/format.md, "Write-ahead log").
constexpr size_t kMagicOffset = 0;
constexpr size_t kCrcOffset = 4;
constexpr size_t kVersionOffset = 8;
constexpr size_t kPayloadBytesOffset = 10;
constexpr size_t kShardIdOffset = 12;
constexpr size_t kBlockSequenceOffset = 16;
constexpr size_t kRecordCountOffset = 24;
constexpr size_t kReservedOffset = 28;
static_assert(kReservedOffset + 4 == kWalBlockHeaderBytes);
static_assert(kWalPayloadBytes <= UINT16_MAX, "payload_bytes is a u16 field");
static_assert(kWalBucketSampleBytes == 16 + kBucketRecordBytes);

// The largest record must fit in an empty block, so append() on an empty builder always succeeds.
static_assert(kWalCounterCreateFixedBytes + kWalMaxNameBytes <= kWalPayloadBytes);
static_assert(kWalRetentionDefineFixedBytes + kRetentionLevelsMax * kWalRetentionLevelBytes <=
              kWalPayloadBytes);

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

Error wal_error(const std::string& what) { return Error{"wal block: " + what}; }

void verify_record(const WalRecord& record) {
  std::visit(Overloaded{
                 [](const WalCounterCreate& create) {
                   VERIFY(!create.name.empty());
                   VERIFY(create.name.size() <= kWalMaxNameBytes);
                   VERIFY(is_valid_counter_kind(static_cast<uint8_t>(create.kind)));
                 },
                 [](const WalSample&) {},
                 [](const WalBucketSample& sample) { VERIFY(sample.bucket.count >= 1); },
                 [](const WalCounterDelete&) {},
                 [](const WalRetentionDefine& define) {
                   VERIFY(!define.levels.empty());
                   VERIFY(define.levels.size() <= kRetentionLevelsMax);
                   for (const RetentionLevel& level : define.levels) VERIFY(level.interval_s > 0);
                 },
             },
             record);
}

// Writes the record at out, which has room for wal_record_bytes(record) bytes. The fixed-layout
// records store their type as a u32, which on a little-endian disk is the type byte followed by
// the three zero pad bytes.
void store_record(std::byte* out, const WalRecord& record) {
  std::visit(Overloaded{
                 [out](const WalCounterCreate& create) {
                   store_u8(out, static_cast<uint8_t>(WalRecordType::kCounterCreate));
                   store_u8(out + 1, static_cast<uint8_t>(create.kind));
                   store_u8(out + 2, static_cast<uint8_t>(create.name.size()));
                   store_u8(out + 3, create.retention_slot);
                   store_u32(out + 4, create.counter_id);
                   std::memcpy(out + kWalCounterCreateFixedBytes, create.name.data(),
                               create.name.size());
                 },
                 [](const WalSample&) {
                   // Its encoding depends on the block's last time: WalBlockBuilder::append_sample.
                   VERIFY(false && "samples are stored by append_sample");
                 },
                 [out](const WalBucketSample& sample) {
                   store_u32(out, static_cast<uint32_t>(WalRecordType::kBucketSample));
                   store_u32(out + 4, sample.counter_id);
                   store_i64(out + 8, sample.time);
                   store_bucket_record(out + 16, sample.bucket);
                 },
                 [out](const WalCounterDelete& del) {
                   store_u32(out, static_cast<uint32_t>(WalRecordType::kCounterDelete));
                   store_u32(out + 4, del.counter_id);
                 },
                 [out](const WalRetentionDefine& define) {
                   store_u8(out, static_cast<uint8_t>(WalRecordType::kRetentionDefine));
                   store_u8(out + 1, define.slot);
                   store_u8(out + 2, static_cast<uint8_t>(define.levels.size()));
                   store_u8(out + 3, 0);
                   std::byte* level_out = out + kWalRetentionDefineFixedBytes;
                   for (const RetentionLevel& level : define.levels) {
                     store_u32(level_out, level.interval_s);
                     store_u64(level_out + 4, level.retention_s);
                     level_out += kWalRetentionLevelBytes;
                   }
                 },
             },
             record);
}

// A SampleDelta: the type byte, the time offset as a little-endian i24, the counter and value.
void store_sample_delta(std::byte* out, uint32_t counter_id, int64_t delta, double value) {
  const auto offset = static_cast<uint32_t>(delta) & 0xFFFFFF;
  store_u32(out, static_cast<uint32_t>(WalRecordType::kSampleDelta) | (offset << 8));
  store_u32(out + 4, counter_id);
  store_f64(out + 8, value);
}

int64_t load_delta(const std::byte* record) {
  const uint32_t offset = load_u32(record) >> 8;
  // Sign-extend the 24-bit field.
  return static_cast<int64_t>(static_cast<int32_t>(offset << 8) >> 8);
}

// The time carried by a decoded record, if it has one.
std::optional<int64_t> record_time(const WalRecord& record) {
  if (const auto* sample = std::get_if<WalSample>(&record)) return sample->time;
  if (const auto* bucket = std::get_if<WalBucketSample>(&record)) return bucket->time;
  return std::nullopt;
}

// The three pad bytes after the type byte of the fixed-layout records.
bool pad_is_zero(const std::byte* record) { return all_zero({record + 1, 3}); }

struct LoadedRecord {
  WalRecord record;
  size_t bytes = 0;  // taken in the payload
};

// Decodes the record that starts at `record`; `remaining` (at least 1) is how many payload bytes
// are left from there, so no field is read past payload_bytes. `index` names it in errors;
// `version` is the block's; `last_time` is the time of the block's last timed record so far.
Result<LoadedRecord> load_record(const std::byte* record, size_t remaining, size_t index,
                                 uint16_t version, std::optional<int64_t> last_time) {
  const std::string where = "record " + std::to_string(index) + ": ";
  auto need = [&](size_t bytes) { return bytes <= remaining; };
  const uint8_t type = load_u8(record);
  switch (static_cast<WalRecordType>(type)) {
    case WalRecordType::kCounterCreate: {
      if (!need(kWalCounterCreateFixedBytes)) return wal_error(where + "overruns payload");
      const uint8_t kind = load_u8(record + 1);
      const uint8_t name_length = load_u8(record + 2);
      if (!is_valid_counter_kind(kind))
        return wal_error(where + "bad kind " + std::to_string(kind));
      if (name_length == 0) return wal_error(where + "empty name");
      if (!need(kWalCounterCreateFixedBytes + name_length)) {
        return wal_error(where + "name overruns payload");
      }
      WalCounterCreate create;
      create.kind = static_cast<CounterKind>(kind);
      create.retention_slot = load_u8(record + 3);
      create.counter_id = load_u32(record + 4);
      create.name.assign(reinterpret_cast<const char*>(record + kWalCounterCreateFixedBytes),
                         name_length);
      const size_t bytes = kWalCounterCreateFixedBytes + name_length;
      return LoadedRecord{WalRecord{std::move(create)}, bytes};
    }
    case WalRecordType::kSample: {
      if (!need(kWalSampleBytes)) return wal_error(where + "overruns payload");
      if (!pad_is_zero(record)) return wal_error(where + "pad bytes not zero");
      const WalSample sample{load_u32(record + 4), load_i64(record + 8), load_f64(record + 16)};
      if (version >= 2 && last_time && wal_delta_fits(*last_time, sample.time)) {
        return wal_error(where + "a Sample that must be a SampleDelta");
      }
      return LoadedRecord{WalRecord{sample}, kWalSampleBytes};
    }
    case WalRecordType::kSampleDelta: {
      if (version < 2) return wal_error(where + "SampleDelta in a version 1 block");
      if (!need(kWalSampleDeltaBytes)) return wal_error(where + "overruns payload");
      if (!last_time) return wal_error(where + "SampleDelta without an earlier time");
      const int64_t delta = load_delta(record);
      int64_t time = 0;
      if (__builtin_add_overflow(*last_time, delta, &time)) {
        return wal_error(where + "SampleDelta time out of range");
      }
      return LoadedRecord{WalRecord{WalSample{load_u32(record + 4), time, load_f64(record + 8)}},
                          kWalSampleDeltaBytes};
    }
    case WalRecordType::kBucketSample: {
      if (!need(kWalBucketSampleBytes)) return wal_error(where + "overruns payload");
      if (!pad_is_zero(record)) return wal_error(where + "pad bytes not zero");
      WalBucketSample sample{load_u32(record + 4), load_i64(record + 8),
                             load_bucket_record(record + 16)};
      if (sample.bucket.count == 0) return wal_error(where + "bucket count 0");
      return LoadedRecord{WalRecord{sample}, kWalBucketSampleBytes};
    }
    case WalRecordType::kCounterDelete: {
      if (!need(kWalCounterDeleteBytes)) return wal_error(where + "overruns payload");
      if (!pad_is_zero(record)) return wal_error(where + "pad bytes not zero");
      return LoadedRecord{WalRecord{WalCounterDelete{load_u32(record + 4)}},
                          kWalCounterDeleteBytes};
    }
    case WalRecordType::kRetentionDefine: {
      if (!need(kWalRetentionDefineFixedBytes)) return wal_error(where + "overruns payload");
      const uint8_t level_count = load_u8(record + 2);
      if (level_count == 0 || level_count > kRetentionLevelsMax) {
        return wal_error(where + "level count " + std::to_string(level_count) + " out of range");
      }
      if (load_u8(record + 3) != 0) return wal_error(where + "pad byte not zero");
      if (!need(kWalRetentionDefineFixedBytes + level_count * kWalRetentionLevelBytes)) {
        return wal_error(where + "levels overrun payload");
      }
      WalRetentionDefine define;
      define.slot = load_u8(record + 1);
      define.levels.reserve(level_count);
      const std::byte* level_in = record + kWalRetentionDefineFixedBytes;
      for (size_t i = 0; i < level_count; ++i) {
        RetentionLevel level{load_u32(level_in), load_u64(level_in + 4)};
        if (level.interval_s == 0) return wal_error(where + "level interval_s is 0");
        define.levels.push_back(level);
        level_in += kWalRetentionLevelBytes;
      }
      const size_t bytes = kWalRetentionDefineFixedBytes + level_count * kWalRetentionLevelBytes;
      return LoadedRecord{WalRecord{std::move(define)}, bytes};
    }
  }
  return wal_error(where + "unknown type " + std::to_string(type));
}

}  // namespace

size_t wal_record_bytes(const WalRecord& record) {
  return std::visit(Overloaded{
                        [](const WalCounterCreate& create) {
                          return kWalCounterCreateFixedBytes + create.name.size();
                        },
                        [](const WalSample&) { return kWalSampleBytes; },
                        [](const WalBucketSample&) { return kWalBucketSampleBytes; },
                        [](const WalCounterDelete&) { return kWalCounterDeleteBytes; },
                        [](const WalRetentionDefine& define) {
                          return kWalRetentionDefineFixedBytes +
                                 define.levels.size() * kWalRetentionLevelBytes;
                        },
                    },
                    record);
}

void WalBlockBuilder::reset() {
  payload_bytes_ = 0;
  record_count_ = 0;
  has_time_ = false;
}

bool WalBlockBuilder::append(const WalRecord& record) {
  verify_record(record);
  if (const auto* sample = std::get_if<WalSample>(&record)) {
    return append_sample(sample->counter_id, sample->time, sample->value);
  }
  const size_t bytes = wal_record_bytes(record);
  if (bytes > free_bytes()) return false;
  store_record(payload_.data() + payload_bytes_, record);
  payload_bytes_ += bytes;
  ++record_count_;
  if (std::optional<int64_t> time = record_time(record)) note_time(*time);
  return true;
}

size_t WalBlockBuilder::sample_bytes(int64_t time) const {
  return has_time_ && wal_delta_fits(last_time_, time) ? kWalSampleDeltaBytes : kWalSampleBytes;
}

bool WalBlockBuilder::append_sample(uint32_t counter_id, int64_t time, double value) {
  const size_t bytes = sample_bytes(time);
  if (bytes > free_bytes()) return false;
  std::byte* out = payload_.data() + payload_bytes_;
  if (bytes == kWalSampleDeltaBytes) {
    store_sample_delta(out, counter_id, time - last_time_, value);
  } else {
    store_u32(out, static_cast<uint32_t>(WalRecordType::kSample));
    store_u32(out + 4, counter_id);
    store_i64(out + 8, time);
    store_f64(out + 16, value);
  }
  payload_bytes_ += bytes;
  ++record_count_;
  note_time(time);
  return true;
}

void WalBlockBuilder::seal(uint32_t shard_id, uint64_t block_sequence,
                           std::span<std::byte, kWalBlockBytes> out) const {
  VERIFY(payload_bytes_ <= kWalPayloadBytes);
  VERIFY(record_count_ <= kWalRecordsPerBlockMax);
  std::byte* base = out.data();
  store_u32(base + kMagicOffset, kWalMagic);
  store_u16(base + kVersionOffset, kWalFormatVersion);
  store_u16(base + kPayloadBytesOffset, static_cast<uint16_t>(payload_bytes_));
  store_u32(base + kShardIdOffset, shard_id);
  store_u64(base + kBlockSequenceOffset, block_sequence);
  store_u32(base + kRecordCountOffset, record_count_);
  store_u32(base + kReservedOffset, 0);
  std::memcpy(base + kWalBlockHeaderBytes, payload_.data(), payload_bytes_);
  std::memset(base + kWalBlockHeaderBytes + payload_bytes_, 0, kWalPayloadBytes - payload_bytes_);
  store_u32(base + kCrcOffset, crc32c(base + kCrcCoveredFrom, kWalBlockBytes - kCrcCoveredFrom));
}

Result<WalBlockHeader> decode_wal_block_header(std::span<const std::byte, kWalBlockBytes> block) {
  const std::byte* base = block.data();
  if (load_u32(base + kMagicOffset) != kWalMagic) return wal_error("bad magic");
  const uint32_t stored_crc = load_u32(base + kCrcOffset);
  if (stored_crc != crc32c(base + kCrcCoveredFrom, kWalBlockBytes - kCrcCoveredFrom)) {
    return wal_error("crc mismatch");
  }
  const uint16_t version = load_u16(base + kVersionOffset);
  if (version < kWalFormatVersionOldest || version > kWalFormatVersion) {
    return wal_error("unsupported version " + std::to_string(version));
  }
  WalBlockHeader header;
  header.version = version;
  header.payload_bytes = load_u16(base + kPayloadBytesOffset);
  if (header.payload_bytes > kWalPayloadBytes) {
    return wal_error("payload_bytes " + std::to_string(header.payload_bytes) + " too large");
  }
  header.shard_id = load_u32(base + kShardIdOffset);
  header.block_sequence = load_u64(base + kBlockSequenceOffset);
  header.record_count = load_u32(base + kRecordCountOffset);
  if (header.record_count > kWalRecordsPerBlockMax) {
    return wal_error("record_count " + std::to_string(header.record_count) + " too large");
  }
  if (load_u32(base + kReservedOffset) != 0) return wal_error("reserved bytes not zero");
  if (!all_zero({base + kWalBlockHeaderBytes + header.payload_bytes,
                 kWalPayloadBytes - header.payload_bytes})) {
    return wal_error("padding after payload not zero");
  }
  return header;
}

Result<std::vector<WalRecord>> decode_wal_records(
    std::span<const std::byte, kWalBlockBytes> block) {
  Result<WalBlockHeader> header = decode_wal_block_header(block);
  if (!header) return Error{header.error()};
  const size_t payload_bytes = header.value().payload_bytes;
  const uint32_t record_count = header.value().record_count;
  const std::byte* payload = block.data() + kWalBlockHeaderBytes;

  std::vector<WalRecord> records;
  records.reserve(record_count);
  size_t offset = 0;
  std::optional<int64_t> last_time;
  while (offset < payload_bytes) {
    if (records.size() == record_count) {
      return wal_error("bytes after the last of " + std::to_string(record_count) + " records");
    }
    Result<LoadedRecord> loaded = load_record(payload + offset, payload_bytes - offset,
                                              records.size(), header.value().version, last_time);
    if (!loaded) return Error{loaded.error()};
    offset += loaded.value().bytes;
    if (std::optional<int64_t> time = record_time(loaded.value().record)) last_time = time;
    records.push_back(std::move(loaded.value().record));
  }
  if (records.size() != record_count) {
    return wal_error("record_count " + std::to_string(record_count) + " but payload holds " +
                     std::to_string(records.size()));
  }
  return records;
}

}  // namespace ringstat
