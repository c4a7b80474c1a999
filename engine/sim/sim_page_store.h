// SimPageStore: an in-memory PageStore for tests and the simulation, with the failures a real
// disk and kernel can produce: failed reads and writes, completions in any order, and crashes
// that lose, keep or tear (at 512-byte sector granularity) every write not yet made durable.
// Deterministic for a given seed. Single-threaded; completions are delivered only by
// deliver_one()/deliver_all(), never from inside a submitting call.
#pragma once

#include <array>
#include <cstdint>
#include <random>
#include <vector>

#include "engine/store/page_store.h"

namespace ringstat {

struct SimFaults {
  double write_error_rate = 0;                   // a write fails with -EIO and changes nothing
  double read_error_rate = 0;                    // a read fails with -EIO
  bool reorder = true;                           // completions arrive in random order
  uint64_t capacity_blocks = uint64_t{1} << 22;  // all files together; beyond: grow gets -ENOSPC
};

struct SimStats {
  uint64_t writes = 0;
  uint64_t reads = 0;
  uint64_t syncs = 0;
  uint64_t failed_writes = 0;
  uint64_t failed_reads = 0;
  uint64_t crashes = 0;
  uint64_t crash_kept_writes = 0;
  uint64_t crash_lost_writes = 0;
  uint64_t crash_torn_writes = 0;
};

class SimPageStore final : public PageStore {
 public:
  SimPageStore(uint64_t seed, SimFaults faults);

  void set_completion_sink(IoCompletionSink* sink) override { sink_ = sink; }
  uint64_t block_count(StoreFile file) const override;
  void read(StoreFile file, uint64_t block, std::span<std::byte> buffer, uint64_t tag) override;
  void write(StoreFile file, uint64_t block, std::span<const std::byte> data,
             uint64_t tag) override;
  void sync(StoreFile file, uint64_t tag) override;
  void grow(StoreFile file, uint64_t block_count, uint64_t tag) override;

  // Delivers one pending completion; false when none is pending.
  bool deliver_one();
  // Delivers completions until none is pending (including ones submitted meanwhile), at most
  // `limit` of them; returns how many were delivered.
  size_t deliver_all(size_t limit = SIZE_MAX);
  size_t pending() const { return pending_.size(); }

  // Power loss: pending completions vanish; every write that is not durable is independently
  // kept, lost or torn; what remains becomes the whole content of every file.
  void crash();

  void set_faults(const SimFaults& faults) { faults_ = faults; }
  const SimStats& stats() const { return stats_; }

  // Durable content of a file, for golden-store tests and forensics.
  const std::vector<std::byte>& durable_bytes(StoreFile file) const;
  // Replaces a file's content (durable and visible), e.g. to load a golden store.
  void load_file(StoreFile file, std::vector<std::byte> bytes);

 private:
  enum class OpKind : uint8_t { kRead, kWrite, kSync, kGrow };
  struct Write {  // a completed write not yet durable
    uint64_t id;
    uint64_t block;
    std::vector<std::byte> data;
  };
  struct Op {
    OpKind kind;
    StoreFile file;
    uint64_t block;
    uint64_t tag;
    std::span<std::byte> read_buffer;
    std::vector<std::byte> write_data;
    std::vector<uint64_t> sync_write_ids;  // the completed writes this sync makes durable
    uint64_t grow_blocks;
  };
  struct File {
    std::vector<std::byte> visible;  // what reads see
    std::vector<std::byte> durable;  // what survives a crash
    std::vector<Write> unsynced;
  };

  File& file(StoreFile id) { return files_[static_cast<size_t>(id)]; }
  const File& file(StoreFile id) const { return files_[static_cast<size_t>(id)]; }
  void complete(Op& op);
  void apply_crash_write(File& target, uint64_t block, const std::vector<std::byte>& data);
  bool chance(double probability);
  uint64_t total_blocks() const;

  IoCompletionSink* sink_ = nullptr;
  SimFaults faults_;
  SimStats stats_;
  std::mt19937_64 random_;
  std::array<File, kStoreFileCount> files_;
  std::vector<Op> pending_;
  uint64_t next_write_id_ = 1;
};

}  // namespace ringstat
