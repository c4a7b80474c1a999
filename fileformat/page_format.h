// Counter page: one 4 KiB page of a shard's page file holding 101 consecutive buckets of one
// counter level (docs/format.md, "Counter page"). Pure single-threaded encode/decode, no I/O.
// Owned by fileformat/; the engine decides which page goes where.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>

#include "base/result.h"
#include "fileformat/block.h"
#include "fileformat/bucket.h"
#include "fileformat/counter_kind.h"

namespace ringstat {

inline constexpr size_t kPageBytes = kBlockBytes;
inline constexpr size_t kPageHeaderBytes = 56;
inline constexpr size_t kBucketRecordBytes = 40;
inline constexpr size_t kBucketsPerPage = 101;
inline constexpr uint16_t kPageFormatVersion = 1;
static_assert(kPageHeaderBytes + kBucketsPerPage * kBucketRecordBytes == kPageBytes);

// Page numbers whose 101 bucket indices all fit in int64_t (index = page_number * 101 + slot).
// Integer division truncates toward zero, which is the ceiling for the negative bound.
inline constexpr int64_t kPageNumberMin =
    std::numeric_limits<int64_t>::min() / static_cast<int64_t>(kBucketsPerPage);
inline constexpr int64_t kPageNumberMax =
    (std::numeric_limits<int64_t>::max() - static_cast<int64_t>(kBucketsPerPage - 1)) /
    static_cast<int64_t>(kBucketsPerPage);

// True when page numbers first_page_number .. first_page_number + page_count - 1 (or just
// first_page_number itself when page_count is 0) are all valid page numbers.
constexpr bool page_range_is_valid(int64_t first_page_number, size_t page_count) {
  if (first_page_number < kPageNumberMin || first_page_number > kPageNumberMax) return false;
  if (page_count == 0) return true;
  return first_page_number <= kPageNumberMax - static_cast<int64_t>(page_count - 1);
}

struct PageHeader {
  uint8_t level = 0;  // < kRetentionLevelsMax
  CounterKind kind = CounterKind::kGauge;
  uint32_t counter_id = 0;
  uint32_t interval_s = 0;      // > 0
  int64_t page_number = 0;      // holds bucket indices [page_number * 101, page_number * 101 + 101)
  uint64_t write_sequence = 0;  // per shard, grows with every page write; the newest copy wins
  friend bool operator==(const PageHeader&, const PageHeader&) = default;
};

struct PageImage {
  PageHeader header;
  std::array<Bucket, kBucketsPerPage> buckets{};  // buckets[slot_of(index)]; count 0 = empty
  friend bool operator==(const PageImage&, const PageImage&) = default;
};

// VERIFYs the header fields' bounds and that empty buckets are all zero, then writes 4096 bytes.
void encode_page(const PageImage& page, std::span<std::byte, kPageBytes> out);

// Checks magic, version, CRC, every header field and reserved byte, and that every empty slot is
// all-zero bytes. The error names the first thing that was wrong.
Result<PageImage> decode_page(std::span<const std::byte, kPageBytes> in);

// One 40-byte bucket record (u64 count, f64 sum, sumsq, min, max), shared by pages, WAL
// BucketSample records and snapshot staged buckets.
void store_bucket_record(std::byte* out, const Bucket& bucket);
Bucket load_bucket_record(const std::byte* in);

// A page of the page file that was never written reads as zeros; it is not a corrupt page.
bool page_is_all_zero(std::span<const std::byte, kPageBytes> in);

constexpr int64_t page_number_of(int64_t bucket_index) {
  return floor_div(bucket_index, static_cast<int64_t>(kBucketsPerPage));
}

// Floor modulo, computed without the product page_number * 101, which overflows for the lowest
// indices.
constexpr size_t slot_of(int64_t bucket_index) {
  int64_t slot = bucket_index % static_cast<int64_t>(kBucketsPerPage);
  if (slot < 0) slot += static_cast<int64_t>(kBucketsPerPage);
  return static_cast<size_t>(slot);
}

}  // namespace ringstat
