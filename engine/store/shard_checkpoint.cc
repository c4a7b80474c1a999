// What a checkpoint sees of a shard (CheckpointSource): a consistent cut of the counters, their
// page maps and staged buckets, the pages flushes have in flight, and the start-up checkpoint's
// outcome. The checkpoint itself is the Checkpointer's (engine/store/checkpointer.h).
#include <string>
#include <utility>

#include "base/verify.h"
#include "engine/store/shard.h"
#include "engine/store/shard_jobs.h"

namespace ringstat {

void Shard::fill_snapshot_header(SnapshotHeader& header) const {
  header.next_counter_id = next_counter_id_;
  header.next_write_sequence = next_write_sequence_;
  header.clock_time = clock_.now_s();
  for (size_t slot = 0; slot < retentions_.size(); ++slot) {
    header.retentions.push_back(
        SnapshotRetention{static_cast<uint8_t>(slot), retentions_[slot].levels});
  }
  header.counter_count = table_.size();
}

std::vector<uint32_t> Shard::pages_in_flight() const {
  std::vector<uint32_t> pages;
  for (const FlushJob& job : flush_jobs_) {
    if (job.active && job.new_page != PageAllocator::kNoPage) pages.push_back(job.new_page);
  }
  return pages;
}

SnapshotCounter Shard::snapshot_counter(uint32_t id) const {
  const Counter& counter = counters_[id];
  SnapshotCounter snapshot;
  snapshot.counter_id = id;
  snapshot.kind = counter.kind;
  snapshot.retention_slot = counter.retention_slot;
  snapshot.first_time = counter.first_time;
  snapshot.name = std::string(table_.name(id));
  for (size_t l = 0; l < counter.level_count; ++l) {
    const LevelState& state = level(id, l);
    const PageMap& map = page_map(id, l);
    SnapshotLevel level_snapshot;
    level_snapshot.first_page_number = map.first_page_number;
    level_snapshot.disk_pages = map.disk_pages;
    auto add = [&](uint32_t head) {
      for (uint32_t e = head; e != kNoEntry; e = staging_.at(e).next) {
        const StagedEntry& entry = staging_.at(e);
        level_snapshot.staged.push_back(
            SnapshotStagedBucket{entry.index, entry.flags, entry.bucket});
      }
    };
    add(state.staged_head);
    // A flush in flight has not changed the page map yet: its buckets are still staged.
    if (state.flush_job != kNoJob) add(flush_jobs_[state.flush_job].entries);
    snapshot.levels.push_back(std::move(level_snapshot));
  }
  return snapshot;
}

void Shard::release_retired_pages() {
  release_pending_ = true;
  release_if_unpinned();
}

void Shard::start_checkpoint_durable() {
  VERIFY(phase_ == Phase::kRecovering);
  recovery_.checkpoint_durable();
  phase_ = Phase::kReady;
  finalize_events(clock_.now_s());
}

void Shard::start_checkpoint_failed(int result) {
  VERIFY(phase_ == Phase::kRecovering);
  recovery_.checkpoint_failed(result);
}

}  // namespace ringstat
