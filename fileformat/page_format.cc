#include "fileformat/page_format.h"

#include <cstring>
#include <string>

#include "base/verify.h"
#include "fileformat/bytes.h"
#include "fileformat/crc32c.h"
#include "fileformat/retention_level.h"

namespace ringstat {
namespace {

constexpr uint32_t kPageMagic = magic_from_chars('R', 'S', 'P', 'G');
constexpr size_t kCrcCoveredFrom = 8;  // the CRC covers [8, 4096): everything after itself

// Header field offsets (docs/format.md, "Counter page").
constexpr size_t kMagicOffset = 0;
constexpr size_t kCrcOffset = 4;
constexpr size_t kVersionOffset = 8;
constexpr size_t kLevelOffset = 10;
constexpr size_t kKindOffset = 11;
constexpr size_t kCounterIdOffset = 12;
constexpr size_t kIntervalOffset = 16;
constexpr size_t kReservedOffset = 20;
constexpr size_t kPageNumberOffset = 24;
constexpr size_t kWriteSequenceOffset = 32;
constexpr size_t kTailReservedOffset = 40;
static_assert(kTailReservedOffset + 16 == kPageHeaderBytes);

Error page_error(const std::string& what) { return Error{"page: " + what}; }

}  // namespace

void store_bucket_record(std::byte* out, const Bucket& bucket) {
  store_u64(out, bucket.count);
  store_f64(out + 8, bucket.sum);
  store_f64(out + 16, bucket.sumsq);
  store_f64(out + 24, bucket.min);
  store_f64(out + 32, bucket.max);
}

Bucket load_bucket_record(const std::byte* in) {
  return Bucket{load_u64(in), load_f64(in + 8), load_f64(in + 16), load_f64(in + 24),
                load_f64(in + 32)};
}

void encode_page(const PageImage& page, std::span<std::byte, kPageBytes> out) {
  const PageHeader& header = page.header;
  VERIFY(header.level < kRetentionLevelsMax);
  VERIFY(is_valid_counter_kind(static_cast<uint8_t>(header.kind)));
  VERIFY(header.interval_s > 0);
  VERIFY(header.page_number >= kPageNumberMin);
  VERIFY(header.page_number <= kPageNumberMax);

  std::byte* base = out.data();
  std::memset(base, 0, kPageHeaderBytes);
  store_u32(base + kMagicOffset, kPageMagic);
  store_u16(base + kVersionOffset, kPageFormatVersion);
  store_u8(base + kLevelOffset, header.level);
  store_u8(base + kKindOffset, static_cast<uint8_t>(header.kind));
  store_u32(base + kCounterIdOffset, header.counter_id);
  store_u32(base + kIntervalOffset, header.interval_s);
  store_i64(base + kPageNumberOffset, header.page_number);
  store_u64(base + kWriteSequenceOffset, header.write_sequence);

  for (size_t slot = 0; slot < kBucketsPerPage; ++slot) {
    const Bucket& bucket = page.buckets[slot];
    std::byte* record = base + kPageHeaderBytes + slot * kBucketRecordBytes;
    if (bucket.count == 0) {
      // An empty slot is all zero on disk; anything else in an empty bucket is a caller bug.
      VERIFY(bucket == Bucket{});
      std::memset(record, 0, kBucketRecordBytes);
    } else {
      store_bucket_record(record, bucket);
    }
  }
  store_u32(base + kCrcOffset, crc32c(base + kCrcCoveredFrom, kPageBytes - kCrcCoveredFrom));
}

Result<PageImage> decode_page(std::span<const std::byte, kPageBytes> in) {
  const std::byte* base = in.data();
  if (load_u32(base + kMagicOffset) != kPageMagic) return page_error("bad magic");
  const uint32_t stored_crc = load_u32(base + kCrcOffset);
  const uint32_t actual_crc = crc32c(base + kCrcCoveredFrom, kPageBytes - kCrcCoveredFrom);
  if (stored_crc != actual_crc) return page_error("crc mismatch");
  const uint16_t version = load_u16(base + kVersionOffset);
  if (version != kPageFormatVersion) {
    return page_error("unsupported version " + std::to_string(version));
  }

  PageImage page;
  PageHeader& header = page.header;
  header.level = load_u8(base + kLevelOffset);
  if (header.level >= kRetentionLevelsMax) {
    return page_error("level " + std::to_string(header.level) + " out of range");
  }
  const uint8_t kind = load_u8(base + kKindOffset);
  if (!is_valid_counter_kind(kind)) return page_error("bad kind " + std::to_string(kind));
  header.kind = static_cast<CounterKind>(kind);
  header.counter_id = load_u32(base + kCounterIdOffset);
  header.interval_s = load_u32(base + kIntervalOffset);
  if (header.interval_s == 0) return page_error("interval_s is 0");
  if (load_u32(base + kReservedOffset) != 0) return page_error("reserved bytes 20..24 not zero");
  header.page_number = load_i64(base + kPageNumberOffset);
  if (header.page_number < kPageNumberMin || header.page_number > kPageNumberMax) {
    return page_error("page_number " + std::to_string(header.page_number) + " out of range");
  }
  header.write_sequence = load_u64(base + kWriteSequenceOffset);
  if (!all_zero({base + kTailReservedOffset, kPageHeaderBytes - kTailReservedOffset})) {
    return page_error("reserved bytes 40..56 not zero");
  }

  for (size_t slot = 0; slot < kBucketsPerPage; ++slot) {
    const std::byte* record = base + kPageHeaderBytes + slot * kBucketRecordBytes;
    Bucket bucket = load_bucket_record(record);
    if (bucket.count == 0 && !all_zero({record, kBucketRecordBytes})) {
      return page_error("empty slot " + std::to_string(slot) + " not all zero");
    }
    page.buckets[slot] = bucket;
  }
  return page;
}

bool page_is_all_zero(std::span<const std::byte, kPageBytes> in) { return all_zero(in); }

}  // namespace ringstat
