// Shard: every counter whose name hashes to it, with their buckets at every retention level,
// durable through its own write-ahead log, pages and checkpoints on one PageStore. The owner
// reactor alone calls it (Invariant 2, docs/architecture.md): no locks, no atomics. All I/O is
// asynchronous; completions come back through on_io_complete() on the same thread. Checkpoints
// (Checkpointer) and start-up (Recovery) are classes of their own that see the shard only through
// the narrow interfaces it implements privately (CheckpointSource, RecoveryTarget).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/ingest/reject_reason.h"
#include "engine/ingest/retention.h"
#include "engine/store/checkpointer.h"
#include "engine/store/clock.h"
#include "engine/store/counter_table.h"
#include "engine/store/io_buffer_pool.h"
#include "engine/store/page_allocator.h"
#include "engine/store/page_store.h"
#include "engine/store/recovery.h"
#include "engine/store/shard_types.h"
#include "engine/store/staging_pool.h"
#include "engine/store/wal_writer.h"
#include "fileformat/checkpoint_format.h"

namespace ringstat {

class Shard final : public IoCompletionSink, private CheckpointSource, private RecoveryTarget {
 public:
  Shard(const ShardConfig& config, PageStore& store, Clock& clock);
  ~Shard() override;
  Shard(const Shard&) = delete;
  Shard& operator=(const Shard&) = delete;

  // Opens or creates the store: superblock, snapshot, WAL replay, then a fresh checkpoint.
  // Asynchronous; ready() turns true when done, or start_error() says why it cannot start.
  void start();
  bool ready() const { return phase_ == Phase::kReady; }
  const std::string& start_error() const { return start_error_; }

  // Ingest one sample for one normalised, valid name (its hash from CounterTable::hash_name).
  // An empty time means now. The sample is in the WAL and visible to queries when this returns
  // without a reason.
  std::optional<RejectReason> add_sample(const IngestSample& sample);
  // add_sample for each sample in order, walking the batch in passes that prefetch each step of
  // the lookup (slot, name, counter, level states, staged buckets) for all samples first, so
  // the cache misses of a batch overlap instead of queueing. reasons[i] is set for rejections.
  // Returns the number accepted.
  size_t add_batch(std::span<const IngestSample> samples,
                   std::span<std::optional<RejectReason>> reasons);
  // True while the shard wants its producers to pause (staging or WAL filling up).
  bool congested() const;

  // Group commit: seal the open WAL block and sync the log.
  void commit();
  // commit(), then `done` once every sample accepted before this call is durable.
  void when_durable(std::function<void()> done);
  // Writes every staged bucket into pages and takes a checkpoint; `done` when durable.
  void flush_all(std::function<void()> done);
  // commit(), then a checkpoint whose cut comes after this call; `done` when it is durable. Staged
  // buckets stay staged (the snapshot holds them). Graceful shutdown uses it: the next start
  // replays nothing and loses nothing, without writing every counter's pages first.
  void checkpoint_now(std::function<void()> done);
  // Graceful shutdown: checkpoint_now(), but when the checkpoint cannot be written (a full disk)
  // it settles for making the log durable, which the next start replays. `done(true)` after a
  // checkpoint, `done(false)` when only the log is durable.
  void checkpoint_for_shutdown(std::function<void(bool checkpointed)> done);

  // Periodic work: event finalisation, retention expiry, page flushes, checkpoints.
  void tick();

  // Buckets of one counter at one level for bucket times in [start, end), in presentation form
  // (event rates, fixed event counts), sorted by time. Asynchronous: reads pages.
  void read_level(std::string_view name, uint64_t hash, size_t level, int64_t start, int64_t end,
                  std::function<void(LevelRead)> done);
  // The counter's kind, retention levels and first sample time, if it exists.
  std::optional<CounterInfo> counter_info(std::string_view name, uint64_t hash) const;

  // Deletes a counter and its data; false when it does not exist.
  bool delete_counter(std::string_view name, uint64_t hash);
  template <class Visit>
  void for_each_counter(Visit&& visit) const {
    for (uint32_t id = 0; id < counters_.size(); ++id) {
      if (counters_[id].live) visit(table_.name(id), counters_[id].kind);
    }
  }

  ShardStats stats() const;
  // The I/O buffer pool's memory, for a PageStore that registers it with the kernel.
  std::span<std::byte> io_buffer_memory() { return buffers_.memory(); }
  uint32_t counter_count() const { return table_.size(); }
  bool idle() const;  // nothing in flight (tests and shutdown)

  void on_io_complete(uint64_t tag, int result) override;

 private:
  enum class Phase : uint8_t { kNew, kRecovering, kReady, kFailed };
  static constexpr uint32_t kNoJob = UINT32_MAX;

  // What ingest touches of a counter level, 16 bytes so a counter's levels share a cache line;
  // the page map, which only flushes, reads and checkpoints need, lives apart (PageMap).
  struct LevelState {
    uint32_t staged_head = kNoEntry;
    uint32_t staged_final = 0;  // staged entries a page flush may take now
    uint32_t flush_job = kNoJob;
    bool queued = false;
  };
  // Three levels' hot state share one cache line (docs/architecture.md, section 6).
  static_assert(sizeof(LevelState) == 16);
  struct PageMap {
    int64_t first_page_number = 0;
    std::vector<uint32_t> disk_pages;  // page-file page of page number first + i; 0 = none
    // At most the smallest bucket index staged at this level (INT64_MAX: none staged yet). A
    // lower bound, lowered when an entry is staged behind others or into an empty list (a new
    // newest bucket cannot lower it) and made exact by each expiry walk, so expiry skips the walk
    // of a level that cannot hold an expired entry.
    int64_t staged_index_floor = INT64_MAX;
  };
  struct Counter {
    uint32_t first_level = 0;
    uint32_t generation = 0;
    int64_t first_time = 0;
    int64_t finalized_through = INT64_MIN;  // events: newest finest bucket index made final
    uint8_t level_count = 0;
    CounterKind kind = CounterKind::kGauge;
    uint8_t retention_slot = 0;
    bool live = false;
    bool event_pending = false;  // in event_pending_: has raw finest buckets
  };
  struct FlushJob;
  struct QueryJob;

  // shard_ingest.cc
  uint32_t create_counter(std::string_view name, uint64_t hash, CounterKind kind,
                          uint8_t retention_slot, uint32_t id);
  void apply_gauge(uint32_t id, int64_t time, const Bucket& bucket);
  void apply_gauge_found(uint32_t id, int64_t time, const Bucket& bucket,
                         const uint32_t (&found)[kRetentionLevelsMax]);
  // Each level's staged entry for the bucket holding `time`, or kNoEntry (none yet, or the level
  // does not keep that time).
  void find_gauge_entries(uint32_t id, int64_t time, uint32_t (&found)[kRetentionLevelsMax]) const;
  uint32_t find_staged_entry(uint32_t id, size_t level_index, int64_t index) const;
  StagedEntry& new_staged_entry(uint32_t id, size_t level_index, int64_t index, bool raw);
  // Links entry `e` into its level's staged list at its place in descending index order.
  void link_staged(uint32_t id, size_t level_index, uint32_t e);
  static bool event_sum_fits(const Retention& retention, double raw_sum);
  void apply_event_raw(uint32_t id, int64_t time, double value);
  // apply_event_raw with the finest level's staged entry already looked up (kNoEntry: none yet).
  void apply_event_raw_found(uint32_t id, int64_t time, double value, uint32_t found);
  StagedEntry& staged_entry_for(uint32_t id, size_t level, int64_t index, bool raw);
  void finalize_events(int64_t now);
  bool finalize_counter_events(uint32_t id, int64_t now);
  void remove_counter(uint32_t id);
  bool event_bucket_final(const Counter& counter, int64_t index, int64_t now) const;
  uint8_t retention_slot_for(const Retention& retention);
  LevelState& level(uint32_t id, size_t level_index);
  const LevelState& level(uint32_t id, size_t level_index) const;
  PageMap& page_map(uint32_t id, size_t level_index);
  const PageMap& page_map(uint32_t id, size_t level_index) const;
  const RetentionLevel& retention_level(uint32_t id, size_t level_index) const;

  // shard_flush.cc
  void note_staged(uint32_t id, size_t level_index);
  void pump_flushes(bool force);
  bool start_flush(uint32_t id, size_t level_index);
  void on_flush_read(uint32_t job, int result);
  void write_flush_page(uint32_t job);
  void on_flush_write(uint32_t job, int result);
  void finish_flush(uint32_t job);
  void on_grow(int result);
  void expire_some(int64_t now);
  void expire_counter(uint32_t id, int64_t now);
  void set_disk_page(PageMap& map, int64_t page_number, uint32_t disk_page);
  uint32_t disk_page(const PageMap& map, int64_t page_number) const;
  uint32_t buffers_for_jobs() const;

  // shard_read.cc
  void issue_query_reads(uint32_t job);
  void on_query_read(uint64_t payload, int result);
  void finish_query(uint32_t job);
  // Pages retired before the last durable checkpoint are reused once no query reads them.
  void release_if_unpinned();

  // shard.cc: what the checkpoint and start-up see of the shard.
  const ShardConfig& config() const override { return config_; }
  PageStore& store() override { return store_; }
  IoBufferPool& buffers() override { return buffers_; }
  WalWriter& wal() override { return wal_; }
  PageAllocator& allocator() override { return allocator_; }
  StoreHealth& health() override { return health_; }
  const StagingPool& staging() const override { return staging_; }
  bool flushes_idle() const override;
  void begin_checkpoint() override { checkpointer_.begin(); }
  // A page flush finished: replay or a checkpoint may have waited for it.
  void flush_finished();

  // shard_checkpoint.cc: CheckpointSource.
  void fill_snapshot_header(SnapshotHeader& header) const override;
  uint32_t counter_id_end() const override { return static_cast<uint32_t>(counters_.size()); }
  bool counter_live(uint32_t id) const override { return counters_[id].live; }
  SnapshotCounter snapshot_counter(uint32_t id) const override;
  std::vector<uint32_t> pages_in_flight() const override;
  bool retired_pages_pinned() const override { return release_pending_; }
  void release_retired_pages() override;
  bool starting() const override { return phase_ == Phase::kRecovering; }
  void start_checkpoint_durable() override;
  void start_checkpoint_failed(int result) override;

  // shard_recovery.cc: RecoveryTarget.
  void restore_fresh() override;
  Status restore_header(const SnapshotHeader& header) override;
  Status restore_counter(const SnapshotCounter& snapshot) override;
  void restore_checkpoint(uint64_t sequence, uint8_t slot) override;
  void replay_record(const WalRecord& record) override;
  void replay_finished() override;
  void flush_for_replay() override { pump_flushes(true); }
  void start_failed(std::string message) override;

  ShardConfig config_;
  PageStore& store_;
  Clock& clock_;
  IoBufferPool buffers_;
  StoreHealth health_;  // before wal_, which reports to it
  WalWriter wal_;
  CounterTable table_;
  StagingPool staging_;
  PageAllocator allocator_;
  std::vector<Counter> counters_;
  std::vector<LevelState> levels_;
  std::vector<PageMap> page_maps_;     // parallel to levels_
  std::vector<Retention> retentions_;  // by retention slot
  uint8_t config_retention_slot_ = 0;
  uint32_t next_counter_id_ = 0;
  uint64_t next_write_sequence_ = 1;
  std::vector<uint32_t> event_pending_;

  std::vector<FlushJob> flush_jobs_;
  std::vector<uint32_t> free_flush_jobs_;
  std::vector<std::pair<uint32_t, uint8_t>> flush_queue_;
  std::vector<uint32_t> jobs_waiting_for_space_;
  bool growing_pages_ = false;
  uint32_t pressure_hand_ = 0;
  uint32_t expiry_hand_ = 0;

  std::vector<QueryJob> query_jobs_;
  std::vector<uint32_t> free_query_jobs_;
  // Reads that found every query job busy, started in order as jobs finish.
  struct PendingRead {
    std::string name;
    uint64_t hash;
    size_t level;
    int64_t start;
    int64_t end;
    std::function<void(LevelRead)> done;
  };
  std::deque<PendingRead> pending_reads_;
  uint32_t queries_in_flight_ = 0;
  bool release_pending_ = false;

  Checkpointer checkpointer_{*this};
  Recovery recovery_{*this};
  Phase phase_ = Phase::kNew;
  std::string start_error_;
  ShardStats stats_;
};

}  // namespace ringstat
