#include "fileformat/wal_format.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <initializer_list>
#include <random>
#include <string>

#include "fileformat/bytes.h"
#include "fileformat/crc32c.h"

namespace ringstat {
namespace {

using BlockBytes = std::array<std::byte, kWalBlockBytes>;
constexpr size_t kPayload = kWalBlockHeaderBytes;  // payload offset in a block

std::vector<WalRecord> every_record_type() {
  return {
      WalRetentionDefine{3, {{10, 864000}, {300, 31536000}}},
      WalCounterCreate{41, CounterKind::kEvent, 3, "web13.requests"},
      WalSample{41, 1700000000, -0.25},
      WalBucketSample{42, -10, Bucket{4, 10, 30, 1, 4}},
      WalCounterDelete{40},
  };
}

BlockBytes seal(const WalBlockBuilder& builder, uint32_t shard_id, uint64_t sequence) {
  BlockBytes block;
  block.fill(std::byte{0xCD});  // seal must overwrite every byte
  builder.seal(shard_id, sequence, block);
  return block;
}

BlockBytes sealed_block_of(const std::vector<WalRecord>& records) {
  WalBlockBuilder builder;
  for (const WalRecord& record : records) REQUIRE(builder.append(record));
  return seal(builder, 5, 1000);
}

void reseal(BlockBytes& block) { store_u32(block.data() + 4, crc32c(block.data() + 8, 4088)); }

// Replaces the payload with raw bytes and fixes payload_bytes, record_count and the CRC, so a
// test can present records the builder would refuse to write.
BlockBytes raw_block(const std::vector<uint8_t>& payload, uint32_t record_count) {
  WalBlockBuilder empty;
  BlockBytes block = seal(empty, 1, 1);
  std::copy(payload.begin(), payload.end(), reinterpret_cast<uint8_t*>(block.data() + kPayload));
  store_u16(block.data() + 10, static_cast<uint16_t>(payload.size()));
  store_u32(block.data() + 24, record_count);
  reseal(block);
  return block;
}

std::string records_error(const BlockBytes& block) {
  Result<std::vector<WalRecord>> result = decode_wal_records(block);
  return result.ok() ? std::string("(decoded)") : result.error();
}

void append_u32(std::vector<uint8_t>& out, uint32_t value) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

// A valid Sample record as raw bytes, at `time`.
std::vector<uint8_t> raw_sample(int64_t time = 0) {
  std::vector<uint8_t> out{2, 0, 0, 0};
  append_u32(out, 9);
  append_u32(out, static_cast<uint32_t>(time));
  append_u32(out, static_cast<uint32_t>(static_cast<uint64_t>(time) >> 32));
  out.resize(24, 0);
  return out;
}

TEST_CASE("wal block round-trips every record type") {
  const std::vector<WalRecord> records = every_record_type();
  const BlockBytes block = sealed_block_of(records);
  Result<std::vector<WalRecord>> decoded = decode_wal_records(block);
  REQUIRE(decoded.ok());
  CHECK(decoded.value() == records);
}

TEST_CASE("wal block header carries shard, sequence, payload size and record count") {
  WalBlockBuilder builder;
  for (const WalRecord& record : every_record_type()) REQUIRE(builder.append(record));
  const BlockBytes block = seal(builder, 5, 0x1122334455667788);
  Result<WalBlockHeader> header = decode_wal_block_header(block);
  REQUIRE(header.ok());
  CHECK(header.value() ==
        WalBlockHeader{5, 0x1122334455667788, static_cast<uint16_t>(builder.payload_bytes()), 5});
  CHECK(std::memcmp(block.data(), "RSWL", 4) == 0);
  CHECK(load_u16(block.data() + 8) == 2);
  CHECK(load_u32(block.data() + 12) == 5);
  CHECK(load_u64(block.data() + 16) == 0x1122334455667788);
  CHECK(load_u32(block.data() + 24) == 5);
  CHECK(load_u32(block.data() + 28) == 0);
  CHECK(all_zero({block.data() + kPayload + builder.payload_bytes(),
                  kWalPayloadBytes - builder.payload_bytes()}));
}

TEST_CASE("wal record sizes match the documented layouts") {
  const std::vector<WalRecord> records = every_record_type();
  CHECK(wal_record_bytes(records[0]) == 4 + 2 * 12);
  CHECK(wal_record_bytes(records[1]) == 8 + 14);
  CHECK(wal_record_bytes(records[2]) == 24);
  CHECK(wal_record_bytes(records[3]) == 56);
  CHECK(wal_record_bytes(records[4]) == 8);
  WalBlockBuilder builder;
  size_t total = 0;
  for (const WalRecord& record : records) {
    REQUIRE(builder.append(record));
    total += wal_record_bytes(record);
    CHECK(builder.payload_bytes() == total);
  }
  CHECK(builder.free_bytes() == kWalPayloadBytes - total);
}

TEST_CASE("wal records are laid out byte by byte as documented") {
  const BlockBytes block = sealed_block_of(every_record_type());
  const std::byte* p = block.data() + kPayload;
  // RetentionDefine: type, slot, level_count, zero, then (u32 interval, u64 retention) levels.
  CHECK(load_u8(p) == 5);
  CHECK(load_u8(p + 1) == 3);
  CHECK(load_u8(p + 2) == 2);
  CHECK(load_u8(p + 3) == 0);
  CHECK(load_u32(p + 4) == 10);
  CHECK(load_u64(p + 8) == 864000);
  CHECK(load_u32(p + 16) == 300);
  CHECK(load_u64(p + 20) == 31536000);
  p += 28;
  // CounterCreate: type, kind, name_length, retention_slot, counter_id, name.
  CHECK(load_u8(p) == 1);
  CHECK(load_u8(p + 1) == 1);
  CHECK(load_u8(p + 2) == 14);
  CHECK(load_u8(p + 3) == 3);
  CHECK(load_u32(p + 4) == 41);
  CHECK(std::memcmp(p + 8, "web13.requests", 14) == 0);
  p += 22;
  // Sample: type, 3 zero, counter_id, time, value.
  CHECK(load_u32(p) == 2);
  CHECK(load_u32(p + 4) == 41);
  CHECK(load_i64(p + 8) == 1700000000);
  CHECK(load_f64(p + 16) == -0.25);
  p += 24;
  // BucketSample: type, 3 zero, counter_id, time, count, sum, sumsq, min, max.
  CHECK(load_u32(p) == 3);
  CHECK(load_u32(p + 4) == 42);
  CHECK(load_i64(p + 8) == -10);
  CHECK(load_u64(p + 16) == 4);
  CHECK(load_f64(p + 24) == 10);
  CHECK(load_f64(p + 32) == 30);
  CHECK(load_f64(p + 40) == 1);
  CHECK(load_f64(p + 48) == 4);
  p += 56;
  // CounterDelete: type, 3 zero, counter_id.
  CHECK(load_u32(p) == 4);
  CHECK(load_u32(p + 4) == 40);
}

TEST_CASE("append_sample writes the same bytes as appending a WalSample") {
  WalBlockBuilder by_variant;
  WalBlockBuilder by_hot_path;
  REQUIRE(by_variant.append(WalSample{7, -5, 3.5}));
  REQUIRE(by_hot_path.append_sample(7, -5, 3.5));
  CHECK(seal(by_variant, 1, 2) == seal(by_hot_path, 1, 2));
}

TEST_CASE("wal builder fills a block exactly and then refuses without changing it") {
  WalBlockBuilder builder;
  // A full Sample (24 bytes), then 252 SampleDeltas (16 bytes each) take 4056 bytes; a
  // CounterDelete fills the last 8.
  for (int i = 0; i < 253; ++i) REQUIRE(builder.append_sample(1, i, i));
  CHECK(builder.free_bytes() == 8);
  CHECK_FALSE(builder.append_sample(1, 0, 0));
  CHECK_FALSE(builder.append(WalBucketSample{1, 0, Bucket::of_value(1)}));
  CHECK(builder.record_count() == 253);
  REQUIRE(builder.append(WalCounterDelete{9}));
  CHECK(builder.free_bytes() == 0);
  CHECK(builder.payload_bytes() == kWalPayloadBytes);
  CHECK_FALSE(builder.append(WalCounterDelete{10}));
  CHECK(builder.record_count() == 254);
  Result<std::vector<WalRecord>> decoded = decode_wal_records(seal(builder, 1, 1));
  REQUIRE(decoded.ok());
  CHECK(decoded.value().size() == 254);
  CHECK(decoded.value()[252] == WalRecord{WalSample{1, 252, 252}});
  CHECK(decoded.value().back() == WalRecord{WalCounterDelete{9}});
}

TEST_CASE("a sample near the block's last time is a 16-byte SampleDelta, laid out as documented") {
  WalBlockBuilder builder;
  CHECK(builder.sample_bytes(1700000000) == kWalSampleBytes);  // no time in the block yet
  REQUIRE(builder.append(WalBucketSample{3, 1700000000, Bucket::of_value(2)}));
  CHECK(builder.sample_bytes(1700000000 - 5) == kWalSampleDeltaBytes);
  REQUIRE(builder.append_sample(0x01020304, 1700000000 - 5, 1.5));
  CHECK(builder.payload_bytes() == kWalBucketSampleBytes + kWalSampleDeltaBytes);
  const BlockBytes block = seal(builder, 1, 1);
  const std::byte* record = block.data() + kPayload + kWalBucketSampleBytes;
  CHECK(load_u8(record) == 6);
  // -5 as a little-endian i24: FB FF FF.
  CHECK(load_u8(record + 1) == 0xFB);
  CHECK(load_u8(record + 2) == 0xFF);
  CHECK(load_u8(record + 3) == 0xFF);
  CHECK(load_u32(record + 4) == 0x01020304);
  CHECK(load_f64(record + 8) == 1.5);
  Result<std::vector<WalRecord>> decoded = decode_wal_records(block);
  REQUIRE_MESSAGE(decoded.ok(), decoded.error());
  CHECK(decoded.value()[1] == WalRecord{WalSample{0x01020304, 1700000000 - 5, 1.5}});
}

TEST_CASE("deltas chain from record to record, and a gap beyond 24 bits takes a full Sample") {
  WalBlockBuilder builder;
  const int64_t times[] = {1000,      1000 + kWalSampleDeltaMax,
                           1000,      1000 + kWalSampleDeltaMax + 1 + kWalSampleDeltaMax,
                           INT64_MIN, INT64_MIN + 1,
                           INT64_MAX, INT64_MAX + kWalSampleDeltaMin};
  const size_t expected_bytes[] = {24, 16, 16, 24, 24, 16, 24, 16};
  for (size_t i = 0; i < std::size(times); ++i) {
    CAPTURE(i);
    CHECK(builder.sample_bytes(times[i]) == expected_bytes[i]);
    REQUIRE(builder.append_sample(static_cast<uint32_t>(i), times[i], 0.5));
  }
  Result<std::vector<WalRecord>> decoded = decode_wal_records(seal(builder, 1, 1));
  REQUIRE_MESSAGE(decoded.ok(), decoded.error());
  REQUIRE(decoded.value().size() == std::size(times));
  for (size_t i = 0; i < std::size(times); ++i) {
    CHECK(std::get<WalSample>(decoded.value()[i]).time == times[i]);
  }
}

TEST_CASE("a reset block starts without a time: its first sample is a full Sample") {
  WalBlockBuilder builder;
  REQUIRE(builder.append_sample(1, 50, 1));
  builder.reset();
  CHECK(builder.sample_bytes(50) == kWalSampleBytes);
}

TEST_CASE("version 2 decoding refuses non-canonical and unanchored SampleDeltas") {
  WalBlockBuilder builder;
  REQUIRE(builder.append_sample(1, 100, 1));
  REQUIRE(builder.append_sample(1, 90, 2));  // a SampleDelta of -10
  BlockBytes block = seal(builder, 1, 1);
  const std::byte* second = block.data() + kPayload + kWalSampleBytes;

  SUBCASE("a full Sample where a delta fits") {
    // Rewrite the block by hand: two full Samples 10 s apart.
    BlockBytes rewritten = block;
    std::byte* out = rewritten.data() + kPayload + kWalSampleBytes;
    store_u32(out, 2);
    store_u32(out + 4, 1);
    store_i64(out + 8, 90);
    store_f64(out + 16, 2);
    store_u16(rewritten.data() + 10, 2 * kWalSampleBytes);
    reseal(rewritten);
    Result<std::vector<WalRecord>> decoded = decode_wal_records(rewritten);
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.error().find("must be a SampleDelta") != std::string::npos);
  }
  SUBCASE("a SampleDelta first in its block") {
    BlockBytes rewritten{};
    std::memcpy(rewritten.data(), block.data(), kPayload);
    std::memcpy(rewritten.data() + kPayload, second, kWalSampleDeltaBytes);
    store_u16(rewritten.data() + 10, kWalSampleDeltaBytes);
    store_u32(rewritten.data() + 24, 1);
    reseal(rewritten);
    Result<std::vector<WalRecord>> decoded = decode_wal_records(rewritten);
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.error().find("without an earlier time") != std::string::npos);
  }
  SUBCASE("a SampleDelta in a version 1 block") {
    BlockBytes rewritten = block;
    store_u16(rewritten.data() + 8, 1);
    reseal(rewritten);
    Result<std::vector<WalRecord>> decoded = decode_wal_records(rewritten);
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.error().find("version 1") != std::string::npos);
  }
}

TEST_CASE("the largest records fit in an empty block") {
  WalBlockBuilder builder;
  REQUIRE(builder.append(WalCounterCreate{1, CounterKind::kGauge, 0, std::string(255, 'x')}));
  std::vector<RetentionLevel> levels(kRetentionLevelsMax, RetentionLevel{60, 3600});
  REQUIRE(builder.append(WalRetentionDefine{255, levels}));
  Result<std::vector<WalRecord>> decoded = decode_wal_records(seal(builder, 1, 1));
  REQUIRE(decoded.ok());
  CHECK(std::get<WalCounterCreate>(decoded.value()[0]).name.size() == 255);
  CHECK(std::get<WalRetentionDefine>(decoded.value()[1]).levels == levels);
}

TEST_CASE("wal builder reset empties it for the next block") {
  WalBlockBuilder builder;
  CHECK(builder.empty());
  REQUIRE(builder.append_sample(1, 2, 3));
  CHECK_FALSE(builder.empty());
  builder.reset();
  CHECK(builder.empty());
  CHECK(builder.payload_bytes() == 0);
  CHECK(builder.record_count() == 0);
  CHECK(builder.free_bytes() == kWalPayloadBytes);
  Result<std::vector<WalRecord>> decoded = decode_wal_records(seal(builder, 1, 1));
  REQUIRE(decoded.ok());
  CHECK(decoded.value().empty());
}

TEST_CASE("every single-byte corruption of a wal block is detected") {
  const BlockBytes original = sealed_block_of(every_record_type());
  for (size_t position = 0; position < kWalBlockBytes; ++position) {
    BlockBytes block = original;
    block[position] ^= std::byte{0x21};
    CAPTURE(position);
    CHECK_FALSE(decode_wal_block_header(block).ok());
    CHECK_FALSE(decode_wal_records(block).ok());
  }
}

TEST_CASE("a never-written wal block is not a valid block") {
  const BlockBytes block{};
  CHECK(records_error(block) == "wal block: bad magic");
}

TEST_CASE("wal header decode checks version, sizes, reserved bytes and padding") {
  const BlockBytes original = sealed_block_of({WalCounterDelete{1}});
  BlockBytes block = original;
  store_u16(block.data() + 8, 3);
  reseal(block);
  CHECK(records_error(block) == "wal block: unsupported version 3");
  store_u16(block.data() + 8, 0);
  reseal(block);
  CHECK(records_error(block) == "wal block: unsupported version 0");
  store_u16(block.data() + 8, 1);  // version 1 blocks are still read
  reseal(block);
  CHECK(records_error(block) == "(decoded)");

  block = original;
  store_u16(block.data() + 10, 4065);
  reseal(block);
  CHECK(records_error(block) == "wal block: payload_bytes 4065 too large");

  block = original;
  store_u32(block.data() + 24, 509);
  reseal(block);
  CHECK(records_error(block) == "wal block: record_count 509 too large");

  block = original;
  store_u32(block.data() + 28, 1);
  reseal(block);
  CHECK(records_error(block) == "wal block: reserved bytes not zero");

  block = original;
  block[kWalBlockBytes - 1] = std::byte{1};
  reseal(block);
  CHECK(records_error(block) == "wal block: padding after payload not zero");
}

TEST_CASE("wal records must exactly fill payload_bytes and match record_count") {
  std::vector<uint8_t> two_samples = raw_sample();
  const std::vector<uint8_t> second = raw_sample(int64_t{1} << 40);  // too far for a delta
  two_samples.insert(two_samples.end(), second.begin(), second.end());
  CHECK(records_error(raw_block(two_samples, 2)) == "(decoded)");
  CHECK(records_error(raw_block(two_samples, 1)) == "wal block: bytes after the last of 1 records");
  CHECK(records_error(raw_block(two_samples, 3)) ==
        "wal block: record_count 3 but payload holds 2");
  CHECK(records_error(raw_block({}, 1)) == "wal block: record_count 1 but payload holds 0");
}

TEST_CASE("a wal record that would overrun payload_bytes is rejected") {
  std::vector<uint8_t> sample = raw_sample();
  sample.resize(20);  // payload_bytes cuts the record short
  CHECK(records_error(raw_block(sample, 1)) == "wal block: record 0: overruns payload");

  std::vector<uint8_t> create{1, 0, 10, 0};
  append_u32(create, 1);
  for (char c : std::string("short")) create.push_back(static_cast<uint8_t>(c));
  CHECK(records_error(raw_block(create, 1)) == "wal block: record 0: name overruns payload");

  std::vector<uint8_t> define{5, 0, 2, 0};
  append_u32(define, 10);
  define.resize(4 + 12 + 4, 0);
  CHECK(records_error(raw_block(define, 1)) == "wal block: record 0: levels overrun payload");

  for (uint8_t type = 1; type <= 5; ++type) {
    CAPTURE(type);
    CHECK(records_error(raw_block({type, 0, 1}, 1)).find("overrun") != std::string::npos);
  }
}

TEST_CASE("wal record decode rejects unknown types and non-zero pad bytes") {
  for (uint8_t type : std::initializer_list<uint8_t>{0, 7, 0xFF}) {
    std::vector<uint8_t> record = raw_sample();
    record[0] = type;
    CAPTURE(type);
    CHECK(records_error(raw_block(record, 1)) ==
          "wal block: record 0: unknown type " + std::to_string(type));
  }
  for (uint8_t type : std::initializer_list<uint8_t>{2, 3, 4}) {
    for (size_t pad = 1; pad <= 3; ++pad) {
      std::vector<uint8_t> record(type == 3 ? 56 : type == 2 ? 24 : 8, 0);
      record[0] = type;
      if (type == 3) record[16] = 1;  // count 1
      record[pad] = 1;
      CAPTURE(type);
      CAPTURE(pad);
      CHECK(records_error(raw_block(record, 1)) == "wal block: record 0: pad bytes not zero");
    }
  }
  std::vector<uint8_t> define{5, 0, 1, 7};
  append_u32(define, 10);
  define.resize(16, 0);
  CHECK(records_error(raw_block(define, 1)) == "wal block: record 0: pad byte not zero");
}

TEST_CASE("wal record decode checks kind, name length, count and retention levels") {
  std::vector<uint8_t> create{1, 2, 1, 0, 0, 0, 0, 0, 'x'};
  CHECK(records_error(raw_block(create, 1)) == "wal block: record 0: bad kind 2");
  create = {1, 0, 0, 0, 0, 0, 0, 0};
  CHECK(records_error(raw_block(create, 1)) == "wal block: record 0: empty name");

  std::vector<uint8_t> bucket(56, 0);
  bucket[0] = 3;
  CHECK(records_error(raw_block(bucket, 1)) == "wal block: record 0: bucket count 0");

  for (uint8_t level_count : std::initializer_list<uint8_t>{0, 9}) {
    std::vector<uint8_t> define{5, 0, level_count, 0};
    define.resize(4 + 12 * 9, 0);
    CAPTURE(level_count);
    CHECK(records_error(raw_block(define, 1)) ==
          "wal block: record 0: level count " + std::to_string(level_count) + " out of range");
  }
  std::vector<uint8_t> define{5, 0, 1, 0};
  define.resize(16, 0);  // interval_s 0
  CHECK(records_error(raw_block(define, 1)) == "wal block: record 0: level interval_s is 0");
}

TEST_CASE("a bad record after good ones is named by its index") {
  std::vector<uint8_t> payload = raw_sample();
  std::vector<uint8_t> bad = raw_sample();
  bad[2] = 9;
  payload.insert(payload.end(), bad.begin(), bad.end());
  CHECK(records_error(raw_block(payload, 2)) == "wal block: record 1: pad bytes not zero");
}

TEST_CASE("random wal blocks round-trip through builder and decoder") {
  std::mt19937_64 random(2024);
  for (int round = 0; round < 50; ++round) {
    WalBlockBuilder builder;
    std::vector<WalRecord> appended;
    while (true) {
      WalRecord record;
      switch (random() % 5) {
        case 0:
          record = WalCounterCreate{static_cast<uint32_t>(random()), CounterKind::kGauge,
                                    static_cast<uint8_t>(random()),
                                    std::string(1 + random() % 255, 'a')};
          break;
        case 1:
          record = WalSample{static_cast<uint32_t>(random()), static_cast<int64_t>(random()),
                             static_cast<double>(random() % 1000) / 8};
          break;
        case 2:
          record = WalBucketSample{static_cast<uint32_t>(random()), -1,
                                   Bucket{1 + random() % 9, 1, 2, 3, 4}};
          break;
        case 3:
          record = WalCounterDelete{static_cast<uint32_t>(random())};
          break;
        default:
          record = WalRetentionDefine{
              static_cast<uint8_t>(random()),
              std::vector<RetentionLevel>(1 + random() % 8, RetentionLevel{10, random()})};
          break;
      }
      if (!builder.append(record)) break;
      appended.push_back(record);
    }
    Result<std::vector<WalRecord>> decoded = decode_wal_records(seal(builder, 3, round));
    REQUIRE(decoded.ok());
    CHECK(decoded.value() == appended);
  }
}

}  // namespace
}  // namespace ringstat
