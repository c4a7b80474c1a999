// Shard start-up: create a fresh store, or recover one: the newest valid superblock, its
// snapshot, then every WAL block from the snapshot's cut until the first block that is not the
// expected next one; then a checkpoint, so the next start replays nothing from this one.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <variant>

#include "base/verify.h"
#include "engine/store/io_tag.h"
#include "engine/store/shard.h"
#include "engine/store/shard_jobs.h"
#include "fileformat/page_format.h"

namespace ringstat {

namespace {

enum RecoveryStage : uint64_t {
  kStageGrowFresh = 1,
  kStageReadSuper = 2,
  kStageReadSnapshot = 3,
  kStageReadWal = 4,
};
constexpr uint32_t kReadChunkBlocks = 64;
// Replay pauses for page flushes unless the staging pool can take one more full WAL block.
constexpr uint32_t kReplayHeadroomEntries = kMaxWalRecordsPerBlock * kMaxRetentionLevels;

}  // namespace

void Shard::start() {
  VERIFY(phase_ == Phase::kNew);
  VERIFY(config_.staging_entries >= 4 * kReplayHeadroomEntries);
  phase_ = Phase::kRecovering;
  recovery_ = std::make_unique<Recovery>();
  if (store_.block_count(StoreFile::kSuper) == 0) {
    initialise_fresh_store();
  } else {
    read_superblocks();
  }
}

void Shard::fail_start(std::string message) {
  phase_ = Phase::kFailed;
  start_error_ = "shard " + std::to_string(config_.shard_id) + ": " + std::move(message);
}

void Shard::initialise_fresh_store() {
  recovery_->stage = kStageGrowFresh;
  recovery_->outstanding = 3;
  store_.grow(StoreFile::kSuper, 2, make_io_tag(IoKind::kRecovery, kStageGrowFresh));
  store_.grow(StoreFile::kWal, config_.wal_blocks, make_io_tag(IoKind::kRecovery, kStageGrowFresh));
  store_.grow(StoreFile::kPages, config_.page_grow_blocks,
              make_io_tag(IoKind::kRecovery, kStageGrowFresh));
}

void Shard::read_superblocks() {
  recovery_->stage = kStageReadSuper;
  recovery_->outstanding = 1;
  if (store_.block_count(StoreFile::kSuper) < 2) {
    fail_start("superblock file is shorter than two blocks");
    return;
  }
  recovery_->bytes.allocate(2 * kSuperblockBytes);
  store_.read(StoreFile::kSuper, 0, recovery_->bytes.span(),
              make_io_tag(IoKind::kRecovery, kStageReadSuper));
}

void Shard::on_recovery_io(uint64_t step, int result) {
  Recovery& recovery = *recovery_;
  VERIFY(recovery.outstanding > 0);
  --recovery.outstanding;
  if (result < 0 && recovery.error == 0) recovery.error = result;
  if (recovery.outstanding > 0) return;
  if (recovery.error != 0) {
    fail_start(std::string("I/O error during start-up: ") + std::strerror(-recovery.error));
    return;
  }
  switch (step) {
    case kStageGrowFresh:
      retentions_ = {config_.retention};
      config_retention_slot_ = 0;
      allocator_.reset(1, {});
      wal_.reset(store_.block_count(StoreFile::kWal), 1, 1);
      begin_checkpoint();
      return;
    case kStageReadSuper: {
      auto bytes = recovery.bytes.span();
      std::optional<Superblock> best;
      for (size_t copy = 0; copy < 2; ++copy) {
        auto block = std::span<const std::byte, kSuperblockBytes>(
            bytes.data() + copy * kSuperblockBytes, kSuperblockBytes);
        Result<Superblock> decoded = decode_superblock(block);
        if (!decoded.ok() || decoded.value().shard_id != config_.shard_id) continue;
        if (!best || decoded.value().checkpoint_sequence > best->checkpoint_sequence) {
          best = decoded.value();
        }
      }
      if (!best) {
        fail_start("no valid superblock (both copies fail their checks)");
        return;
      }
      recovery.superblock = *best;
      const StoreFile file =
          best->snapshot_slot == 0 ? StoreFile::kCheckpoint0 : StoreFile::kCheckpoint1;
      if (store_.block_count(file) < best->snapshot_blocks || best->snapshot_blocks == 0) {
        fail_start("checkpoint file is shorter than its superblock says");
        return;
      }
      recovery.stage = kStageReadSnapshot;
      recovery.bytes.allocate(size_t{best->snapshot_blocks} * kStoreBlockBytes);
      for (uint32_t block = 0; block < best->snapshot_blocks; block += kReadChunkBlocks) {
        const uint32_t count = std::min(kReadChunkBlocks, best->snapshot_blocks - block);
        ++recovery.outstanding;
        store_.read(file, block,
                    recovery.bytes.span().subspan(size_t{block} * kStoreBlockBytes,
                                                  size_t{count} * kStoreBlockBytes),
                    make_io_tag(IoKind::kRecovery, kStageReadSnapshot));
      }
      return;
    }
    case kStageReadSnapshot:
      load_snapshot();
      return;
    case kStageReadWal:
      continue_replay();
      return;
    default:
      VERIFY(false && "unknown recovery stage");
  }
}

void Shard::load_snapshot() {
  Recovery& recovery = *recovery_;
  Result<SnapshotReader> opened = SnapshotReader::open(recovery.bytes.span(), recovery.superblock);
  if (!opened.ok()) {
    fail_start("checkpoint snapshot: " + opened.error());
    return;
  }
  SnapshotReader& reader = opened.value();
  Result<SnapshotHeader> header = reader.read_header();
  if (!header.ok()) {
    fail_start("checkpoint snapshot header: " + header.error());
    return;
  }
  retentions_.clear();
  for (const SnapshotRetention& retention : header.value().retentions) {
    if (retention.slot != retentions_.size()) {
      fail_start("checkpoint snapshot: retention slots out of order");
      return;
    }
    retentions_.push_back(Retention{retention.levels});
  }
  next_counter_id_ = header.value().next_counter_id;
  next_write_sequence_ = header.value().next_write_sequence;
  allocator_.reset(header.value().page_high_water, header.value().free_pages);
  checkpoint_sequence_ = recovery.superblock.checkpoint_sequence;
  snapshot_slot_ = recovery.superblock.snapshot_slot;
  for (;;) {
    Result<std::optional<SnapshotCounter>> next = reader.next_counter();
    if (!next.ok()) {
      fail_start("checkpoint snapshot counter: " + next.error());
      return;
    }
    if (!next.value().has_value()) break;
    Status restored = restore_counter(*next.value());
    if (!restored.ok()) {
      fail_start("checkpoint snapshot counter: " + restored.error());
      return;
    }
  }
  recovery.bytes = AlignedBytes{};
  recovery.wal_blocks = store_.block_count(StoreFile::kWal);
  if (recovery.wal_blocks < 4) {
    fail_start("write-ahead log file is too short");
    return;
  }
  replay_wal_from(recovery.superblock.wal_replay_sequence);
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
    }
    map.first_page_number = saved.first_page_number;
    map.disk_pages = saved.disk_pages;
    for (const SnapshotStagedBucket& staged : saved.staged) {
      const bool raw = (staged.flags & kStagedEventRaw) != 0;
      if (raw && (l != 0 || counter.kind != CounterKind::kEvent)) {
        return Error{"raw event bucket outside an event counter's finest level"};
      }
      if (staging_.used() + kReplayHeadroomEntries >= staging_.capacity()) {
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

void Shard::replay_wal_from(uint64_t sequence) {
  Recovery& recovery = *recovery_;
  recovery.next_sequence = sequence;
  recovery.batch_first = sequence;
  recovery.batch_blocks = 0;
  continue_replay();
}

bool Shard::replay_paused_for_flushes() {
  return recovery_ != nullptr && recovery_->paused_for_flushes && idle_for_flush_all();
}

// Applies the blocks of the batch in hand, then reads the next batch. Pauses (and flushes
// pages) whenever the staging pool could not take a whole block more.
void Shard::continue_replay() {
  Recovery& recovery = *recovery_;
  recovery.stage = kStageReadWal;
  recovery.paused_for_flushes = false;
  auto bytes = recovery.bytes.span();
  while (recovery.next_sequence < recovery.batch_first + recovery.batch_blocks) {
    if (staging_.used() + kReplayHeadroomEntries >= staging_.capacity()) {
      pump_flushes(true);
      if (idle_for_flush_all()) {
        fail_start("staging pool too small to replay the write-ahead log");
        return;
      }
      recovery.paused_for_flushes = true;
      return;  // finish_flush() calls back here once every flush is done
    }
    const size_t offset = (recovery.next_sequence - recovery.batch_first) * kWalBlockBytes;
    auto block = std::span<const std::byte, kWalBlockBytes>(bytes.data() + offset, kWalBlockBytes);
    if (!replay_block(block, recovery.next_sequence)) {
      if (phase_ == Phase::kFailed) return;
      finish_recovery();
      return;
    }
    ++recovery.next_sequence;
  }
  // Read the next batch, never wrapping inside one read.
  const uint64_t position = recovery.next_sequence % recovery.wal_blocks;
  const auto count =
      static_cast<uint32_t>(std::min<uint64_t>(kReadChunkBlocks, recovery.wal_blocks - position));
  recovery.batch_first = recovery.next_sequence;
  recovery.batch_blocks = count;
  recovery.bytes.allocate(size_t{count} * kWalBlockBytes);
  recovery.outstanding = 1;
  store_.read(StoreFile::kWal, position, recovery.bytes.span(),
              make_io_tag(IoKind::kRecovery, kStageReadWal));
}

bool Shard::replay_block(std::span<const std::byte, kWalBlockBytes> block, uint64_t sequence) {
  Result<WalBlockHeader> header = decode_wal_block_header(block);
  // The end of the log: a block from an older lap, a torn or never-written block.
  if (!header.ok() || header.value().block_sequence != sequence ||
      header.value().shard_id != config_.shard_id) {
    return false;
  }
  Result<std::vector<WalRecord>> records = decode_wal_records(block);
  if (!records.ok()) return false;
  for (const WalRecord& record : records.value()) {
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
  return true;
}

void Shard::finish_recovery() {
  Recovery& recovery = *recovery_;
  if (recovery.stage == kStageReadWal) {
    // Blocks after the end of the log may still hold valid-looking blocks of unsynced writes.
    // Skipping a whole lap makes every sequence expected from now on differ from anything on
    // disk (Invariant 4); the checkpoint below makes the skipped range unneeded.
    const uint64_t next = recovery.next_sequence + recovery.wal_blocks;
    wal_.reset(recovery.wal_blocks, next, next);
    config_retention_slot_ = retention_slot_for(config_.retention);
    recovery.stage = 0;
    begin_checkpoint();
    return;
  }
  // The recovery checkpoint is durable.
  recovery_.reset();
  phase_ = Phase::kReady;
  finalize_events(clock_.now_s());
}

}  // namespace ringstat
