// WalWriter: the append side of a shard's circular write-ahead log. Records go into an open
// 4 KiB block; a full block is sealed and written at once; commit() seals the open block and
// syncs everything written (group commit). A committed block is never rewritten (Invariant 4,
// docs/architecture.md), so a torn write can only hit records nobody was told are durable.
// Owned by one shard; single-threaded.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <vector>

#include "engine/store/io_buffer_pool.h"
#include "engine/store/page_store.h"
#include "engine/store/store_health.h"
#include "fileformat/wal_format.h"

namespace ringstat {

struct WalStats {
  uint64_t blocks_written = 0;
  uint64_t bytes_written = 0;
  uint64_t syncs = 0;
  uint64_t write_errors = 0;
  uint64_t sync_errors = 0;
  uint64_t full_rejections = 0;  // appends refused because the log or its buffers were full
};

class WalWriter {
 public:
  WalWriter(uint32_t shard_id, PageStore& store, IoBufferPool& buffers, StoreHealth& health);

  // Positions the log after recovery: the next block gets `next_sequence`; blocks from
  // `tail_sequence` on are still needed by the last durable checkpoint.
  void reset(uint64_t block_count, uint64_t next_sequence, uint64_t tail_sequence);

  // False when the record cannot be taken now (log full, or no buffer to seal a full block):
  // back-pressure; nothing was appended.
  bool append_sample(uint32_t counter_id, int64_t time, double value);
  bool append(const WalRecord& record);

  void seal();    // writes the open block if it holds records
  void commit();  // seal(), then make every sealed block durable
  // Calls `done` once every record appended before this call is durable (after a commit()).
  void when_durable(std::function<void()> done);

  // The last durable checkpoint replays from `tail_sequence`: older blocks may be reused.
  void release_before(uint64_t tail_sequence);

  void on_write_complete(uint64_t sequence, int result);
  void on_sync_complete(uint64_t through_sequence, int result);

  uint64_t next_sequence() const { return head_; }  // the sequence the open block will get
  uint64_t used_blocks() const { return head_ - tail_; }
  uint64_t block_count() const { return block_count_; }
  bool has_open_records() const { return !builder_.empty(); }
  bool idle() const { return in_flight_.empty() && !sync_in_flight_; }
  const WalStats& stats() const { return stats_; }
  // Resubmits writes and the sync that failed since the last call (the shard's tick): a failing
  // disk is retried at the tick's pace, never in a tight loop.
  void retry_failed();

 private:
  struct InFlightWrite {
    uint64_t sequence;
    uint32_t buffer;
    bool done;
  };

  bool make_room(size_t record_bytes);
  // The open block can be sealed into a free log slot (and, with `and_next`, the block after it).
  bool slot_free(uint64_t blocks) const { return head_ - tail_ + blocks < block_count_; }
  void submit_write(InFlightWrite& write);
  void maybe_sync();
  void run_waiters();

  uint32_t shard_id_;
  PageStore& store_;
  IoBufferPool& buffers_;
  StoreHealth& health_;
  WalBlockBuilder builder_;
  uint64_t block_count_ = 0;
  uint64_t head_ = 1;                    // sequence of the open block
  uint64_t tail_ = 1;                    // oldest block still needed
  std::deque<InFlightWrite> in_flight_;  // ordered by sequence
  uint64_t written_through_ = 0;         // every block <= this has been written
  uint64_t sync_wanted_through_ = 0;
  uint64_t durable_through_ = 0;
  bool sync_in_flight_ = false;
  bool sync_failed_ = false;             // retried by retry_failed()
  std::vector<uint64_t> failed_writes_;  // sequences to resubmit in retry_failed()
  std::vector<std::pair<uint64_t, std::function<void()>>> waiters_;
  WalStats stats_;
};

}  // namespace ringstat
