// Recovery: one shard's start-up. It creates a fresh store, or recovers one: the newest valid
// superblock, its snapshot, then every WAL block from the snapshot's cut until the first block
// that is not the expected next one; then a checkpoint, so the next start replays nothing from
// this one. Owned by one Shard and driven on its reactor thread; it sees the shard only through
// RecoveryTarget.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "base/result.h"
#include "engine/store/aligned_bytes.h"
#include "engine/store/page_allocator.h"
#include "engine/store/page_store.h"
#include "engine/store/shard_types.h"
#include "engine/store/staging_pool.h"
#include "engine/store/wal_writer.h"
#include "fileformat/checkpoint_format.h"
#include "fileformat/wal_format.h"

namespace ringstat {

// What start-up needs of its shard: the files, the allocator and the log to reset, the state to
// rebuild one snapshot entry or log record at a time, page flushes to make room while replaying,
// and the checkpoint that ends it.
class RecoveryTarget {
 public:
  virtual const ShardConfig& config() const = 0;
  virtual PageStore& store() = 0;
  virtual WalWriter& wal() = 0;
  virtual PageAllocator& allocator() = 0;
  virtual const StagingPool& staging() const = 0;

  // A fresh store: the configured retention is slot 0.
  virtual void restore_fresh() = 0;
  // The snapshot's retentions and ids, then each of its counters.
  virtual Status restore_header(const SnapshotHeader& header) = 0;
  virtual Status restore_counter(const SnapshotCounter& snapshot) = 0;
  virtual void restore_checkpoint(uint64_t sequence, uint8_t slot) = 0;
  // One record of the log after the snapshot's cut; records naming unknown counters are counted.
  virtual void replay_record(const WalRecord& record) = 0;
  // The log is replayed: counters created from now on use the configured retention.
  virtual void replay_finished() = 0;

  // Writes staged buckets into pages to free staging; flushes_idle() once none is in flight.
  virtual void flush_for_replay() = 0;
  virtual bool flushes_idle() const = 0;
  virtual void begin_checkpoint() = 0;
  virtual void start_failed(std::string message) = 0;

 protected:
  ~RecoveryTarget() = default;
};

class Recovery {
 public:
  // Replay pauses for page flushes unless the staging pool can take one more full WAL block.
  static constexpr uint32_t kReplayHeadroomEntries = kWalRecordsPerBlockMax * kRetentionLevelsMax;

  explicit Recovery(RecoveryTarget& target) : target_(target) {}
  Recovery(const Recovery&) = delete;
  Recovery& operator=(const Recovery&) = delete;

  void start();
  void on_io_complete(uint64_t payload, int result);
  // A page flush finished: replay goes on if it was waiting for every flush to finish.
  void flush_finished();
  // The checkpoint that ends start-up.
  void checkpoint_durable();
  void checkpoint_failed(int result);

 private:
  enum class Stage : uint8_t {
    kNone = 0,
    // The payloads of kRecovery I/O tags.
    kGrowFresh = 1,
    kReadSuper = 2,
    kReadSnapshot = 3,
    kReadWal = 4,
    // No I/O of its own.
    kCheckpoint = 5,
    kDone = 6,
    kFailed = 7,
  };

  void initialise_fresh_store();
  void read_superblocks();
  void read_snapshot();
  void load_snapshot();
  void replay_wal_from(uint64_t sequence);
  void continue_replay();
  bool replay_block(std::span<const std::byte, kWalBlockBytes> block, uint64_t sequence);
  void finish_replay();
  void fail(std::string message);

  RecoveryTarget& target_;
  Stage stage_ = Stage::kNone;
  uint32_t outstanding_ = 0;
  int error_ = 0;
  AlignedBytes bytes_;
  Superblock superblock_;
  uint64_t wal_blocks_ = 0;
  uint64_t next_sequence_ = 0;
  uint64_t batch_first_ = 0;
  uint32_t batch_blocks_ = 0;
  bool paused_for_flushes_ = false;  // replay waits for page flushes to free staging
  uint32_t checkpoint_attempts_ = 0;
};

}  // namespace ringstat
