// Shard checkpoints: a consistent cut of all in-memory state (counters, page maps, staged
// buckets, free pages) written as a snapshot into the slot the last checkpoint did not use, made
// durable together with the page file, then named by a superblock copy. Afterwards the WAL before
// the cut and the pages retired before it may be reused (Invariants 3 and 5).
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

#include "base/verify.h"
#include "engine/store/io_tag.h"
#include "engine/store/shard.h"
#include "engine/store/shard_jobs.h"

namespace ringstat {

namespace {

enum CheckpointStage : uint64_t {
  kStageGrow = 1,
  kStageWrite = 2,
  kStageSyncData = 3,
  kStageWriteSuper = 4,
  kStageSyncSuper = 5,
};
constexpr uint32_t kSnapshotWriteBlocks = 64;  // 256 KiB a write
constexpr uint32_t kRecoveryCheckpointAttempts = 8;

StoreFile snapshot_file(uint8_t slot) {
  return slot == 0 ? StoreFile::kCheckpoint0 : StoreFile::kCheckpoint1;
}

}  // namespace

bool Shard::checkpoint_wanted() const {
  if (release_pending_) return false;  // pages of the last checkpoint are still pinned by a query
  if (!checkpoint_waiters_.empty()) return !flush_all_pending_ || idle_for_flush_all();
  return wal_.used_blocks() >= config_.checkpoint_wal_blocks;
}

bool Shard::idle_for_flush_all() const {
  for (const FlushJob& job : flush_jobs_) {
    if (job.active) return false;
  }
  return true;
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

void Shard::begin_checkpoint() {
  VERIFY(checkpoint_ == nullptr);
  if (buffers_.available() == 0) return;  // try again on the next tick
  auto checkpoint = std::make_unique<Checkpoint>();
  checkpoint->sequence = checkpoint_sequence_ + 1;
  checkpoint->slot = static_cast<uint8_t>(1 - snapshot_slot_);
  // The cut: every record in a block before this sequence is reflected in the state below.
  wal_.seal();
  checkpoint->wal_cut = wal_.next_sequence();

  std::vector<uint32_t> in_flight_pages;
  for (const FlushJob& job : flush_jobs_) {
    if (job.active && job.new_page != PageAllocator::kNoPage)
      in_flight_pages.push_back(job.new_page);
  }
  SnapshotHeader header;
  header.next_counter_id = next_counter_id_;
  header.next_write_sequence = next_write_sequence_;
  header.clock_time = clock_.now_s();
  header.page_high_water = allocator_.high_water();
  header.free_pages = allocator_.begin_checkpoint(in_flight_pages);
  for (size_t slot = 0; slot < retentions_.size(); ++slot) {
    header.retentions.push_back(
        SnapshotRetention{static_cast<uint8_t>(slot), retentions_[slot].levels});
  }
  header.counter_count = table_.size();
  SnapshotWriter writer(config_.shard_id, checkpoint->sequence);
  writer.put_header(header);
  for (uint32_t id = 0; id < counters_.size(); ++id) {
    if (counters_[id].live) writer.put_counter(snapshot_counter(id));
  }
  writer.finish();
  checkpoint->blocks = writer.block_count();
  checkpoint->payload_bytes = writer.payload_bytes();
  checkpoint->payload_crc = writer.payload_crc();
  checkpoint->image.allocate(writer.blocks().size());
  std::memcpy(checkpoint->image.data.get(), writer.blocks().data(), writer.blocks().size());
  checkpoint->super_buffer = buffers_.acquire();
  // Only a checkpoint whose cut comes after a flush_all() or checkpoint_now() may answer it.
  checkpoint->waiters.swap(checkpoint_waiters_);
  flush_all_pending_ = false;
  checkpoint_ = std::move(checkpoint);

  const StoreFile file = snapshot_file(checkpoint_->slot);
  if (store_.block_count(file) < checkpoint_->blocks) {
    checkpoint_->stage = kStageGrow;
    checkpoint_->outstanding = 1;
    // Grow with headroom so a slowly growing store does not grow at every checkpoint.
    store_.grow(file, uint64_t{checkpoint_->blocks} * 5 / 4 + 16,
                make_io_tag(IoKind::kCheckpoint, kStageGrow));
    return;
  }
  on_checkpoint_io(kStageGrow, 0);
}

void Shard::on_checkpoint_io(uint64_t step, int result) {
  Checkpoint& checkpoint = *checkpoint_;
  if (checkpoint.outstanding > 0) --checkpoint.outstanding;
  if (result < 0) checkpoint.failed = true;
  if (checkpoint.outstanding > 0) return;
  if (checkpoint.failed) {
    checkpoint_failed(result);
    return;
  }
  const StoreFile file = snapshot_file(checkpoint.slot);
  switch (step) {
    case kStageGrow: {
      checkpoint.stage = kStageWrite;
      for (uint32_t block = 0; block < checkpoint.blocks; block += kSnapshotWriteBlocks) {
        const uint32_t count = std::min(kSnapshotWriteBlocks, checkpoint.blocks - block);
        ++checkpoint.outstanding;
        store_.write(file, block,
                     checkpoint.image.span().subspan(size_t{block} * kStoreBlockBytes,
                                                     size_t{count} * kStoreBlockBytes),
                     make_io_tag(IoKind::kCheckpoint, kStageWrite));
      }
      stats_.checkpoint_bytes_written += uint64_t{checkpoint.blocks} * kStoreBlockBytes;
      return;
    }
    case kStageWrite:
      // Invariant 5: every page the snapshot references was written before the cut; make those
      // writes and the snapshot durable before any superblock names it.
      checkpoint.stage = kStageSyncData;
      checkpoint.outstanding = 2;
      store_.sync(file, make_io_tag(IoKind::kCheckpoint, kStageSyncData));
      store_.sync(StoreFile::kPages, make_io_tag(IoKind::kCheckpoint, kStageSyncData));
      return;
    case kStageSyncData: {
      checkpoint.stage = kStageWriteSuper;
      checkpoint.outstanding = 1;
      const Superblock superblock{
          config_.shard_id,  checkpoint.sequence,    checkpoint.wal_cut, checkpoint.payload_bytes,
          checkpoint.blocks, checkpoint.payload_crc, checkpoint.slot};
      auto block = buffers_.block(checkpoint.super_buffer);
      encode_superblock(superblock, block);
      VERIFY(decode_superblock(block).ok());  // pair assertion before the write
      store_.write(StoreFile::kSuper, checkpoint.sequence % 2, block,
                   make_io_tag(IoKind::kCheckpoint, kStageWriteSuper));
      return;
    }
    case kStageWriteSuper:
      checkpoint.stage = kStageSyncSuper;
      checkpoint.outstanding = 1;
      store_.sync(StoreFile::kSuper, make_io_tag(IoKind::kCheckpoint, kStageSyncSuper));
      return;
    case kStageSyncSuper:
      checkpoint_durable();
      return;
    default:
      VERIFY(false && "unknown checkpoint stage");
  }
}

void Shard::checkpoint_failed(int result) {
  ++stats_.checkpoint_failures;
  const uint64_t stage = checkpoint_->stage;
  const StoreOp op = stage == kStageGrow                                     ? StoreOp::kGrow
                     : (stage == kStageSyncData || stage == kStageSyncSuper) ? StoreOp::kSync
                                                                             : StoreOp::kWrite;
  health_.record_error(op, result < 0 ? result : -EIO);
  health_.failed(StoreRetry::kCheckpoint);
  if (checkpoint_->super_buffer != IoBufferPool::kNone) buffers_.release(checkpoint_->super_buffer);
  if (!checkpoint_->waiters.empty()) {
    // The next checkpoint answers them (without forcing pages again: they are mostly written).
    for (auto& waiter : checkpoint_->waiters) checkpoint_waiters_.push_back(std::move(waiter));
  }
  // The previous checkpoint still stands; pages released by this one stay unreusable until a
  // later checkpoint succeeds (PageAllocator keeps them in its releasing list).
  checkpoint_.reset();
  if (shutdown_done_) {
    // Shutting down on a store that cannot take a checkpoint: the previous checkpoint stands and
    // the log holds everything accepted since; once that is durable the next start replays it.
    checkpoint_waiters_.clear();
    wal_.commit();
    wal_.when_durable([this] {
      if (shutdown_done_) std::exchange(shutdown_done_, nullptr)(false);
    });
    return;
  }
  if (phase_ == Phase::kRecovering) {
    // Start-up cannot finish without this checkpoint; a transient error gets a few more tries.
    if (++recovery_->checkpoint_attempts < kRecoveryCheckpointAttempts) {
      begin_checkpoint();
    } else {
      fail_start("could not write the recovery checkpoint: " +
                 std::string(std::strerror(result < 0 ? -result : EIO)));
    }
  }
}

void Shard::checkpoint_durable() {
  health_.succeeded(StoreRetry::kCheckpoint);
  Checkpoint& checkpoint = *checkpoint_;
  std::vector<std::function<void()>> waiters;
  waiters.swap(checkpoint.waiters);
  checkpoint_sequence_ = checkpoint.sequence;
  snapshot_slot_ = checkpoint.slot;
  // Invariant 5: the superblock naming this checkpoint is durable, so the log before its cut
  // may be reused.
  wal_.release_before(checkpoint.wal_cut);
  if (checkpoint.super_buffer != IoBufferPool::kNone) buffers_.release(checkpoint.super_buffer);
  checkpoint_.reset();
  ++stats_.checkpoints;
  release_pending_ = true;
  release_if_unpinned();
  if (phase_ == Phase::kRecovering) {
    finish_recovery();
    return;
  }
  for (auto& done : waiters) done();
}

void Shard::release_if_unpinned() {
  if (!release_pending_ || queries_in_flight_ > 0) return;
  release_pending_ = false;
  allocator_.checkpoint_durable();
}

}  // namespace ringstat
