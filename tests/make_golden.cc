// Writes the golden files of the on-disk format (tests/golden/, read by golden_format_test.cc):
//   build-ff/tests/make_golden tests/golden
// The content is fixed; run it only when a new format version adds files (docs/format.md,
// "Version policy"). Existing golden files are never rewritten.
#include <array>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include "fileformat/checkpoint_format.h"
#include "fileformat/page_format.h"
#include "fileformat/wal_format.h"

namespace ringstat {
namespace {

const std::vector<RetentionLevel> kDefaultLevels = {
    {10, 864000}, {300, 31968000}, {3600, 190267200}};

bool write_file(const std::string& path, std::span<const std::byte> bytes) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) return false;
  const bool written = std::fwrite(bytes.data(), 1, bytes.size(), file) == bytes.size();
  return std::fclose(file) == 0 && written;
}

std::vector<std::byte> golden_page() {
  PageImage page;
  page.header = PageHeader{1, CounterKind::kGauge, 42, 300, -2, 9001};
  page.buckets[0] = Bucket{1, -1.5, 2.25, -1.5, -1.5};
  page.buckets[3] = Bucket{3, 0.375, 0.0703125, 0.0625, 0.25};
  page.buckets[57] = Bucket{1000000, 123456.789, 98765432100.5, 0.001, 1e6};
  page.buckets[100] = Bucket{2, -7.25, 26.5625, -4, -3.25};
  std::vector<std::byte> bytes(kPageBytes);
  encode_page(page, std::span<std::byte, kPageBytes>(bytes.data(), kPageBytes));
  return bytes;
}

// WAL format version 2 (wal_v2.bin). wal.bin holds the same records in version 1, written by the
// version 1 writer; it is kept unchanged to prove version 1 logs still replay.
std::vector<std::byte> golden_wal_v2() {
  std::vector<std::byte> bytes(2 * kWalBlockBytes);
  WalBlockBuilder builder;
  const WalRecord first[] = {
      WalRetentionDefine{0, kDefaultLevels},
      WalCounterCreate{1, CounterKind::kGauge, 0, "cpu.idle.web13"},
      WalCounterCreate{2, CounterKind::kEvent, 0, "requests.web13"},
      WalSample{1, 1700000000, 93.5},
      WalSample{1, 1700000010, -0.25},
  };
  for (const WalRecord& record : first) VERIFY(builder.append(record));
  builder.seal(2, 40, std::span<std::byte, kWalBlockBytes>(bytes.data(), kWalBlockBytes));
  builder.reset();
  VERIFY(builder.append(WalBucketSample{2, 1700000020, Bucket{3, 6, 14, 1, 3}}));
  VERIFY(builder.append_sample(2, 1700000021, 1));
  VERIFY(builder.append_sample(1, 1700000021 + kWalSampleDeltaMax + 1, 2));  // too far: a Sample
  VERIFY(builder.append(WalCounterDelete{1}));
  builder.seal(2, 41,
               std::span<std::byte, kWalBlockBytes>(bytes.data() + kWalBlockBytes, kWalBlockBytes));
  return bytes;
}

SnapshotWriter golden_snapshot() {
  SnapshotWriter writer(2, 7);
  writer.put_header(SnapshotHeader{4, 77, 1700000030, 1200, {5, 9}, {{0, kDefaultLevels}}, 3});

  SnapshotCounter gauge{1, CounterKind::kGauge, 0, 1699990000, "cpu.idle.web13", {}};
  gauge.levels = {
      SnapshotLevel{1683168, {3, 0, 4}, {{170000000, 0, Bucket{2, 187, 17490.25, 93.5, 93.5}}}},
      SnapshotLevel{56105, {6}, {}},
      SnapshotLevel{4675, {}, {{472222, 0, Bucket{1, -0.25, 0.0625, -0.25, -0.25}}}},
  };
  writer.put_counter(gauge);

  SnapshotCounter event{2, CounterKind::kEvent, 0, 1700000020, "requests.web13", {}};
  event.levels = {
      SnapshotLevel{1683168,
                    {},
                    {{170000002, kStagedFlagEventRaw, Bucket{2, 7, 25, 1, 6}},
                     {170000001, kStagedFlagEventRaw, Bucket{1, 3, 9, 3, 3}}}},
      SnapshotLevel{0, {}, {}},
      SnapshotLevel{0, {}, {}},
  };
  writer.put_counter(event);

  // Enough pages that the stream needs a second block.
  SnapshotCounter big{3, CounterKind::kGauge, 0, 1600000000, "disk.used./var/lib/ringstat", {}};
  SnapshotLevel wide{1584158, {}, {}};
  for (uint32_t i = 0; i < 1100; ++i) wide.disk_pages.push_back(i % 10 == 9 ? 0 : 10 + i);
  big.levels = {wide, SnapshotLevel{0, {}, {}}, SnapshotLevel{0, {}, {}}};
  writer.put_counter(big);
  writer.finish();
  return writer;
}

std::vector<std::byte> golden_superblocks(const SnapshotWriter& snapshot) {
  std::vector<std::byte> bytes(2 * kSuperblockBytes);
  // Copy 0 names an older checkpoint; copy 1 names checkpoint.bin and wins.
  encode_superblock(Superblock{2, 6, 30, 100, 1, 0x12345678, 0},
                    std::span<std::byte, kSuperblockBytes>(bytes.data(), kSuperblockBytes));
  encode_superblock(
      Superblock{2, 7, 40, snapshot.payload_bytes(), snapshot.block_count(), snapshot.payload_crc(),
                 1},
      std::span<std::byte, kSuperblockBytes>(bytes.data() + kSuperblockBytes, kSuperblockBytes));
  return bytes;
}

}  // namespace
}  // namespace ringstat

int main(int argc, char** argv) {
  using namespace ringstat;
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_golden OUTDIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  const SnapshotWriter snapshot = golden_snapshot();
  const bool ok = write_file(dir + "/page.bin", golden_page()) &&
                  write_file(dir + "/wal_v2.bin", golden_wal_v2()) &&
                  write_file(dir + "/superblock.bin", golden_superblocks(snapshot)) &&
                  write_file(dir + "/checkpoint.bin", snapshot.blocks());
  if (!ok) {
    std::fprintf(stderr, "make_golden: cannot write into %s\n", dir.c_str());
    return 1;
  }
  std::printf("snapshot: %llu payload bytes, %u blocks, crc 0x%08X\n",
              static_cast<unsigned long long>(snapshot.payload_bytes()), snapshot.block_count(),
              snapshot.payload_crc());
  return 0;
}
