// What start-up sees of a shard (RecoveryTarget): its state rebuilt from a snapshot, one counter
// at a time, then from the log, one record at a time. The start-up sequence itself is Recovery's
// (engine/store/recovery.h).
#include <algorithm>
#include <string>
#include <utility>
#include <variant>

#include "base/verify.h"
#include "engine/store/shard.h"
#include "engine/store/shard_jobs.h"

namespace ringstat {

void Shard::start() {
  VERIFY(phase_ == Phase::kNew);
  phase_ = Phase::kRecovering;
  recovery_.start();
}

void Shard::start_failed(std::string message) {
  phase_ = Phase::kFailed;
  start_error_ = "shard " + std::to_string(config_.shard_id) + ": " + std::move(message);
}

void Shard::restore_fresh() {
  retentions_ = {config_.retention};
  config_retention_slot_ = 0;
}

Status Shard::restore_header(const SnapshotHeader& header) {
  retentions_.clear();
  for (const SnapshotRetention& retention : header.retentions) {
    if (retention.slot != retentions_.size()) return Error{"retention slots out of order"};
    retentions_.push_back(Retention{retention.levels});
  }
  next_counter_id_ = header.next_counter_id;
  next_write_sequence_ = header.next_write_sequence;
  return Ok{};
}

void Shard::restore_checkpoint(uint64_t sequence, uint8_t slot) {
  checkpointer_.restore(sequence, slot);
}

Status Shard::restore_counter(const SnapshotCounter& snapshot) {
  if (snapshot.retention_slot >= retentions_.size()) return Error{"unknown retention slot"};
  const Retention& retention = retentions_[snapshot.retention_slot];
  if (snapshot.levels.size() != retention.levels.size()) return Error{"level count mismatch"};
  if (snapshot.counter_id >= next_counter_id_) return Error{"counter id beyond next id"};
  const uint64_t hash = CounterTable::hash_name(snapshot.name);
  if (table_.find(snapshot.name, hash) != CounterTable::kNotFound) {
    return Error{"duplicate counter " + snapshot.name};
  }
  const uint32_t id = create_counter(snapshot.name, hash, snapshot.kind, snapshot.retention_slot,
                                     snapshot.counter_id);
  if (id == CounterTable::kNotFound) return Error{"more counters than --max-counters allows"};
  Counter& counter = counters_[id];
  counter.first_time = snapshot.first_time;
  for (size_t l = 0; l < snapshot.levels.size(); ++l) {
    const SnapshotLevel& saved = snapshot.levels[l];
    PageMap& map = page_map(id, l);
    for (uint32_t page : saved.disk_pages) {
      if (page >= allocator_.high_water()) return Error{"page beyond the page file's high water"};
      if (page != PageAllocator::kNoPage) ++stats_.pages_live[l];
    }
    map.first_page_number = saved.first_page_number;
    map.disk_pages = saved.disk_pages;
    // Snapshots list a level's staged buckets newest first (Invariant 12): restored oldest first,
    // each one goes to the head of the list, so a long backlog restores in linear time.
    for (auto it = saved.staged.rbegin(); it != saved.staged.rend(); ++it) {
      const SnapshotStagedBucket& staged = *it;
      const bool raw = (staged.flags & kStagedEventRaw) != 0;
      if (raw && (l != 0 || counter.kind != CounterKind::kEvent)) {
        return Error{"raw event bucket outside an event counter's finest level"};
      }
      if (staging_.used() + Recovery::kReplayHeadroomEntries >= staging_.capacity()) {
        return Error{"staging pool too small for this store's staged buckets"};
      }
      StagedEntry& entry = staged_entry_for(id, l, staged.index, raw);
      entry.bucket.merge(staged.bucket);
      if (!raw && l == 0 && counter.kind == CounterKind::kEvent) {
        counter.finalized_through = std::max(counter.finalized_through, staged.index);
      }
      if (raw && !counter.event_pending) {
        counter.event_pending = true;
        event_pending_.push_back(id);
      }
    }
  }
  return Ok{};
}

void Shard::replay_record(const WalRecord& record) {
  ++stats_.replayed_records;
  auto live = [&](uint32_t id) { return id < counters_.size() && counters_[id].live; };
  if (const auto* sample = std::get_if<WalSample>(&record)) {
    if (!live(sample->counter_id)) {
      ++stats_.replay_orphans;
    } else if (counters_[sample->counter_id].kind == CounterKind::kEvent) {
      apply_event_raw(sample->counter_id, sample->time, sample->value);
    } else {
      apply_gauge(sample->counter_id, sample->time, Bucket::of_value(sample->value));
    }
  } else if (const auto* aggregate = std::get_if<WalBucketSample>(&record)) {
    if (!live(aggregate->counter_id)) {
      ++stats_.replay_orphans;
    } else {
      apply_gauge(aggregate->counter_id, aggregate->time, aggregate->bucket);
    }
  } else if (const auto* create = std::get_if<WalCounterCreate>(&record)) {
    const uint64_t hash = CounterTable::hash_name(create->name);
    if (create->retention_slot >= retentions_.size() || live(create->counter_id) ||
        table_.find(create->name, hash) != CounterTable::kNotFound ||
        create_counter(create->name, hash, create->kind, create->retention_slot,
                       create->counter_id) == CounterTable::kNotFound) {
      ++stats_.replay_orphans;
    }
  } else if (const auto* removed = std::get_if<WalCounterDelete>(&record)) {
    if (live(removed->counter_id)) {
      remove_counter(removed->counter_id);
    } else {
      ++stats_.replay_orphans;
    }
  } else if (const auto* define = std::get_if<WalRetentionDefine>(&record)) {
    if (define->slot == retentions_.size()) retentions_.push_back(Retention{define->levels});
  }
}

void Shard::replay_finished() { config_retention_slot_ = retention_slot_for(config_.retention); }

}  // namespace ringstat
