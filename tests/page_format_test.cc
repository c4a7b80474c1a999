#include "fileformat/page_format.h"

#include <doctest/doctest.h>

#include <array>
#include <cstring>
#include <limits>
#include <random>
#include <string>

#include "fileformat/bytes.h"
#include "fileformat/crc32c.h"

namespace ringstat {
namespace {

using PageBytes = std::array<std::byte, kPageBytes>;

PageImage sample_page() {
  PageImage page;
  page.header = PageHeader{2, CounterKind::kEvent, 77, 300, -3, 123456789};
  page.buckets[0] = Bucket{1, -2.5, 6.25, -2.5, -2.5};
  page.buckets[50] = Bucket{3, 0.75, 0.3125, 0.125, 0.5};
  page.buckets[100] = Bucket{std::numeric_limits<uint64_t>::max(), 1e300, 1e308, -1e-300, 1e300};
  return page;
}

PageBytes encode(const PageImage& page) {
  PageBytes bytes;
  bytes.fill(std::byte{0xAB});  // the encoder must overwrite every byte
  encode_page(page, bytes);
  return bytes;
}

// Recomputes the CRC after a test edits a field, so the decoder reaches the field check.
void reseal(PageBytes& bytes) { store_u32(bytes.data() + 4, crc32c(bytes.data() + 8, 4088)); }

std::string decode_error(const PageBytes& bytes) {
  Result<PageImage> result = decode_page(bytes);
  return result.ok() ? std::string("(decoded)") : result.error();
}

TEST_CASE("page round-trips header and buckets, including empty slots") {
  const PageImage page = sample_page();
  const PageBytes bytes = encode(page);
  Result<PageImage> decoded = decode_page(bytes);
  REQUIRE(decoded.ok());
  CHECK(decoded.value() == page);
  CHECK(decoded.value().buckets[1].empty());
}

TEST_CASE("page header fields sit at their documented offsets") {
  const PageBytes bytes = encode(sample_page());
  CHECK(std::memcmp(bytes.data(), "RSPG", 4) == 0);
  CHECK(load_u32(bytes.data() + 4) == crc32c(bytes.data() + 8, kPageBytes - 8));
  CHECK(load_u16(bytes.data() + 8) == 1);
  CHECK(load_u8(bytes.data() + 10) == 2);
  CHECK(load_u8(bytes.data() + 11) == 1);
  CHECK(load_u32(bytes.data() + 12) == 77);
  CHECK(load_u32(bytes.data() + 16) == 300);
  CHECK(load_u32(bytes.data() + 20) == 0);
  CHECK(load_i64(bytes.data() + 24) == -3);
  CHECK(load_u64(bytes.data() + 32) == 123456789);
  CHECK(all_zero({bytes.data() + 40, 16}));
  // Slot 50 starts at 56 + 50 * 40.
  const std::byte* slot = bytes.data() + 56 + 50 * 40;
  CHECK(load_u64(slot) == 3);
  CHECK(load_f64(slot + 8) == 0.75);
  CHECK(load_f64(slot + 16) == 0.3125);
  CHECK(load_f64(slot + 24) == 0.125);
  CHECK(load_f64(slot + 32) == 0.5);
  CHECK(all_zero({bytes.data() + 56 + 40, 40}));  // slot 1 is empty
}

TEST_CASE("every single-byte corruption of a page is detected") {
  const PageBytes original = encode(sample_page());
  for (size_t position = 0; position < kPageBytes; ++position) {
    PageBytes bytes = original;
    bytes[position] ^= std::byte{0x5A};
    CAPTURE(position);
    CHECK_FALSE(decode_page(bytes).ok());
  }
}

TEST_CASE("a page with a flipped payload byte reports a crc mismatch") {
  PageBytes bytes = encode(sample_page());
  bytes[3000] ^= std::byte{1};
  CHECK(decode_error(bytes) == "page: crc mismatch");
}

TEST_CASE("a never-written page is all zero and does not decode") {
  PageBytes bytes{};
  CHECK(page_is_all_zero(bytes));
  CHECK(decode_error(bytes) == "page: bad magic");
  CHECK_FALSE(page_is_all_zero(encode(sample_page())));
  bytes[4095] = std::byte{1};
  CHECK_FALSE(page_is_all_zero(bytes));
}

TEST_CASE("page decode refuses an unknown version even with a valid crc") {
  PageBytes bytes = encode(sample_page());
  store_u16(bytes.data() + 8, 2);
  reseal(bytes);
  CHECK(decode_error(bytes) == "page: unsupported version 2");
}

TEST_CASE("page decode checks level, kind and interval bounds") {
  const PageBytes original = encode(sample_page());
  PageBytes bytes = original;
  store_u8(bytes.data() + 10, 8);
  reseal(bytes);
  CHECK(decode_error(bytes) == "page: level 8 out of range");

  bytes = original;
  store_u8(bytes.data() + 10, 7);
  reseal(bytes);
  CHECK(decode_page(bytes).ok());

  bytes = original;
  store_u8(bytes.data() + 11, 2);
  reseal(bytes);
  CHECK(decode_error(bytes) == "page: bad kind 2");

  bytes = original;
  store_u32(bytes.data() + 16, 0);
  reseal(bytes);
  CHECK(decode_error(bytes) == "page: interval_s is 0");
}

TEST_CASE("page decode requires every reserved header byte to be zero") {
  const PageBytes original = encode(sample_page());
  for (size_t position : {20, 21, 22, 23}) {
    PageBytes bytes = original;
    bytes[position] = std::byte{1};
    reseal(bytes);
    CAPTURE(position);
    CHECK(decode_error(bytes) == "page: reserved bytes 20..24 not zero");
  }
  for (size_t position = 40; position < 56; ++position) {
    PageBytes bytes = original;
    bytes[position] = std::byte{0x80};
    reseal(bytes);
    CAPTURE(position);
    CHECK(decode_error(bytes) == "page: reserved bytes 40..56 not zero");
  }
}

TEST_CASE("page decode rejects an empty slot that is not all zero bytes") {
  const PageBytes original = encode(sample_page());
  // Slot 1 is empty; any non-zero byte in its sum, sumsq, min or max is corruption.
  for (size_t field = 8; field < 40; field += 8) {
    PageBytes bytes = original;
    bytes[56 + 40 + field + 7] = std::byte{0x80};  // -0.0 compares equal to 0 but is not zero
    reseal(bytes);
    CAPTURE(field);
    CHECK(decode_error(bytes) == "page: empty slot 1 not all zero");
  }
}

TEST_CASE("page decode accepts the extreme page numbers and rejects one past them") {
  PageImage page = sample_page();
  for (int64_t page_number : {kPageNumberMin, kPageNumberMax, int64_t{0}}) {
    page.header.page_number = page_number;
    Result<PageImage> decoded = decode_page(encode(page));
    REQUIRE(decoded.ok());
    CHECK(decoded.value().header.page_number == page_number);
  }
  for (int64_t page_number :
       {kPageNumberMin - 1, kPageNumberMax + 1, std::numeric_limits<int64_t>::min(),
        std::numeric_limits<int64_t>::max()}) {
    PageBytes bytes = encode(sample_page());
    store_i64(bytes.data() + 24, page_number);
    reseal(bytes);
    CAPTURE(page_number);
    CHECK(decode_error(bytes) ==
          "page: page_number " + std::to_string(page_number) + " out of range");
  }
}

TEST_CASE("page number bounds keep every bucket index of the page inside int64") {
  constexpr int64_t kPerPage = static_cast<int64_t>(kBucketsPerPage);
  constexpr int64_t kLowest = std::numeric_limits<int64_t>::min();
  constexpr int64_t kHighest = std::numeric_limits<int64_t>::max();
  // The products below are evaluated at compile time, so an overflow would not compile. The
  // lowest page's first index and the highest page's last index lie within one page of the
  // int64 limits, so one page further would not be representable.
  constexpr int64_t kLowestFirstIndex = kPageNumberMin * kPerPage;
  constexpr int64_t kHighestLastIndex = kPageNumberMax * kPerPage + (kPerPage - 1);
  CHECK(kLowestFirstIndex - kLowest < kPerPage);
  CHECK(kHighest - kHighestLastIndex < kPerPage);
  CHECK(page_number_of(kLowestFirstIndex) == kPageNumberMin);
  CHECK(page_number_of(kHighestLastIndex) == kPageNumberMax);
}

TEST_CASE("page_range_is_valid checks both ends of a run of pages") {
  CHECK(page_range_is_valid(0, 0));
  CHECK(page_range_is_valid(kPageNumberMax, 1));
  CHECK_FALSE(page_range_is_valid(kPageNumberMax, 2));
  CHECK(page_range_is_valid(kPageNumberMax - 9, 10));
  CHECK(page_range_is_valid(kPageNumberMin, 0));
  CHECK_FALSE(page_range_is_valid(kPageNumberMin - 1, 0));
  CHECK_FALSE(page_range_is_valid(kPageNumberMax + 1, 0));
}

TEST_CASE("bucket index floors into pages and slots for negative indices") {
  CHECK(page_number_of(0) == 0);
  CHECK(slot_of(0) == 0);
  CHECK(page_number_of(100) == 0);
  CHECK(slot_of(100) == 100);
  CHECK(page_number_of(101) == 1);
  CHECK(slot_of(101) == 0);
  CHECK(page_number_of(-1) == -1);
  CHECK(slot_of(-1) == 100);
  CHECK(page_number_of(-101) == -1);
  CHECK(slot_of(-101) == 0);
  CHECK(page_number_of(-102) == -2);
  CHECK(slot_of(-102) == 100);
  constexpr int64_t kLowest = std::numeric_limits<int64_t>::min();
  CHECK(slot_of(kLowest) < kBucketsPerPage);
  std::mt19937_64 random(11);
  for (int i = 0; i < 1000; ++i) {
    const auto index = static_cast<int64_t>(random() % 2000000) - 1000000;
    CAPTURE(index);
    CHECK(page_number_of(index) * 101 + static_cast<int64_t>(slot_of(index)) == index);
  }
}

TEST_CASE("empty buckets encode as zero bytes even when a zero is negative") {
  PageImage page = sample_page();
  page.buckets[7] = Bucket{0, -0.0, 0, 0, -0.0};  // == Bucket{} yet not zero bytes
  const PageBytes bytes = encode(page);
  CHECK(all_zero({bytes.data() + 56 + 7 * 40, 40}));
  CHECK(decode_page(bytes).ok());
}

TEST_CASE("bucket records store count then sum, sumsq, min and max") {
  std::array<std::byte, kBucketRecordBytes> record{};
  const Bucket bucket{9, -1.5, 2.25, -3, 4};
  store_bucket_record(record.data(), bucket);
  CHECK(load_u64(record.data()) == 9);
  CHECK(load_f64(record.data() + 8) == -1.5);
  CHECK(load_f64(record.data() + 16) == 2.25);
  CHECK(load_f64(record.data() + 24) == -3);
  CHECK(load_f64(record.data() + 32) == 4);
  CHECK(load_bucket_record(record.data()) == bucket);
}

}  // namespace
}  // namespace ringstat
