#include "fileformat/checkpoint_format.h"

#include <doctest/doctest.h>

#include <array>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "fileformat/bytes.h"
#include "fileformat/crc32c.h"
#include "fileformat/page_format.h"
#include "tests/snapshot_fixture.h"

namespace ringstat {
namespace {

using SuperBytes = std::array<std::byte, kSuperblockBytes>;

Superblock sample_superblock() { return Superblock{3, 17, 12345, 5000, 2, 0xDEADBEEF, 1}; }

SuperBytes encode(const Superblock& superblock) {
  SuperBytes bytes;
  bytes.fill(std::byte{0xEE});
  encode_superblock(superblock, bytes);
  return bytes;
}

void reseal(std::byte* block) { store_u32(block + 4, crc32c(block + 8, 4088)); }

std::string superblock_error(const SuperBytes& bytes) {
  Result<Superblock> result = decode_superblock(bytes);
  return result.ok() ? std::string("(decoded)") : result.error();
}

TEST_CASE("superblock round-trips and sits at its documented offsets") {
  const Superblock superblock = sample_superblock();
  const SuperBytes bytes = encode(superblock);
  Result<Superblock> decoded = decode_superblock(bytes);
  REQUIRE(decoded.ok());
  CHECK(decoded.value() == superblock);
  CHECK(std::memcmp(bytes.data(), "RSSB", 4) == 0);
  CHECK(load_u32(bytes.data() + 4) == crc32c(bytes.data() + 8, 4088));
  CHECK(load_u16(bytes.data() + 8) == 1);
  CHECK(load_u16(bytes.data() + 10) == 0);
  CHECK(load_u32(bytes.data() + 12) == 3);
  CHECK(load_u64(bytes.data() + 16) == 17);
  CHECK(load_u64(bytes.data() + 24) == 12345);
  CHECK(load_u64(bytes.data() + 32) == 5000);
  CHECK(load_u32(bytes.data() + 40) == 2);
  CHECK(load_u32(bytes.data() + 44) == 0xDEADBEEF);
  CHECK(load_u8(bytes.data() + 48) == 1);
  CHECK(all_zero({bytes.data() + 49, kSuperblockBytes - 49}));
}

TEST_CASE("every single-byte corruption of a superblock is detected") {
  const SuperBytes original = encode(sample_superblock());
  for (size_t position = 0; position < kSuperblockBytes; ++position) {
    SuperBytes bytes = original;
    bytes[position] ^= std::byte{0x80};
    CAPTURE(position);
    CHECK_FALSE(decode_superblock(bytes).ok());
  }
}

TEST_CASE("superblock decode checks version, reserved bytes and field consistency") {
  const SuperBytes original = encode(sample_superblock());
  struct Case {
    size_t offset;
    int size;
    uint64_t value;
    const char* error;
  };
  const Case cases[] = {
      {0, 4, 0, "superblock: bad magic"},
      {8, 2, 2, "superblock: unsupported version 2"},
      {10, 2, 1, "superblock: reserved bytes 10..12 not zero"},
      {49, 1, 1, "superblock: reserved bytes 49..4096 not zero"},
      {4095, 1, 1, "superblock: reserved bytes 49..4096 not zero"},
      {16, 8, 0, "superblock: checkpoint_sequence is 0"},
      {32, 8, 0, "superblock: snapshot_bytes is 0"},
      {40, 4, 3, "superblock: snapshot_blocks 3 does not match snapshot_bytes 5000"},
      {32, 8, 8129, "superblock: snapshot_blocks 2 does not match snapshot_bytes 8129"},
      {48, 1, 2, "superblock: snapshot_slot 2 is not 0 or 1"},
  };
  for (const Case& c : cases) {
    SuperBytes bytes = original;
    for (int i = 0; i < c.size; ++i)
      bytes[c.offset + i] = static_cast<std::byte>(c.value >> (8 * i));
    if (c.offset != 0) reseal(bytes.data());
    CAPTURE(c.offset);
    CHECK(superblock_error(bytes) == c.error);
  }
  // Exactly two full blocks of payload is still two blocks.
  Superblock exact = sample_superblock();
  exact.snapshot_bytes = 2 * kSnapshotPayloadBytes;
  CHECK(decode_superblock(encode(exact)).ok());
}

TEST_CASE("snapshot stream round-trips a header and counters across blocks") {
  const Stream stream = write_stream(sample_header(), sample_counters());
  CHECK(stream.superblock.snapshot_blocks > 1);
  CHECK(stream.blocks.size() == stream.superblock.snapshot_blocks * kSnapshotBlockBytes);
  SnapshotHeader header;
  std::vector<SnapshotCounter> counters;
  CHECK(read_all(stream, &header, &counters) == "(decoded)");
  CHECK(header == sample_header());
  CHECK(counters == sample_counters());
}

TEST_CASE("snapshot writer reports payload size, block count and payload crc") {
  const Stream stream = write_stream(sample_header(), sample_counters());
  const std::vector<std::byte> payload = payload_of(stream);
  CHECK(payload.size() == stream.superblock.snapshot_bytes);
  CHECK(stream.superblock.snapshot_blocks ==
        (payload.size() + kSnapshotPayloadBytes - 1) / kSnapshotPayloadBytes);
  CHECK(stream.superblock.snapshot_crc == crc32c(payload.data(), payload.size()));
}

TEST_CASE("snapshot entries are encoded exactly as documented") {
  RawPayload expected;
  expected.header(sample_header());
  for (const SnapshotCounter& counter : sample_counters()) expected.counter(counter);
  expected.end();
  CHECK(payload_of(write_stream(sample_header(), sample_counters())) == expected.bytes());
}

TEST_CASE("snapshot blocks carry their header fields and zero padding") {
  const Stream stream = write_stream(sample_header(), sample_counters(), 8, 99);
  const uint32_t blocks = stream.superblock.snapshot_blocks;
  for (uint32_t index = 0; index < blocks; ++index) {
    std::span<const std::byte, kSnapshotBlockBytes> block(
        stream.blocks.data() + index * kSnapshotBlockBytes, kSnapshotBlockBytes);
    Result<SnapshotBlockHeader> header = decode_snapshot_block_header(block);
    REQUIRE(header.ok());
    CHECK(std::memcmp(block.data(), "RSCK", 4) == 0);
    CHECK(header.value().shard_id == 8);
    CHECK(header.value().checkpoint_sequence == 99);
    CHECK(header.value().block_index == index);
    CHECK(header.value().payload_bytes ==
          (index + 1 < blocks
               ? kSnapshotPayloadBytes
               : stream.superblock.snapshot_bytes - (blocks - 1) * kSnapshotPayloadBytes));
  }
}

TEST_CASE("the smallest snapshot is a header with no counters and fits one block") {
  SnapshotHeader header;
  header.next_counter_id = 0;
  const Stream stream = write_stream(header, {});
  CHECK(stream.superblock.snapshot_blocks == 1);
  SnapshotHeader decoded;
  std::vector<SnapshotCounter> counters;
  CHECK(read_all(stream, &decoded, &counters) == "(decoded)");
  CHECK(decoded == header);
  CHECK(counters.empty());
}

TEST_CASE("a payload ending exactly at a block boundary has no empty trailing block") {
  // Grow the header's free page list until the payload is exactly two full blocks.
  // Retentions of one level take 17 bytes, so adding some first makes the rest a multiple of 4.
  SnapshotHeader header;
  header.page_high_water = 100000;
  size_t fixed = payload_of(write_stream(header, {})).size();
  while ((2 * kSnapshotPayloadBytes - fixed) % 4 != 0) {
    header.retentions.push_back(
        {static_cast<uint8_t>(header.retentions.size()), {RetentionLevel{1, 1}}});
    fixed = payload_of(write_stream(header, {})).size();
  }
  const size_t pages = (2 * kSnapshotPayloadBytes - fixed) / 4;
  for (size_t i = 0; i < pages; ++i) header.free_pages.push_back(static_cast<uint32_t>(i + 1));
  const Stream stream = write_stream(header, {});
  CHECK(stream.superblock.snapshot_bytes == 2 * kSnapshotPayloadBytes);
  CHECK(stream.superblock.snapshot_blocks == 2);
  SnapshotHeader decoded;
  CHECK(read_all(stream, &decoded) == "(decoded)");
  CHECK(decoded == header);
}

TEST_CASE("random single-byte corruptions of snapshot blocks are detected at open") {
  const Stream original = write_stream(sample_header(), sample_counters());
  std::mt19937_64 random(99);
  for (int i = 0; i < 512; ++i) {
    Stream stream = original;
    const size_t position = random() % stream.blocks.size();
    stream.blocks[position] ^= static_cast<std::byte>(1 + random() % 255);
    CAPTURE(position);
    CHECK_FALSE(SnapshotReader::open(stream.blocks, stream.superblock).ok());
  }
}

TEST_CASE("snapshot open rejects missing, reordered and foreign blocks") {
  const Stream original = write_stream(sample_header(), sample_counters());
  REQUIRE(original.superblock.snapshot_blocks >= 2);

  Stream missing_last = original;
  missing_last.blocks.resize(missing_last.blocks.size() - kSnapshotBlockBytes);
  CHECK(read_all(missing_last).find("are present") != std::string::npos);

  Stream swapped = original;
  std::swap_ranges(swapped.blocks.begin(), swapped.blocks.begin() + kSnapshotBlockBytes,
                   swapped.blocks.begin() + kSnapshotBlockBytes);
  CHECK(read_all(swapped) == "snapshot: block 0: has block_index 1");

  Stream other_shard = original;
  other_shard.superblock.shard_id = 4;
  CHECK(read_all(other_shard) == "snapshot: block 0: shard_id does not match the superblock");

  Stream other_sequence = original;
  other_sequence.superblock.checkpoint_sequence = 16;
  CHECK(read_all(other_sequence) ==
        "snapshot: block 0: checkpoint_sequence does not match the superblock");

  Stream partial = original;
  partial.blocks.resize(partial.blocks.size() - 1);
  CHECK(read_all(partial).find("is not whole blocks") != std::string::npos);
}

TEST_CASE("snapshot open checks payload crc and size against the superblock") {
  const Stream original = write_stream(sample_header(), sample_counters());
  Stream bad_crc = original;
  bad_crc.superblock.snapshot_crc ^= 1;
  CHECK(read_all(bad_crc) == "snapshot: payload crc does not match the superblock");

  Stream bad_size = original;
  bad_size.superblock.snapshot_bytes -= 1;
  CHECK(read_all(bad_size).find("bytes but the superblock says") != std::string::npos);

  Stream no_blocks = original;
  no_blocks.superblock.snapshot_blocks = 0;
  CHECK(read_all(no_blocks) == "snapshot: superblock names no blocks");

  // A superblock naming fewer blocks leaves a last block that is full but not last in the file.
  Stream fewer = original;
  fewer.superblock.snapshot_blocks -= 1;
  CHECK_FALSE(read_all(fewer) == "(decoded)");
}

TEST_CASE("snapshot open ignores stale blocks after the ones the superblock names") {
  Stream stream = write_stream(sample_header(), sample_counters());
  const Stream older = write_stream(sample_header(), sample_counters(), 3, 5);
  stream.blocks.insert(stream.blocks.end(), older.blocks.begin(), older.blocks.end());
  CHECK(read_all(stream) == "(decoded)");
}

TEST_CASE("snapshot open requires every block but the last to be full") {
  // Two blocks where the first is only partly filled: valid blocks, invalid stream.
  std::vector<std::byte> payload = RawPayload().header(SnapshotHeader{}).end().bytes();
  Stream stream;
  stream.blocks.resize(2 * kSnapshotBlockBytes);
  const size_t first = payload.size() - 1;
  std::memcpy(stream.blocks.data() + 32, payload.data(), first);
  std::memcpy(stream.blocks.data() + kSnapshotBlockBytes + 32, payload.data() + first, 1);
  seal_snapshot_block(
      {3, 17, 0, static_cast<uint16_t>(first)},
      std::span<std::byte, kSnapshotBlockBytes>(stream.blocks.data(), kSnapshotBlockBytes));
  seal_snapshot_block({3, 17, 1, 1},
                      std::span<std::byte, kSnapshotBlockBytes>(
                          stream.blocks.data() + kSnapshotBlockBytes, kSnapshotBlockBytes));
  stream.superblock =
      Superblock{3, 17, 1, payload.size(), 2, crc32c(payload.data(), payload.size()), 0};
  CHECK(read_all(stream).find("only the last block may be partial") != std::string::npos);
}

TEST_CASE("snapshot block header decode checks version, size, reserved bytes and padding") {
  const Stream original = write_stream(SnapshotHeader{}, {});
  auto error_after = [&](size_t offset, uint32_t value, int size) {
    Stream stream = original;
    for (int i = 0; i < size; ++i)
      stream.blocks[offset + i] = static_cast<std::byte>(value >> (8 * i));
    reseal(stream.blocks.data());
    Result<SnapshotBlockHeader> header = decode_snapshot_block_header(
        std::span<const std::byte, kSnapshotBlockBytes>(stream.blocks.data(), kSnapshotBlockBytes));
    return header.ok() ? std::string("(decoded)") : header.error();
  };
  CHECK(error_after(8, 2, 2) == "snapshot block: unsupported version 2");
  CHECK(error_after(10, 4065, 2) == "snapshot block: payload_bytes 4065 too large");
  CHECK(error_after(28, 1, 4) == "snapshot block: reserved bytes not zero");
  CHECK(error_after(4095, 1, 1) == "snapshot block: padding after payload not zero");
  CHECK(error_after(0, 0, 4) == "snapshot block: bad magic");
}

TEST_CASE("snapshot header entry checks tag, limits and page numbers") {
  CHECK(read_raw(RawPayload().header(sample_header()).end()) ==
        "snapshot: End after 0 counters, header promised 3");
  SnapshotHeader header = sample_header();
  header.counter_count = 0;
  CHECK(read_raw(RawPayload().header(header).end()) == "(decoded)");

  CHECK(read_raw(RawPayload().end()) ==
        "snapshot: stream does not start with a Header entry (tag 255)");
  CHECK(read_raw(RawPayload().counter(sample_counters()[0])) ==
        "snapshot: stream does not start with a Header entry (tag 2)");

  SnapshotHeader bad = header;
  bad.free_pages = {0};
  CHECK(read_raw(RawPayload().header(bad).end()) ==
        "snapshot: header: free page 0 outside [1, page_high_water)");
  bad.free_pages = {5000};
  CHECK(read_raw(RawPayload().header(bad).end()) ==
        "snapshot: header: free page 5000 outside [1, page_high_water)");

  // Counts over their limit are refused before anything is allocated or read.
  CHECK(read_raw(RawPayload().u8(1).u32(1).u64(0).i64(0).u32(10).u32(kFreePagesMax + 1)) ==
        "snapshot: header: free page count 67108865 over limit");
  CHECK(read_raw(RawPayload().u8(1).u32(1).u64(0).i64(0).u32(10).u32(0).u32(257)) ==
        "snapshot: header: retention count 257 over limit");
  CHECK(read_raw(RawPayload().u8(1).u32(1).u64(0).i64(0).u32(10).u32(1000).u32(1)) ==
        "snapshot: header: truncated");

  bad = header;
  bad.counter_count = 101;
  CHECK(read_raw(RawPayload().header(bad).end()) ==
        "snapshot: header: counter_count 101 exceeds next_counter_id");
}

TEST_CASE("snapshot header entry checks retention slots and levels") {
  SnapshotHeader header = sample_header();
  header.counter_count = 0;
  SnapshotHeader bad = header;
  bad.retentions[1].slot = 0;
  CHECK(read_raw(RawPayload().header(bad).end()) == "snapshot: header: retention slot 0 twice");
  bad = header;
  bad.retentions[1].levels.clear();
  CHECK(read_raw(RawPayload().header(bad).end()) ==
        "snapshot: header: retention level count 0 out of range");
  bad.retentions[1].levels.assign(9, RetentionLevel{10, 10});
  CHECK(read_raw(RawPayload().header(bad).end()) ==
        "snapshot: header: retention level count 9 out of range");
  bad.retentions[1].levels.assign(8, RetentionLevel{10, 10});
  CHECK(read_raw(RawPayload().header(bad).end()) == "(decoded)");
  bad.retentions[1].levels[3].interval_s = 0;
  CHECK(read_raw(RawPayload().header(bad).end()) == "snapshot: header: retention interval_s is 0");
  bad = header;
  bad.retentions.assign(256, SnapshotRetention{0, {{10, 10}}});
  for (size_t i = 0; i < 256; ++i) bad.retentions[i].slot = static_cast<uint8_t>(i);
  CHECK(read_raw(RawPayload().header(bad).end()) == "(decoded)");
}

TEST_CASE("snapshot counter entry checks id, kind, slot, name and level count") {
  const SnapshotHeader header = sample_header();
  const SnapshotCounter good = sample_counters()[0];
  auto read_one = [&](const SnapshotCounter& counter) {
    SnapshotHeader one = header;
    one.counter_count = 1;
    return read_raw(RawPayload().header(one).counter(counter).end());
  };
  CHECK(read_one(good) == "(decoded)");
  SnapshotCounter bad = good;
  bad.counter_id = 100;
  CHECK(read_one(bad) == "snapshot: counter 0: counter_id 100 not below next_counter_id");
  bad = good;
  bad.kind = static_cast<CounterKind>(2);
  CHECK(read_one(bad) == "snapshot: counter 0: bad kind 2");
  bad = good;
  bad.retention_slot = 1;
  CHECK(read_one(bad) == "snapshot: counter 0: retention slot 1 is not defined");
  bad = good;
  bad.name.clear();
  CHECK(read_one(bad) == "snapshot: counter 0: empty name");
  bad = good;
  bad.levels.push_back(SnapshotLevel{});
  CHECK(read_one(bad) == "snapshot: counter 0: 2 levels but its retention has 1");
}

TEST_CASE("snapshot level checks page and staged limits, ranges and flags") {
  SnapshotHeader header = sample_header();
  header.counter_count = 1;
  const SnapshotCounter event = sample_counters()[1];
  auto read_one = [&](const SnapshotCounter& counter) {
    return read_raw(RawPayload().header(header).counter(counter).end());
  };
  CHECK(read_one(event) == "(decoded)");

  SnapshotCounter bad = event;
  bad.levels[1].disk_pages = {5000};
  CHECK(read_one(bad) == "snapshot: counter 0 level 1: disk page 5000 not below page_high_water");
  bad = event;
  bad.levels[2].disk_pages = {1, 2};  // the second page number is past kPageNumberMax
  CHECK(read_one(bad).find("level 2: first_page_number") != std::string::npos);
  bad = event;
  bad.levels[0].first_page_number = kPageNumberMin - 1;
  CHECK(read_one(bad).find("level 0: first_page_number") != std::string::npos);

  bad = event;
  bad.levels[0].staged[1].flags = 2;
  CHECK(read_one(bad) == "snapshot: counter 0 level 0: unknown staged flags 2");
  bad = event;
  bad.levels[1].staged = {{5, kStagedFlagEventRaw, Bucket::of_value(1)}};
  CHECK(read_one(bad) ==
        "snapshot: counter 0 level 1: raw event flag outside an event counter's finest level");
  bad = event;
  bad.kind = CounterKind::kGauge;
  CHECK(read_one(bad) ==
        "snapshot: counter 0 level 0: raw event flag outside an event counter's finest level");
  bad = event;
  bad.levels[0].staged[0].bucket = Bucket{};
  CHECK(read_one(bad) == "snapshot: counter 0 level 0: staged bucket with count 0");
}

TEST_CASE("snapshot level counts over their limits or past the payload are refused") {
  SnapshotHeader header = sample_header();
  header.counter_count = 1;
  auto counter_prefix = [&]() {
    RawPayload raw;
    raw.header(header).u8(2).u32(1).u8(0).u8(9).i64(0).u8(1).text("x").u32(1);
    return raw;
  };
  CHECK(read_raw(counter_prefix().i64(0).u32(kPagesPerLevelMax + 1)) ==
        "snapshot: counter 0 level 0: page count 4194305 over limit");
  CHECK(read_raw(counter_prefix().i64(0).u32(1000).u32(1)) ==
        "snapshot: counter 0 level 0: truncated pages");
  CHECK(read_raw(counter_prefix().i64(0).u32(0).u32(kStagedPerLevelMax + 1)) ==
        "snapshot: counter 0 level 0: staged count 65537 over limit");
  CHECK(read_raw(counter_prefix().i64(0).u32(0).u32(2).i64(0)) ==
        "snapshot: counter 0 level 0: truncated staged buckets");
  CHECK(read_raw(counter_prefix().i64(0)) == "snapshot: counter 0 level 0: truncated");
  CHECK(read_raw(counter_prefix().i64(0).u32(0).u32(0)) == "snapshot: truncated before End");
}

TEST_CASE("snapshot stream must end with End after exactly counter_count counters") {
  SnapshotHeader header = sample_header();
  const std::vector<SnapshotCounter> counters = sample_counters();
  RawPayload complete;
  complete.header(header);
  for (const SnapshotCounter& counter : counters) complete.counter(counter);
  CHECK(read_raw(RawPayload(complete).end()) == "(decoded)");
  CHECK(read_raw(complete) == "snapshot: truncated before End");
  CHECK(read_raw(RawPayload(complete).counter(counters[0]).end()) ==
        "snapshot: counter 3: more counters than the header promised");
  CHECK(read_raw(RawPayload(complete).end().u8(0)) == "snapshot: bytes after End");
  CHECK(read_raw(RawPayload(complete).u8(3)) == "snapshot: counter 3: bad entry tag 3");
  CHECK(read_raw(RawPayload(complete).u8(1)) == "snapshot: counter 3: bad entry tag 1");
}

TEST_CASE("a snapshot reader error is sticky and End repeats") {
  SnapshotHeader header = sample_header();
  header.counter_count = 1;
  SnapshotCounter bad = sample_counters()[0];
  bad.kind = static_cast<CounterKind>(7);
  const Stream stream = frame(RawPayload().header(header).counter(bad).end().bytes());
  Result<SnapshotReader> reader = SnapshotReader::open(stream.blocks, stream.superblock);
  REQUIRE(reader.ok());
  REQUIRE(reader.value().read_header().ok());
  Result<std::optional<SnapshotCounter>> first = reader.value().next_counter();
  REQUIRE_FALSE(first.ok());
  Result<std::optional<SnapshotCounter>> again = reader.value().next_counter();
  REQUIRE_FALSE(again.ok());
  CHECK(again.error() == first.error());

  const Stream good = write_stream(SnapshotHeader{}, {});
  Result<SnapshotReader> ended = SnapshotReader::open(good.blocks, good.superblock);
  REQUIRE(ended.ok());
  REQUIRE(ended.value().read_header().ok());
  for (int i = 0; i < 3; ++i) {
    Result<std::optional<SnapshotCounter>> end = ended.value().next_counter();
    REQUIRE(end.ok());
    CHECK_FALSE(end.value().has_value());
  }
}

TEST_CASE("random snapshots round-trip through writer and reader") {
  std::mt19937_64 random(5);
  for (int round = 0; round < 20; ++round) {
    SnapshotHeader header;
    header.next_counter_id = 1000;
    header.page_high_water = 1 + static_cast<uint32_t>(random() % 100000);
    header.free_pages.assign(random() % 2000, 1);
    header.retentions = {{static_cast<uint8_t>(random()), {{10, 100}, {60, 6000}}}};
    std::vector<SnapshotCounter> counters(random() % 30);
    for (size_t i = 0; i < counters.size(); ++i) {
      SnapshotCounter& counter = counters[i];
      counter.counter_id = static_cast<uint32_t>(i * 7);
      counter.kind = random() % 2 ? CounterKind::kEvent : CounterKind::kGauge;
      counter.retention_slot = header.retentions[0].slot;
      counter.first_time = static_cast<int64_t>(random());
      counter.name = std::string(1 + random() % 255, static_cast<char>('a' + i % 26));
      counter.levels.resize(2);
      for (SnapshotLevel& level : counter.levels) {
        level.first_page_number = static_cast<int64_t>(random() % 1000) - 500;
        level.disk_pages.assign(random() % 300,
                                static_cast<uint32_t>(random() % header.page_high_water));
        level.staged.assign(random() % 20,
                            {static_cast<int64_t>(random()), 0, Bucket::of_value(-1.5)});
      }
    }
    header.counter_count = counters.size();
    SnapshotHeader decoded_header;
    std::vector<SnapshotCounter> decoded;
    CAPTURE(round);
    CHECK(read_all(write_stream(header, counters), &decoded_header, &decoded) == "(decoded)");
    CHECK(decoded_header == header);
    CHECK(decoded == counters);
  }
}

}  // namespace
}  // namespace ringstat
