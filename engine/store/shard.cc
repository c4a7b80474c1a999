#include "engine/store/shard.h"

#include <algorithm>
#include <cerrno>
#include <utility>

#include "base/verify.h"
#include "engine/store/io_tag.h"
#include "engine/store/shard_jobs.h"

namespace ringstat {

Shard::Shard(const ShardConfig& config, PageStore& store, Clock& clock)
    : config_(config),
      store_(store),
      clock_(clock),
      buffers_(config.io_buffers),
      health_(config.store_full_grace_ticks),
      wal_(config.shard_id, store, buffers_, health_),
      table_(config.counters_max),
      staging_(config.staging_entries) {
  VERIFY(!config.retention.levels.empty());
  VERIFY(config.wal_reserved_buffers < config.io_buffers);
  VERIFY(config.checkpoint_wal_blocks * 2 <= config.wal_blocks);
  VERIFY(config.flush_threshold >= 1);
  flush_jobs_.resize(config.flush_jobs_max);
  for (uint32_t i = config.flush_jobs_max; i > 0; --i) free_flush_jobs_.push_back(i - 1);
  query_jobs_.resize(config.query_jobs_max);
  for (uint32_t i = config.query_jobs_max; i > 0; --i) free_query_jobs_.push_back(i - 1);
  store_.set_completion_sink(this);
}

Shard::~Shard() { store_.set_completion_sink(nullptr); }

Shard::LevelState& Shard::level(uint32_t id, size_t level_index) {
  VERIFY(level_index < counters_[id].level_count);
  return levels_[counters_[id].first_level + level_index];
}
const Shard::LevelState& Shard::level(uint32_t id, size_t level_index) const {
  VERIFY(level_index < counters_[id].level_count);
  return levels_[counters_[id].first_level + level_index];
}
Shard::PageMap& Shard::page_map(uint32_t id, size_t level_index) {
  VERIFY(level_index < counters_[id].level_count);
  return page_maps_[counters_[id].first_level + level_index];
}
const Shard::PageMap& Shard::page_map(uint32_t id, size_t level_index) const {
  VERIFY(level_index < counters_[id].level_count);
  return page_maps_[counters_[id].first_level + level_index];
}
const RetentionLevel& Shard::retention_level(uint32_t id, size_t level_index) const {
  return retentions_[counters_[id].retention_slot].levels[level_index];
}

bool Shard::congested() const {
  // A store that has failed for longer than the grace period cannot be waited for: producers go
  // on, and what the shard cannot keep is refused as store_full (add_sample), never held for ever.
  if (health_.grace_spent()) return false;
  const uint64_t staging_high = uint64_t{staging_.capacity()} * 7 / 8;
  return staging_.used() > staging_high || wal_.used_blocks() * 4 > wal_.block_count() * 3 ||
         buffers_.available() < config_.wal_reserved_buffers / 2;
}

void Shard::commit() {
  if (phase_ != Phase::kReady) return;
  wal_.commit();
}

void Shard::when_durable(std::function<void()> done) {
  VERIFY(phase_ == Phase::kReady);
  wal_.commit();
  wal_.when_durable(std::move(done));
}

void Shard::flush_all(std::function<void()> done) {
  VERIFY(phase_ == Phase::kReady);
  wal_.commit();
  checkpointer_.add_waiter(std::move(done), /*pages_first=*/true);
  pump_flushes(true);
  tick();
}

void Shard::checkpoint_now(std::function<void()> done) {
  VERIFY(phase_ == Phase::kReady);
  wal_.commit();
  checkpointer_.add_waiter(std::move(done), /*pages_first=*/false);
  tick();
}

void Shard::checkpoint_for_shutdown(std::function<void(bool checkpointed)> done) {
  VERIFY(phase_ == Phase::kReady);
  wal_.commit();
  checkpointer_.add_shutdown_waiter(std::move(done));
  tick();
}

void Shard::tick() {
  health_.tick();
  if (phase_ != Phase::kReady) return;
  wal_.retry_failed();
  const int64_t now = clock_.now_s();
  finalize_events(now);
  expire_some(now);
  pump_flushes(checkpointer_.pages_wanted());
  checkpointer_.tick();
}

bool Shard::flushes_idle() const {
  for (const FlushJob& job : flush_jobs_) {
    if (job.active) return false;
  }
  return true;
}

void Shard::flush_finished() {
  if (phase_ == Phase::kRecovering) {
    recovery_.flush_finished();
  } else if (checkpointer_.waiting_to_start()) {
    tick();
  }
}

std::optional<CounterInfo> Shard::counter_info(std::string_view name, uint64_t hash) const {
  const uint32_t id = table_.find(name, hash);
  if (id == CounterTable::kNotFound) return std::nullopt;
  const Counter& counter = counters_[id];
  return CounterInfo{counter.kind, retentions_[counter.retention_slot].levels, counter.first_time};
}

bool Shard::idle() const {
  return wal_.idle() && !checkpointer_.running() && queries_in_flight_ == 0 && !growing_pages_ &&
         pending_reads_.empty() && flushes_idle();
}

ShardStats Shard::stats() const {
  ShardStats result = stats_;
  const WalStats& wal = wal_.stats();
  result.wal_blocks_written = wal.blocks_written;
  result.wal_bytes_written = wal.bytes_written;
  result.wal_syncs = wal.syncs;
  result.wal_full = wal.full_rejections;
  const Checkpointer::Stats& checkpoints = checkpointer_.stats();
  result.checkpoints = checkpoints.checkpoints;
  result.checkpoint_failures = checkpoints.failures;
  result.checkpoint_bytes_written = checkpoints.bytes_written;
  result.counters = table_.size();
  result.staged_entries = staging_.used();
  result.staged_capacity = staging_.capacity();
  result.page_high_water = allocator_.high_water();
  for (const Retention& retention : retentions_) {
    result.retention_levels_max =
        std::max(result.retention_levels_max, static_cast<uint32_t>(retention.levels.size()));
  }
  result.wal_used_blocks = wal_.used_blocks();
  result.store_errors = health_.errors();
  result.store_errors_total = health_.errors_total();
  result.last_store_error = health_.last_error();
  result.store_failing = health_.failing();
  result.store_grace_spent = health_.grace_spent();
  return result;
}

void Shard::on_io_complete(uint64_t tag, int result) {
  const uint64_t payload = io_tag_payload(tag);
  switch (io_tag_kind(tag)) {
    case IoKind::kWalWrite:
      wal_.on_write_complete(payload, result);
      break;
    case IoKind::kWalSync:
      wal_.on_sync_complete(payload, result);
      break;
    case IoKind::kFlushRead:
      on_flush_read(static_cast<uint32_t>(payload), result);
      break;
    case IoKind::kFlushWrite:
      on_flush_write(static_cast<uint32_t>(payload), result);
      break;
    case IoKind::kPageGrow:
      on_grow(result);
      break;
    case IoKind::kQueryRead:
      on_query_read(payload, result);
      break;
    case IoKind::kCheckpoint:
      checkpointer_.on_io_complete(payload, result);
      break;
    case IoKind::kRecovery:
      recovery_.on_io_complete(payload, result);
      break;
    default:
      VERIFY(false && "unknown I/O tag");
  }
}

}  // namespace ringstat
