// Plain types a Shard takes and returns: its configuration, its statistics and query results.
// Value types with no behaviour; safe to copy between threads.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "engine/ingest/ingest_sample.h"
#include "engine/ingest/reject_reason.h"
#include "engine/ingest/retention.h"
#include "engine/store/store_health.h"
#include "fileformat/bucket.h"
#include "fileformat/counter_kind.h"

namespace ringstat {

struct ShardConfig {
  uint32_t shard_id = 0;
  Retention retention;                       // levels of counters created from now on
  uint32_t counters_max = 1 << 16;           // live counters in this shard
  uint64_t wal_blocks = 1 << 14;             // circular log size for a new store (64 MiB)
  uint64_t checkpoint_wal_blocks = 1 << 12;  // checkpoint once this much log has accumulated
  uint32_t staging_entries = 1 << 18;        // staged buckets, 56 bytes each
  uint32_t flush_threshold = 24;       // staged final buckets of a level that start a page write
  uint32_t io_buffers = 512;           // 4 KiB I/O buffers
  uint32_t wal_reserved_buffers = 64;  // buffers page flushes and queries never take
  uint32_t flush_jobs_max = 64;        // page writes in flight
  uint32_t query_jobs_max = 64;        // queries reading pages at once
  // Reads waiting for a query job; beyond this a read is answered kBusy at once, so a burst of
  // queries cannot grow a shard's memory without bound.
  uint32_t pending_reads_max = 4096;
  uint64_t page_grow_blocks = 1 << 14;  // the page file grows 64 MiB at a time
  int64_t future_limit_s = 60;          // gauge samples further ahead are rejected
  int64_t event_grace_s = 60;           // an event bucket stays open this long after its end
  // Ticks (100 ms each in the daemon) a failing store (full disk, I/O errors) holds producers back
  // before the shard refuses what it cannot keep as store_full instead.
  uint32_t store_full_grace_ticks = 100;
  uint32_t expiry_counters_per_tick = 1024;
};

struct ShardStats {
  uint64_t samples_accepted = 0;
  uint64_t rejected[static_cast<size_t>(RejectReason::kCount)] = {};
  uint64_t counters_created = 0;
  uint64_t counters_deleted = 0;
  uint64_t buckets_staged = 0;
  uint64_t events_finalized = 0;
  uint64_t page_writes = 0;
  uint64_t page_reads = 0;
  uint64_t page_write_errors = 0;
  uint64_t page_read_errors = 0;
  uint64_t pages_corrupt = 0;
  uint64_t buckets_saturated = 0;  // merges past the exact range after ingest (Bucket::merge)
  uint64_t pages_expired = 0;
  // Pages in the counters' page maps (what the store retains, not yet-unreleased old copies), by
  // level of the counter's retention, level 0 the finest. Kept as pages come and go, because
  // stats() runs on the reactor thread and cannot walk every counter.
  std::array<uint64_t, kRetentionLevelsMax> pages_live{};
  uint32_t retention_levels_max = 0;  // the most levels of any retention this shard knows
  uint64_t page_bytes_written = 0;
  uint64_t no_space = 0;
  uint64_t checkpoints = 0;
  uint64_t checkpoint_failures = 0;
  uint64_t checkpoint_bytes_written = 0;
  uint64_t wal_blocks_written = 0;
  uint64_t wal_bytes_written = 0;
  uint64_t wal_syncs = 0;
  uint64_t wal_full = 0;
  uint64_t replayed_records = 0;
  uint64_t replay_orphans = 0;
  uint64_t queries = 0;
  uint64_t reads_refused_busy = 0;  // reads beyond pending_reads_max, answered kBusy
  uint32_t counters = 0;
  uint32_t staged_entries = 0;
  uint32_t staged_capacity = 0;
  uint32_t page_high_water = 0;
  uint64_t wal_used_blocks = 0;
  // Failed file operations by operation and errno, and the shard's view of its store.
  std::array<StoreErrorCount, StoreHealth::kErrorKindsMax> store_errors{};
  uint64_t store_errors_total = 0;
  StoreErrorCount last_store_error;
  bool store_failing = false;
  bool store_grace_spent = false;
};

struct CounterInfo {
  CounterKind kind = CounterKind::kGauge;
  std::vector<RetentionLevel> levels;
  int64_t first_time = 0;
};

struct LevelRead {
  enum class Status : uint8_t { kOk, kNotFound, kIoError, kBusy };
  Status status = Status::kOk;
  CounterKind kind = CounterKind::kGauge;
  int64_t first_time = 0;
  uint32_t interval_s = 0;
  std::vector<TimedBucket> buckets;
  uint32_t corrupt_pages = 0;  // pages that failed their checks; their buckets are missing
};

}  // namespace ringstat
