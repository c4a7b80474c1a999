// Checkpointer: one shard's checkpoints. A checkpoint is a consistent cut of the shard's
// in-memory state written as a snapshot into the slot the last one did not use, made durable
// with the page file, then named by a superblock copy (Invariants 3 and 5). Owned by one Shard
// and driven on its reactor thread; it sees the shard only through CheckpointSource.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "engine/store/aligned_bytes.h"
#include "engine/store/io_buffer_pool.h"
#include "engine/store/page_allocator.h"
#include "engine/store/page_store.h"
#include "engine/store/shard_types.h"
#include "engine/store/store_health.h"
#include "engine/store/wal_writer.h"
#include "fileformat/checkpoint_format.h"

namespace ringstat {

// What a checkpoint needs of its shard: the state to snapshot, the files and buffers to write it
// with, and whom to tell when a start-up checkpoint ends.
class CheckpointSource {
 public:
  virtual const ShardConfig& config() const = 0;
  virtual PageStore& store() = 0;
  virtual IoBufferPool& buffers() = 0;
  virtual WalWriter& wal() = 0;
  virtual PageAllocator& allocator() = 0;
  virtual StoreHealth& health() = 0;

  // The snapshot: the header fields the shard owns (ids, write sequence, clock, retentions,
  // counter count), then every live counter by id.
  virtual void fill_snapshot_header(SnapshotHeader& header) const = 0;
  virtual uint32_t counter_id_end() const = 0;
  virtual bool counter_live(uint32_t id) const = 0;
  virtual SnapshotCounter snapshot_counter(uint32_t id) const = 0;
  // Pages that page flushes in flight have allocated and not yet committed.
  virtual std::vector<uint32_t> pages_in_flight() const = 0;
  virtual bool flushes_idle() const = 0;

  // Pages the last durable checkpoint released that a running query may still read.
  virtual bool retired_pages_pinned() const = 0;
  // A checkpoint is durable: the pages retired before it may be reused once no query reads them.
  virtual void release_retired_pages() = 0;

  // Start-up takes a checkpoint of its own and hears its outcome instead of the waiters.
  virtual bool starting() const = 0;
  virtual void start_checkpoint_durable() = 0;
  virtual void start_checkpoint_failed(int result) = 0;

 protected:
  ~CheckpointSource() = default;
};

class Checkpointer {
 public:
  struct Stats {
    uint64_t checkpoints = 0;
    uint64_t failures = 0;
    uint64_t bytes_written = 0;
  };

  explicit Checkpointer(CheckpointSource& source) : source_(source) {}
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // The durable checkpoint start-up found: the next one goes to the other slot.
  void restore(uint64_t sequence, uint8_t slot) {
    sequence_ = sequence;
    slot_ = slot;
  }

  // `done` once a checkpoint whose cut comes after this call is durable. With `pages_first`
  // (flush_all), that checkpoint waits until every page flush in flight has finished.
  void add_waiter(std::function<void()> done, bool pages_first);
  // add_waiter() for graceful shutdown: `done(true)` after a checkpoint; when the checkpoint
  // fails it settles for making the log durable, `done(false)`.
  void add_shutdown_waiter(std::function<void(bool checkpointed)> done);

  // Starts a checkpoint when one is wanted and the store's backoff allows it.
  void tick();
  // Starts a checkpoint now (none may be running); a no-op when no I/O buffer is free.
  void begin();
  void on_io_complete(uint64_t payload, int result);

  bool running() const { return checkpoint_ != nullptr; }
  // Waiters want every staged bucket in pages before their checkpoint.
  bool pages_wanted() const { return pages_first_; }
  // Waiters are waiting for a checkpoint that has not started yet.
  bool waiting_to_start() const { return checkpoint_ == nullptr && !waiters_.empty(); }
  const Stats& stats() const { return stats_; }

 private:
  // The payload of kCheckpoint I/O tags; the values are those of the stage the I/O ends.
  enum class Stage : uint8_t {
    kGrow = 1,
    kWrite = 2,
    kSyncData = 3,
    kWriteSuper = 4,
    kSyncSuper = 5,
  };
  struct InProgress {
    uint64_t sequence = 0;
    uint64_t wal_cut = 0;
    uint8_t slot = 0;
    uint32_t blocks = 0;
    uint64_t payload_bytes = 0;
    uint32_t payload_crc = 0;
    AlignedBytes image;
    uint32_t super_buffer = IoBufferPool::kNone;
    uint32_t outstanding = 0;
    Stage stage = Stage::kGrow;
    bool failed = false;
    // Callers whose request came before this checkpoint's cut.
    std::vector<std::function<void()>> waiters;
  };

  bool wanted() const;
  void failed(int result);
  void durable();

  CheckpointSource& source_;
  std::unique_ptr<InProgress> checkpoint_;  // the checkpoint in progress, if any
  uint64_t sequence_ = 0;
  uint8_t slot_ = 1;  // slot of the last durable snapshot
  std::vector<std::function<void()>> waiters_;
  bool pages_first_ = false;  // waiters want staged buckets in pages before the checkpoint
  std::function<void(bool)> shutdown_done_;  // add_shutdown_waiter() in progress
  Stats stats_;
};

}  // namespace ringstat
