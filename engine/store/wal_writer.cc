#include "engine/store/wal_writer.h"

#include "base/verify.h"
#include "engine/store/io_tag.h"

namespace ringstat {

WalWriter::WalWriter(uint32_t shard_id, PageStore& store, IoBufferPool& buffers,
                     StoreHealth& health)
    : shard_id_(shard_id), store_(store), buffers_(buffers), health_(health) {}

void WalWriter::reset(uint64_t block_count, uint64_t next_sequence, uint64_t tail_sequence) {
  VERIFY(block_count >= 4);
  VERIFY(tail_sequence <= next_sequence);
  VERIFY(next_sequence - tail_sequence < block_count);
  VERIFY(in_flight_.empty() && !sync_in_flight_);
  block_count_ = block_count;
  head_ = next_sequence;
  tail_ = tail_sequence;
  written_through_ = next_sequence - 1;
  sync_wanted_through_ = next_sequence - 1;
  durable_through_ = next_sequence - 1;
  builder_.reset();
}

bool WalWriter::make_room(size_t record_bytes) {
  // A record only goes into an open block that has a log slot to be sealed into: otherwise the
  // next commit could not seal it.
  if (builder_.free_bytes() >= record_bytes) {
    if (slot_free(1)) return true;
    ++stats_.full_rejections;
    return false;
  }
  // The open block is full: sealing it needs a free buffer, a slot for it and one for the next.
  if (!slot_free(2) || buffers_.available() == 0) {
    ++stats_.full_rejections;
    return false;
  }
  seal();
  return true;
}

bool WalWriter::append_sample(uint32_t counter_id, int64_t time, double value) {
  if (!make_room(builder_.sample_bytes(time))) return false;
  const bool appended = builder_.append_sample(counter_id, time, value);
  VERIFY(appended);
  return true;
}

bool WalWriter::append(const WalRecord& record) {
  if (!make_room(wal_record_bytes(record))) return false;
  const bool appended = builder_.append(record);
  VERIFY(appended);
  return true;
}

void WalWriter::seal() {
  if (builder_.empty()) return;
  VERIFY(head_ - tail_ + 1 < block_count_);
  const uint32_t buffer = buffers_.acquire();
  VERIFY(buffer != IoBufferPool::kNone);  // make_room() and the shard's reserve guarantee one
  builder_.seal(shard_id_, head_, buffers_.block(buffer));
  builder_.reset();
  in_flight_.push_back(InFlightWrite{head_, buffer, false});
  ++head_;
  submit_write(in_flight_.back());
}

void WalWriter::submit_write(InFlightWrite& write) {
  store_.write(StoreFile::kWal, write.sequence % block_count_, buffers_.block(write.buffer),
               make_io_tag(IoKind::kWalWrite, write.sequence));
}

void WalWriter::commit() {
  seal();
  sync_wanted_through_ = head_ - 1;
  maybe_sync();
}

void WalWriter::when_durable(std::function<void()> done) {
  VERIFY(builder_.empty());  // callers commit() first, so nothing is left in the open block
  const uint64_t target = head_ - 1;
  if (durable_through_ >= target) {
    done();
    return;
  }
  waiters_.emplace_back(target, std::move(done));
}

void WalWriter::release_before(uint64_t tail_sequence) {
  VERIFY(tail_sequence >= tail_ && tail_sequence <= head_);
  tail_ = tail_sequence;
}

void WalWriter::on_write_complete(uint64_t sequence, int result) {
  InFlightWrite* write = nullptr;
  for (InFlightWrite& candidate : in_flight_) {
    if (candidate.sequence == sequence) write = &candidate;
  }
  VERIFY(write != nullptr && !write->done);
  if (result < 0) {
    // The block slot is still ours and nobody was told it is durable: write it again, at the
    // next tick (a failing disk is not retried in a tight loop).
    ++stats_.write_errors;
    health_.record_error(StoreOp::kWrite, result);
    failed_writes_.push_back(sequence);
    return;
  }
  write->done = true;
  ++stats_.blocks_written;
  stats_.bytes_written += kWalBlockBytes;
  while (!in_flight_.empty() && in_flight_.front().done) {
    written_through_ = in_flight_.front().sequence;
    buffers_.release(in_flight_.front().buffer);
    in_flight_.pop_front();
  }
  maybe_sync();
}

void WalWriter::maybe_sync() {
  if (sync_in_flight_) return;
  if (sync_wanted_through_ <= durable_through_) return;
  if (written_through_ < sync_wanted_through_) return;  // wait until every wanted block is written
  sync_in_flight_ = true;
  store_.sync(StoreFile::kWal, make_io_tag(IoKind::kWalSync, written_through_));
}

void WalWriter::on_sync_complete(uint64_t through_sequence, int result) {
  VERIFY(sync_in_flight_);
  sync_in_flight_ = false;
  if (result < 0) {
    ++stats_.sync_errors;
    health_.record_error(StoreOp::kSync, result);
    sync_failed_ = true;  // retry_failed() tries again at the next tick
    return;
  }
  ++stats_.syncs;
  durable_through_ = std::max(durable_through_, through_sequence);
  run_waiters();
  maybe_sync();
}

void WalWriter::retry_failed() {
  std::vector<uint64_t> failed;
  failed.swap(failed_writes_);
  for (const uint64_t sequence : failed) {
    for (InFlightWrite& write : in_flight_) {
      if (write.sequence == sequence && !write.done) submit_write(write);
    }
  }
  if (sync_failed_) {
    sync_failed_ = false;
    maybe_sync();
  }
}

void WalWriter::run_waiters() {
  std::vector<std::function<void()>> ready;
  std::erase_if(waiters_, [&](auto& waiter) {
    if (waiter.first > durable_through_) return false;
    ready.push_back(std::move(waiter.second));
    return true;
  });
  for (auto& done : ready) done();
}

}  // namespace ringstat
