// The checked-in golden files (tests/golden/, written once by tests/make_golden) must decode to
// these literal values and re-encode to the identical bytes forever: a format change adds a
// version and new files, it never edits these (docs/format.md, "Version policy").
#include <doctest/doctest.h>

#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include "fileformat/checkpoint_format.h"
#include "fileformat/page_format.h"
#include "fileformat/wal_format.h"

namespace ringstat {
namespace {

constexpr size_t kGoldenFileBytesMax = 1 << 20;

std::vector<std::byte> read_golden(const char* name) {
  const std::string path = std::string(RINGSTAT_GOLDEN_DIR) + "/" + name;
  std::vector<std::byte> bytes(kGoldenFileBytesMax);
  std::FILE* file = std::fopen(path.c_str(), "rb");
  REQUIRE_MESSAGE(file != nullptr, "cannot open " << path);
  bytes.resize(std::fread(bytes.data(), 1, bytes.size(), file));
  std::fclose(file);
  return bytes;
}

template <size_t kBytes>
std::span<const std::byte, kBytes> fixed(const std::vector<std::byte>& bytes, size_t offset) {
  REQUIRE(offset + kBytes <= bytes.size());
  return std::span<const std::byte, kBytes>(bytes.data() + offset, kBytes);
}

const std::vector<RetentionLevel> kLevels = {{10, 864000}, {300, 31968000}, {3600, 190267200}};

TEST_CASE("golden page.bin decodes to its literal values and re-encodes identically") {
  const std::vector<std::byte> bytes = read_golden("page.bin");
  REQUIRE(bytes.size() == kPageBytes);
  Result<PageImage> page = decode_page(fixed<kPageBytes>(bytes, 0));
  REQUIRE_MESSAGE(page.ok(), page.error());
  const PageHeader& header = page.value().header;
  CHECK(header.level == 1);
  CHECK(header.kind == CounterKind::kGauge);
  CHECK(header.counter_id == 42);
  CHECK(header.interval_s == 300);
  CHECK(header.page_number == -2);
  CHECK(header.write_sequence == 9001);
  for (size_t slot = 0; slot < kBucketsPerPage; ++slot) {
    const Bucket& bucket = page.value().buckets[slot];
    CAPTURE(slot);
    switch (slot) {
      case 0:
        CHECK(bucket == Bucket{1, -1.5, 2.25, -1.5, -1.5});
        break;
      case 3:
        CHECK(bucket == Bucket{3, 0.375, 0.0703125, 0.0625, 0.25});
        break;
      case 57:
        CHECK(bucket == Bucket{1000000, 123456.789, 98765432100.5, 0.001, 1e6});
        break;
      case 100:
        CHECK(bucket == Bucket{2, -7.25, 26.5625, -4, -3.25});
        break;
      default:
        CHECK(bucket == Bucket{});
        break;
    }
  }
  std::vector<std::byte> again(kPageBytes);
  encode_page(page.value(), std::span<std::byte, kPageBytes>(again.data(), kPageBytes));
  CHECK(again == bytes);
}

// The records of the golden WAL's two blocks (tests/make_golden.cc). Version 2's second block
// has one more sample, too far from the one before it for a SampleDelta.
std::vector<WalRecord> golden_wal_records(size_t index, uint16_t version) {
  if (index == 0) {
    return {
        WalRetentionDefine{0, kLevels},
        WalCounterCreate{1, CounterKind::kGauge, 0, "cpu.idle.web13"},
        WalCounterCreate{2, CounterKind::kEvent, 0, "requests.web13"},
        WalSample{1, 1700000000, 93.5},
        WalSample{1, 1700000010, -0.25},
    };
  }
  std::vector<WalRecord> records = {
      WalBucketSample{2, 1700000020, Bucket{3, 6, 14, 1, 3}},
      WalSample{2, 1700000021, 1},
  };
  if (version == 2) records.push_back(WalSample{1, 1700000021 + kWalSampleDeltaMax + 1, 2});
  records.push_back(WalCounterDelete{1});
  return records;
}

// Block `index` of a golden WAL: its header and records are checked; the records are returned.
std::vector<WalRecord> check_golden_wal_block(std::span<const std::byte, kWalBlockBytes> block,
                                              size_t index, uint16_t version,
                                              uint16_t payload_bytes) {
  const std::vector<WalRecord> expected = golden_wal_records(index, version);
  Result<WalBlockHeader> header = decode_wal_block_header(block);
  REQUIRE_MESSAGE(header.ok(), header.error());
  CHECK(header.value() == WalBlockHeader{2, 40 + index, payload_bytes,
                                         static_cast<uint32_t>(expected.size()), version});
  Result<std::vector<WalRecord>> records = decode_wal_records(block);
  REQUIRE_MESSAGE(records.ok(), records.error());
  CHECK(records.value() == expected);
  return records.value();
}

// The records sealed into a block as a writer today writes it.
std::vector<std::byte> rewritten_wal_block(const std::vector<WalRecord>& records, size_t index) {
  WalBlockBuilder builder;
  for (const WalRecord& record : records) REQUIRE(builder.append(record));
  std::vector<std::byte> again(kWalBlockBytes);
  builder.seal(2, 40 + index, std::span<std::byte, kWalBlockBytes>(again.data(), kWalBlockBytes));
  return again;
}

TEST_CASE("golden wal.bin, version 1, still decodes to its literal records") {
  const std::vector<std::byte> bytes = read_golden("wal.bin");
  REQUIRE(bytes.size() == 2 * kWalBlockBytes);
  const uint16_t payload_bytes[2] = {40 + 22 + 22 + 24 + 24, 56 + 24 + 8};
  for (size_t index = 0; index < 2; ++index) {
    CAPTURE(index);
    const auto block = fixed<kWalBlockBytes>(bytes, index * kWalBlockBytes);
    const std::vector<WalRecord> records =
        check_golden_wal_block(block, index, 1, payload_bytes[index]);
    // Written again today it is a version 2 block with the same records.
    const std::vector<std::byte> again = rewritten_wal_block(records, index);
    Result<std::vector<WalRecord>> reread = decode_wal_records(
        std::span<const std::byte, kWalBlockBytes>(again.data(), kWalBlockBytes));
    REQUIRE_MESSAGE(reread.ok(), reread.error());
    CHECK(reread.value() == records);
  }
}

TEST_CASE("golden wal_v2.bin decodes to its literal records and re-encodes identically") {
  const std::vector<std::byte> bytes = read_golden("wal_v2.bin");
  REQUIRE(bytes.size() == 2 * kWalBlockBytes);
  // Block 0: the first sample is a full Sample (24), the second a SampleDelta (16); block 1: a
  // SampleDelta after the BucketSample, then a full Sample for a gap beyond 24 bits.
  const uint16_t payload_bytes[2] = {40 + 22 + 22 + 24 + 16, 56 + 16 + 24 + 8};
  for (size_t index = 0; index < 2; ++index) {
    CAPTURE(index);
    const auto block = fixed<kWalBlockBytes>(bytes, index * kWalBlockBytes);
    const std::vector<WalRecord> records =
        check_golden_wal_block(block, index, 2, payload_bytes[index]);
    const std::vector<std::byte> again = rewritten_wal_block(records, index);
    CHECK(std::equal(again.begin(), again.end(), block.begin()));
  }
}

TEST_CASE("golden superblock.bin holds two copies and re-encodes identically") {
  const std::vector<std::byte> bytes = read_golden("superblock.bin");
  REQUIRE(bytes.size() == 2 * kSuperblockBytes);
  const Superblock expected[2] = {
      Superblock{2, 6, 30, 100, 1, 0x12345678, 0},
      Superblock{2, 7, 40, 4962, 2, 0x21AF4D24, 1},
  };
  for (size_t copy = 0; copy < 2; ++copy) {
    CAPTURE(copy);
    const auto in = fixed<kSuperblockBytes>(bytes, copy * kSuperblockBytes);
    Result<Superblock> superblock = decode_superblock(in);
    REQUIRE_MESSAGE(superblock.ok(), superblock.error());
    CHECK(superblock.value() == expected[copy]);
    std::vector<std::byte> again(kSuperblockBytes);
    encode_superblock(superblock.value(),
                      std::span<std::byte, kSuperblockBytes>(again.data(), kSuperblockBytes));
    CHECK(std::equal(again.begin(), again.end(), in.begin()));
  }
}

std::vector<SnapshotCounter> expected_counters() {
  SnapshotCounter gauge{1, CounterKind::kGauge, 0, 1699990000, "cpu.idle.web13", {}};
  gauge.levels = {
      SnapshotLevel{1683168, {3, 0, 4}, {{170000000, 0, Bucket{2, 187, 17490.25, 93.5, 93.5}}}},
      SnapshotLevel{56105, {6}, {}},
      SnapshotLevel{4675, {}, {{472222, 0, Bucket{1, -0.25, 0.0625, -0.25, -0.25}}}},
  };
  SnapshotCounter event{2, CounterKind::kEvent, 0, 1700000020, "requests.web13", {}};
  event.levels = {
      SnapshotLevel{1683168,
                    {},
                    {{170000002, kStagedFlagEventRaw, Bucket{2, 7, 25, 1, 6}},
                     {170000001, kStagedFlagEventRaw, Bucket{1, 3, 9, 3, 3}}}},
      SnapshotLevel{0, {}, {}},
      SnapshotLevel{0, {}, {}},
  };
  SnapshotCounter big{3, CounterKind::kGauge, 0, 1600000000, "disk.used./var/lib/ringstat", {}};
  SnapshotLevel wide{1584158, {}, {}};
  for (uint32_t i = 0; i < 1100; ++i) wide.disk_pages.push_back(i % 10 == 9 ? 0 : 10 + i);
  big.levels = {wide, SnapshotLevel{0, {}, {}}, SnapshotLevel{0, {}, {}}};
  return {gauge, event, big};
}

TEST_CASE("golden checkpoint.bin decodes to its literal snapshot and re-encodes identically") {
  const std::vector<std::byte> bytes = read_golden("checkpoint.bin");
  REQUIRE(bytes.size() == 2 * kSnapshotBlockBytes);
  const Superblock superblock{2, 7, 40, 4962, 2, 0x21AF4D24, 1};
  Result<SnapshotReader> reader = SnapshotReader::open(bytes, superblock);
  REQUIRE_MESSAGE(reader.ok(), reader.error());
  Result<SnapshotHeader> header = reader.value().read_header();
  REQUIRE_MESSAGE(header.ok(), header.error());
  const SnapshotHeader expected_header{4, 77, 1700000030, 1200, {5, 9}, {{0, kLevels}}, 3};
  CHECK(header.value() == expected_header);

  std::vector<SnapshotCounter> counters;
  while (true) {
    Result<std::optional<SnapshotCounter>> counter = reader.value().next_counter();
    REQUIRE_MESSAGE(counter.ok(), counter.error());
    if (!counter.value()) break;
    counters.push_back(*counter.value());
  }
  const std::vector<SnapshotCounter> expected = expected_counters();
  REQUIRE(counters.size() == expected.size());
  for (size_t i = 0; i < counters.size(); ++i) {
    CAPTURE(i);
    CHECK(counters[i] == expected[i]);
  }

  SnapshotWriter writer(2, 7);
  writer.put_header(header.value());
  for (const SnapshotCounter& counter : counters) writer.put_counter(counter);
  writer.finish();
  CHECK(writer.payload_bytes() == superblock.snapshot_bytes);
  CHECK(writer.block_count() == superblock.snapshot_blocks);
  CHECK(writer.payload_crc() == superblock.snapshot_crc);
  CHECK(std::equal(writer.blocks().begin(), writer.blocks().end(), bytes.begin(), bytes.end()));
}

}  // namespace
}  // namespace ringstat
