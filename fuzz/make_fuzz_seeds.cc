// make_fuzz_seeds: writes the binary-format seeds of fuzz/corpus/ (pages, WAL blocks,
// superblocks, snapshot payloads) with the project's own encoders, plus the blocks of the golden
// files in tests/golden. Run by hand when a format changes (fuzz/README.md); its output is
// checked in. Usage: make_fuzz_seeds <tests/golden dir> <fuzz/corpus dir>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <span>
#include <string>
#include <vector>

#include "base/verify.h"
#include "fileformat/bytes.h"
#include "fileformat/checkpoint_format.h"
#include "fileformat/page_format.h"
#include "fileformat/wal_format.h"

using namespace ringstat;

namespace {

using Bytes = std::vector<std::byte>;

Bytes read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  VERIFY(in.good());
  const std::vector<char> chars((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
  Bytes bytes(chars.size());
  std::memcpy(bytes.data(), chars.data(), chars.size());
  return bytes;
}

void write_seed(const std::string& path, std::span<const std::byte> bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  VERIFY(out.good());
  std::printf("%s (%zu bytes)\n", path.c_str(), bytes.size());
}

// The trailing zero bytes of a block are dropped: each target pads its input with zeros, and
// short seeds are what the fuzzer mutates fastest.
std::span<const std::byte> trimmed(std::span<const std::byte> block) {
  size_t size = block.size();
  while (size > 0 && block[size - 1] == std::byte{0}) --size;
  return block.first(size);
}

void write_pages(const std::string& dir, const Bytes& golden_page) {
  std::array<std::byte, kPageBytes> block;
  PageImage page;
  page.header = PageHeader{0, CounterKind::kGauge, 1, 10, 0, 1};
  encode_page(page, block);
  write_seed(dir + "/empty_gauge", trimmed(block));

  page.header = PageHeader{2, CounterKind::kEvent, 77, 3600, -5, 9};
  page.buckets[0] = Bucket::of_value(1.5);
  page.buckets[50] = Bucket{3, 6, 14, 1, 3};
  page.buckets[100] = Bucket{1, -0.0, 0, -0.0, -0.0};
  encode_page(page, block);
  write_seed(dir + "/event_three_buckets", trimmed(block));

  page = PageImage{};
  page.header = PageHeader{7, CounterKind::kGauge, 0xffffffff, 1, kPageNumberMax, 1u << 31};
  encode_page(page, block);
  write_seed(dir + "/page_number_max", trimmed(block));
  page.header.page_number = kPageNumberMin;
  encode_page(page, block);
  write_seed(dir + "/page_number_min", trimmed(block));

  write_seed(dir + "/golden_page", trimmed(golden_page));
}

void write_wal_blocks(const std::string& dir, const Bytes& golden_wal, const Bytes& golden_wal_v2) {
  std::array<std::byte, kWalBlockBytes> block;
  WalBlockBuilder builder;
  VERIFY(builder.append(WalRetentionDefine{0, {{10, 864000}, {300, 31'536'000}}}));
  VERIFY(builder.append(WalCounterCreate{1, CounterKind::kGauge, 0, "web.latency"}));
  VERIFY(builder.append(WalSample{1, 1'700'000'000, 42.5}));
  VERIFY(builder.append(WalBucketSample{1, 1'700'000'010, Bucket{3, 6, 14, 1, 3}}));
  VERIFY(builder.append(WalCounterCreate{2, CounterKind::kEvent, 0, "requests"}));
  VERIFY(builder.append(WalCounterDelete{2}));
  builder.seal(3, 12, block);
  write_seed(dir + "/every_record_type", trimmed(block));

  builder.reset();
  builder.seal(0, 0, block);
  write_seed(dir + "/empty_block", trimmed(block));

  builder.reset();
  VERIFY(builder.append(WalCounterCreate{9, CounterKind::kGauge, 255, std::string(255, 'n')}));
  std::vector<RetentionLevel> levels(kRetentionLevelsMax, RetentionLevel{60, 3600});
  VERIFY(builder.append(WalRetentionDefine{255, levels}));
  while (builder.append_sample(9, -1, -1e300)) {
  }
  builder.seal(1, ~uint64_t{0}, block);
  write_seed(dir + "/full_block", trimmed(block));

  // SampleDeltas chained through both ends of their 24-bit range and across a BucketSample.
  builder.reset();
  VERIFY(builder.append_sample(4, 0, 1));
  VERIFY(builder.append_sample(4, kWalSampleDeltaMax, 2));
  VERIFY(builder.append_sample(4, 0, 3));
  VERIFY(builder.append(WalBucketSample{4, -5, Bucket::of_value(4)}));
  VERIFY(builder.append_sample(4, -5 + kWalSampleDeltaMin, 5));
  VERIFY(builder.append_sample(4, INT64_MAX, 6));
  builder.seal(2, 99, block);
  write_seed(dir + "/sample_deltas", trimmed(block));

  for (size_t offset = 0; offset + kWalBlockBytes <= golden_wal.size(); offset += kWalBlockBytes) {
    write_seed(dir + "/golden_wal_" + std::to_string(offset / kWalBlockBytes),
               trimmed(std::span(golden_wal).subspan(offset, kWalBlockBytes)));
  }
  for (size_t offset = 0; offset + kWalBlockBytes <= golden_wal_v2.size();
       offset += kWalBlockBytes) {
    write_seed(dir + "/golden_wal_v2_" + std::to_string(offset / kWalBlockBytes),
               trimmed(std::span(golden_wal_v2).subspan(offset, kWalBlockBytes)));
  }
}

void write_superblocks(const std::string& dir, const Bytes& golden_superblocks) {
  std::array<std::byte, kSuperblockBytes> block;
  encode_superblock(Superblock{0, 1, 0, 1, 1, 0, 0}, block);
  write_seed(dir + "/smallest", trimmed(block));
  encode_superblock(Superblock{15, 1000, 77, 4065, 2, 0xdeadbeef, 1}, block);
  write_seed(dir + "/two_blocks_slot_1", trimmed(block));
  for (size_t offset = 0; offset + kSuperblockBytes <= golden_superblocks.size();
       offset += kSuperblockBytes) {
    write_seed(dir + "/golden_superblock_" + std::to_string(offset / kSuperblockBytes),
               trimmed(std::span(golden_superblocks).subspan(offset, kSuperblockBytes)));
  }
}

// The snapshot target's input is the payload stream, without block headers.
Bytes payload_of(std::span<const std::byte> blocks) {
  Bytes payload;
  for (size_t offset = 0; offset + kSnapshotBlockBytes <= blocks.size();
       offset += kSnapshotBlockBytes) {
    const std::span<const std::byte, kSnapshotBlockBytes> block(blocks.data() + offset,
                                                                kSnapshotBlockBytes);
    const Result<SnapshotBlockHeader> header = decode_snapshot_block_header(block);
    if (!header) break;
    const std::byte* start = block.data() + kSnapshotBlockHeaderBytes;
    payload.insert(payload.end(), start, start + header.value().payload_bytes);
  }
  return payload;
}

Bytes snapshot_payload(const SnapshotHeader& header, const std::vector<SnapshotCounter>& counters) {
  SnapshotWriter writer(7, 3);
  writer.put_header(header);
  for (const SnapshotCounter& counter : counters) writer.put_counter(counter);
  writer.finish();
  return payload_of(writer.blocks());
}

void write_snapshots(const std::string& dir, const Bytes& golden_checkpoint) {
  write_seed(dir + "/empty", snapshot_payload(SnapshotHeader{}, {}));

  SnapshotHeader header;
  header.next_counter_id = 3;
  header.next_write_sequence = 40;
  header.clock_time = 1'700'000'000;
  header.page_high_water = 9;
  header.free_pages = {1, 8};
  header.retentions = {SnapshotRetention{0, {{10, 864000}, {300, 31'536'000}}},
                       SnapshotRetention{4, {{60, 3600}}}};
  header.counter_count = 2;
  SnapshotCounter gauge{0, CounterKind::kGauge, 0, 1'699'999'000, "web.latency", {}};
  gauge.levels = {SnapshotLevel{16'831'683, {2, 0, 3}, {{170'000'000, 0, Bucket{2, 3, 5, 1, 2}}}},
                  SnapshotLevel{-3, {}, {}}};
  SnapshotCounter event{2, CounterKind::kEvent, 4, -5, "requests", {}};
  event.levels = {SnapshotLevel{0, {4}, {{-1, kStagedFlagEventRaw, Bucket::of_value(7)}}}};
  write_seed(dir + "/two_counters", snapshot_payload(header, {gauge, event}));

  // Crosses two block boundaries inside a disk_pages list; also sets the fuzzer's input size
  // limit (the largest seed) to three blocks.
  header.counter_count = 1;
  gauge.levels[0].disk_pages.assign(2200, 5);
  write_seed(dir + "/three_blocks", snapshot_payload(header, {gauge}));

  write_seed(dir + "/golden_checkpoint", payload_of(golden_checkpoint));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: make_fuzz_seeds <tests/golden dir> <fuzz/corpus dir>\n");
    return 2;
  }
  const std::string golden = argv[1];
  const std::string corpus = argv[2];
  write_pages(corpus + "/page", read_file(golden + "/page.bin"));
  write_wal_blocks(corpus + "/wal_block", read_file(golden + "/wal.bin"),
                   read_file(golden + "/wal_v2.bin"));
  write_superblocks(corpus + "/superblock", read_file(golden + "/superblock.bin"));
  write_snapshots(corpus + "/snapshot", read_file(golden + "/checkpoint.bin"));
  return 0;
}
