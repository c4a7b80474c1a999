// Shard start-up: a fresh store is grown and checkpointed empty; an existing one is read back
// from its newest valid superblock, the snapshot it names and the log after the snapshot's cut,
// then checkpointed so the next start replays nothing from this one.
#include "engine/store/recovery.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>

#include "base/verify.h"
#include "engine/store/io_tag.h"

namespace ringstat {

namespace {

constexpr uint32_t kReadChunkBlocks = 64;
constexpr uint32_t kRecoveryCheckpointAttempts = 8;

}  // namespace

void Recovery::start() {
  VERIFY(stage_ == Stage::kNone);
  VERIFY(target_.config().staging_entries >= 4 * kReplayHeadroomEntries);
  if (target_.store().block_count(StoreFile::kSuper) == 0) {
    initialise_fresh_store();
  } else {
    read_superblocks();
  }
}

void Recovery::fail(std::string message) {
  stage_ = Stage::kFailed;
  target_.start_failed(std::move(message));
}

void Recovery::initialise_fresh_store() {
  const ShardConfig& config = target_.config();
  PageStore& store = target_.store();
  const uint64_t tag = make_io_tag(IoKind::kRecovery, static_cast<uint64_t>(Stage::kGrowFresh));
  stage_ = Stage::kGrowFresh;
  outstanding_ = 3;
  store.grow(StoreFile::kSuper, 2, tag);
  store.grow(StoreFile::kWal, config.wal_blocks, tag);
  store.grow(StoreFile::kPages, config.page_grow_blocks, tag);
}

void Recovery::read_superblocks() {
  PageStore& store = target_.store();
  stage_ = Stage::kReadSuper;
  outstanding_ = 1;
  if (store.block_count(StoreFile::kSuper) < 2) {
    fail("superblock file is shorter than two blocks");
    return;
  }
  bytes_.allocate(2 * kSuperblockBytes);
  store.read(StoreFile::kSuper, 0, bytes_.span(),
             make_io_tag(IoKind::kRecovery, static_cast<uint64_t>(Stage::kReadSuper)));
}

void Recovery::on_io_complete(uint64_t payload, int result) {
  VERIFY(outstanding_ > 0);
  --outstanding_;
  if (result < 0 && error_ == 0) error_ = result;
  if (outstanding_ > 0) return;
  if (error_ != 0) {
    fail(std::string("I/O error during start-up: ") + std::strerror(-error_));
    return;
  }
  switch (static_cast<Stage>(payload)) {
    case Stage::kGrowFresh:
      target_.restore_fresh();
      target_.allocator().reset(1, {});
      target_.wal().reset(target_.store().block_count(StoreFile::kWal), 1, 1);
      stage_ = Stage::kCheckpoint;
      target_.begin_checkpoint();
      return;
    case Stage::kReadSuper:
      read_snapshot();
      return;
    case Stage::kReadSnapshot:
      load_snapshot();
      return;
    case Stage::kReadWal:
      continue_replay();
      return;
    case Stage::kNone:
    case Stage::kCheckpoint:
    case Stage::kDone:
    case Stage::kFailed:
      break;
  }
  VERIFY(false && "unknown recovery stage");
}

// Picks the newest valid superblock copy and reads the snapshot it names.
void Recovery::read_snapshot() {
  const ShardConfig& config = target_.config();
  PageStore& store = target_.store();
  auto bytes = bytes_.span();
  std::optional<Superblock> best;
  for (size_t copy = 0; copy < 2; ++copy) {
    auto block = std::span<const std::byte, kSuperblockBytes>(
        bytes.data() + copy * kSuperblockBytes, kSuperblockBytes);
    Result<Superblock> decoded = decode_superblock(block);
    if (!decoded.ok() || decoded.value().shard_id != config.shard_id) continue;
    if (!best || decoded.value().checkpoint_sequence > best->checkpoint_sequence) {
      best = decoded.value();
    }
  }
  if (!best) {
    fail("no valid superblock (both copies fail their checks)");
    return;
  }
  superblock_ = *best;
  const StoreFile file =
      best->snapshot_slot == 0 ? StoreFile::kCheckpoint0 : StoreFile::kCheckpoint1;
  if (store.block_count(file) < best->snapshot_blocks || best->snapshot_blocks == 0) {
    fail("checkpoint file is shorter than its superblock says");
    return;
  }
  stage_ = Stage::kReadSnapshot;
  bytes_.allocate(size_t{best->snapshot_blocks} * kStoreBlockBytes);
  for (uint32_t block = 0; block < best->snapshot_blocks; block += kReadChunkBlocks) {
    const uint32_t count = std::min(kReadChunkBlocks, best->snapshot_blocks - block);
    ++outstanding_;
    store.read(
        file, block,
        bytes_.span().subspan(size_t{block} * kStoreBlockBytes, size_t{count} * kStoreBlockBytes),
        make_io_tag(IoKind::kRecovery, static_cast<uint64_t>(Stage::kReadSnapshot)));
  }
}

void Recovery::load_snapshot() {
  Result<SnapshotReader> opened = SnapshotReader::open(bytes_.span(), superblock_);
  if (!opened.ok()) {
    fail("checkpoint snapshot: " + opened.error());
    return;
  }
  SnapshotReader& reader = opened.value();
  Result<SnapshotHeader> header = reader.read_header();
  if (!header.ok()) {
    fail("checkpoint snapshot header: " + header.error());
    return;
  }
  Status restored_header = target_.restore_header(header.value());
  if (!restored_header.ok()) {
    fail("checkpoint snapshot: " + restored_header.error());
    return;
  }
  target_.allocator().reset(header.value().page_high_water, header.value().free_pages);
  target_.restore_checkpoint(superblock_.checkpoint_sequence, superblock_.snapshot_slot);
  for (;;) {
    Result<std::optional<SnapshotCounter>> next = reader.next_counter();
    if (!next.ok()) {
      fail("checkpoint snapshot counter: " + next.error());
      return;
    }
    if (!next.value().has_value()) break;
    Status restored = target_.restore_counter(*next.value());
    if (!restored.ok()) {
      fail("checkpoint snapshot counter: " + restored.error());
      return;
    }
  }
  bytes_ = AlignedBytes{};
  wal_blocks_ = target_.store().block_count(StoreFile::kWal);
  if (wal_blocks_ < 4) {
    fail("write-ahead log file is too short");
    return;
  }
  replay_wal_from(superblock_.wal_replay_sequence);
}

void Recovery::replay_wal_from(uint64_t sequence) {
  next_sequence_ = sequence;
  batch_first_ = sequence;
  batch_blocks_ = 0;
  continue_replay();
}

void Recovery::flush_finished() {
  if (paused_for_flushes_ && target_.flushes_idle()) continue_replay();
}

// Applies the blocks of the batch in hand, then reads the next batch. Pauses (and flushes
// pages) whenever the staging pool could not take a whole block more.
void Recovery::continue_replay() {
  const StagingPool& staging = target_.staging();
  stage_ = Stage::kReadWal;
  paused_for_flushes_ = false;
  auto bytes = bytes_.span();
  while (next_sequence_ < batch_first_ + batch_blocks_) {
    if (staging.used() + kReplayHeadroomEntries >= staging.capacity()) {
      target_.flush_for_replay();
      if (target_.flushes_idle()) {
        fail("staging pool too small to replay the write-ahead log");
        return;
      }
      paused_for_flushes_ = true;
      return;  // flush_finished() calls back here once every flush is done
    }
    const size_t offset = (next_sequence_ - batch_first_) * kWalBlockBytes;
    auto block = std::span<const std::byte, kWalBlockBytes>(bytes.data() + offset, kWalBlockBytes);
    if (!replay_block(block, next_sequence_)) {
      if (stage_ == Stage::kFailed) return;
      finish_replay();
      return;
    }
    ++next_sequence_;
  }
  // Read the next batch, never wrapping inside one read.
  const uint64_t position = next_sequence_ % wal_blocks_;
  const auto count =
      static_cast<uint32_t>(std::min<uint64_t>(kReadChunkBlocks, wal_blocks_ - position));
  batch_first_ = next_sequence_;
  batch_blocks_ = count;
  bytes_.allocate(size_t{count} * kWalBlockBytes);
  outstanding_ = 1;
  target_.store().read(StoreFile::kWal, position, bytes_.span(),
                       make_io_tag(IoKind::kRecovery, static_cast<uint64_t>(Stage::kReadWal)));
}

bool Recovery::replay_block(std::span<const std::byte, kWalBlockBytes> block, uint64_t sequence) {
  Result<WalBlockHeader> header = decode_wal_block_header(block);
  // The end of the log: a block from an older lap, a torn or never-written block.
  if (!header.ok() || header.value().block_sequence != sequence ||
      header.value().shard_id != target_.config().shard_id) {
    return false;
  }
  Result<std::vector<WalRecord>> records = decode_wal_records(block);
  if (!records.ok()) return false;
  for (const WalRecord& record : records.value()) target_.replay_record(record);
  return true;
}

void Recovery::finish_replay() {
  // Blocks after the end of the log may still hold valid-looking blocks of unsynced writes.
  // Skipping a whole lap makes every sequence expected from now on differ from anything on
  // disk (Invariant 4); the checkpoint below makes the skipped range unneeded.
  const uint64_t next = next_sequence_ + wal_blocks_;
  target_.wal().reset(wal_blocks_, next, next);
  target_.replay_finished();
  stage_ = Stage::kCheckpoint;
  target_.begin_checkpoint();
}

void Recovery::checkpoint_durable() {
  VERIFY(stage_ == Stage::kCheckpoint);
  stage_ = Stage::kDone;
}

void Recovery::checkpoint_failed(int result) {
  VERIFY(stage_ == Stage::kCheckpoint);
  // Start-up cannot finish without this checkpoint; a transient error gets a few more tries.
  if (++checkpoint_attempts_ < kRecoveryCheckpointAttempts) {
    target_.begin_checkpoint();
  } else {
    fail("could not write the recovery checkpoint: " +
         std::string(std::strerror(result < 0 ? -result : EIO)));
  }
}

}  // namespace ringstat
