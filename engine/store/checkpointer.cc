// Checkpoints: snapshot the cut, write it into the free slot, sync it with the page file, then
// write and sync the superblock copy that names it. Afterwards the WAL before the cut and the
// pages retired before it may be reused (Invariants 3 and 5).
#include "engine/store/checkpointer.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "base/verify.h"
#include "engine/store/io_tag.h"

namespace ringstat {

namespace {

constexpr uint32_t kSnapshotWriteBlocks = 64;  // 256 KiB a write

StoreFile snapshot_file(uint8_t slot) {
  return slot == 0 ? StoreFile::kCheckpoint0 : StoreFile::kCheckpoint1;
}

}  // namespace

void Checkpointer::add_waiter(std::function<void()> done, bool pages_first) {
  waiters_.push_back(std::move(done));
  if (pages_first) pages_first_ = true;
}

void Checkpointer::add_shutdown_waiter(std::function<void(bool checkpointed)> done) {
  VERIFY(!shutdown_done_);
  shutdown_done_ = std::move(done);
  add_waiter(
      [this] {
        if (shutdown_done_) std::exchange(shutdown_done_, nullptr)(true);
      },
      false);
}

bool Checkpointer::wanted() const {
  // Pages of the last checkpoint are still pinned by a query.
  if (source_.retired_pages_pinned()) return false;
  if (!waiters_.empty()) return !pages_first_ || source_.flushes_idle();
  return source_.wal().used_blocks() >= source_.config().checkpoint_wal_blocks;
}

void Checkpointer::tick() {
  // After a failed checkpoint the next one waits out a backoff: each try serialises every counter.
  if (checkpoint_ == nullptr && wanted() && source_.health().may_try(StoreRetry::kCheckpoint)) {
    begin();
  }
}

void Checkpointer::begin() {
  VERIFY(checkpoint_ == nullptr);
  IoBufferPool& buffers = source_.buffers();
  if (buffers.available() == 0) return;  // try again on the next tick
  WalWriter& wal = source_.wal();
  PageAllocator& allocator = source_.allocator();
  auto checkpoint = std::make_unique<InProgress>();
  checkpoint->sequence = sequence_ + 1;
  checkpoint->slot = static_cast<uint8_t>(1 - slot_);
  // The cut: every record in a block before this sequence is reflected in the state below.
  wal.seal();
  checkpoint->wal_cut = wal.next_sequence();

  const std::vector<uint32_t> in_flight_pages = source_.pages_in_flight();
  SnapshotHeader header;
  source_.fill_snapshot_header(header);
  header.page_high_water = allocator.high_water();
  header.free_pages = allocator.begin_checkpoint(in_flight_pages);
  SnapshotWriter writer(source_.config().shard_id, checkpoint->sequence);
  writer.put_header(header);
  const uint32_t id_end = source_.counter_id_end();
  for (uint32_t id = 0; id < id_end; ++id) {
    if (source_.counter_live(id)) writer.put_counter(source_.snapshot_counter(id));
  }
  writer.finish();
  checkpoint->blocks = writer.block_count();
  checkpoint->payload_bytes = writer.payload_bytes();
  checkpoint->payload_crc = writer.payload_crc();
  checkpoint->image.allocate(writer.blocks().size());
  std::memcpy(checkpoint->image.data.get(), writer.blocks().data(), writer.blocks().size());
  checkpoint->super_buffer = buffers.acquire();
  // Only a checkpoint whose cut comes after a flush_all() or checkpoint_now() may answer it.
  checkpoint->waiters.swap(waiters_);
  pages_first_ = false;
  checkpoint_ = std::move(checkpoint);

  PageStore& store = source_.store();
  const StoreFile file = snapshot_file(checkpoint_->slot);
  if (store.block_count(file) < checkpoint_->blocks) {
    checkpoint_->stage = Stage::kGrow;
    checkpoint_->outstanding = 1;
    // Grow with headroom so a slowly growing store does not grow at every checkpoint.
    store.grow(file, uint64_t{checkpoint_->blocks} * 5 / 4 + 16,
               make_io_tag(IoKind::kCheckpoint, static_cast<uint64_t>(Stage::kGrow)));
    return;
  }
  on_io_complete(static_cast<uint64_t>(Stage::kGrow), 0);
}

void Checkpointer::on_io_complete(uint64_t payload, int result) {
  VERIFY(checkpoint_ != nullptr);
  InProgress& checkpoint = *checkpoint_;
  if (checkpoint.outstanding > 0) --checkpoint.outstanding;
  if (result < 0) checkpoint.failed = true;
  if (checkpoint.outstanding > 0) return;
  if (checkpoint.failed) {
    failed(result);
    return;
  }
  PageStore& store = source_.store();
  const StoreFile file = snapshot_file(checkpoint.slot);
  auto tag = [](Stage stage) {
    return make_io_tag(IoKind::kCheckpoint, static_cast<uint64_t>(stage));
  };
  switch (static_cast<Stage>(payload)) {
    case Stage::kGrow: {
      checkpoint.stage = Stage::kWrite;
      for (uint32_t block = 0; block < checkpoint.blocks; block += kSnapshotWriteBlocks) {
        const uint32_t count = std::min(kSnapshotWriteBlocks, checkpoint.blocks - block);
        ++checkpoint.outstanding;
        store.write(file, block,
                    checkpoint.image.span().subspan(size_t{block} * kStoreBlockBytes,
                                                    size_t{count} * kStoreBlockBytes),
                    tag(Stage::kWrite));
      }
      stats_.bytes_written += uint64_t{checkpoint.blocks} * kStoreBlockBytes;
      return;
    }
    case Stage::kWrite:
      // Invariant 5: every page the snapshot references was written before the cut; make those
      // writes and the snapshot durable before any superblock names it.
      checkpoint.stage = Stage::kSyncData;
      checkpoint.outstanding = 2;
      store.sync(file, tag(Stage::kSyncData));
      store.sync(StoreFile::kPages, tag(Stage::kSyncData));
      return;
    case Stage::kSyncData: {
      checkpoint.stage = Stage::kWriteSuper;
      checkpoint.outstanding = 1;
      const Superblock superblock{source_.config().shard_id,
                                  checkpoint.sequence,
                                  checkpoint.wal_cut,
                                  checkpoint.payload_bytes,
                                  checkpoint.blocks,
                                  checkpoint.payload_crc,
                                  checkpoint.slot};
      auto block = source_.buffers().block(checkpoint.super_buffer);
      encode_superblock(superblock, block);
      VERIFY(decode_superblock(block).ok());  // pair assertion before the write
      store.write(StoreFile::kSuper, checkpoint.sequence % 2, block, tag(Stage::kWriteSuper));
      return;
    }
    case Stage::kWriteSuper:
      checkpoint.stage = Stage::kSyncSuper;
      checkpoint.outstanding = 1;
      store.sync(StoreFile::kSuper, tag(Stage::kSyncSuper));
      return;
    case Stage::kSyncSuper:
      durable();
      return;
  }
  VERIFY(false && "unknown checkpoint stage");
}

void Checkpointer::failed(int result) {
  ++stats_.failures;
  const Stage stage = checkpoint_->stage;
  const StoreOp op = stage == Stage::kGrow                                       ? StoreOp::kGrow
                     : (stage == Stage::kSyncData || stage == Stage::kSyncSuper) ? StoreOp::kSync
                                                                                 : StoreOp::kWrite;
  StoreHealth& health = source_.health();
  health.record_error(op, result < 0 ? result : -EIO);
  health.failed(StoreRetry::kCheckpoint);
  if (checkpoint_->super_buffer != IoBufferPool::kNone) {
    source_.buffers().release(checkpoint_->super_buffer);
  }
  if (!checkpoint_->waiters.empty()) {
    // The next checkpoint answers them (without forcing pages again: they are mostly written).
    for (auto& waiter : checkpoint_->waiters) waiters_.push_back(std::move(waiter));
  }
  // The previous checkpoint still stands; pages released by this one stay unreusable until a
  // later checkpoint succeeds (PageAllocator keeps them in its releasing list).
  checkpoint_.reset();
  if (shutdown_done_) {
    // Shutting down on a store that cannot take a checkpoint: the previous checkpoint stands and
    // the log holds everything accepted since; once that is durable the next start replays it.
    waiters_.clear();
    WalWriter& wal = source_.wal();
    wal.commit();
    wal.when_durable([this] {
      if (shutdown_done_) std::exchange(shutdown_done_, nullptr)(false);
    });
    return;
  }
  if (source_.starting()) source_.start_checkpoint_failed(result);
}

void Checkpointer::durable() {
  source_.health().succeeded(StoreRetry::kCheckpoint);
  InProgress& checkpoint = *checkpoint_;
  std::vector<std::function<void()>> waiters;
  waiters.swap(checkpoint.waiters);
  sequence_ = checkpoint.sequence;
  slot_ = checkpoint.slot;
  // Invariant 5: the superblock naming this checkpoint is durable, so the log before its cut
  // may be reused.
  source_.wal().release_before(checkpoint.wal_cut);
  if (checkpoint.super_buffer != IoBufferPool::kNone) {
    source_.buffers().release(checkpoint.super_buffer);
  }
  checkpoint_.reset();
  ++stats_.checkpoints;
  source_.release_retired_pages();
  if (source_.starting()) {
    source_.start_checkpoint_durable();
    return;
  }
  for (auto& done : waiters) done();
}

}  // namespace ringstat
