// Shard page flushes: staged buckets of one counter level and one page go into a new copy of
// that page (copy-on-write, Invariant 3), read-modify-write when an older copy exists; retention
// expiry of pages and staged buckets.
#include <algorithm>
#include <cerrno>

#include "base/verify.h"
#include "engine/store/io_tag.h"
#include "engine/store/shard.h"
#include "engine/store/shard_jobs.h"
#include "fileformat/page_format.h"

namespace ringstat {

uint32_t Shard::buffers_for_jobs() const {
  const uint32_t available = buffers_.available();
  return available > config_.wal_reserved_buffers ? available - config_.wal_reserved_buffers : 0;
}

void Shard::note_staged(uint32_t id, size_t level_index) {
  LevelState& state = level(id, level_index);
  ++state.staged_final;
  if (state.staged_final >= config_.flush_threshold && !state.queued) {
    state.queued = true;
    flush_queue_.emplace_back(id, static_cast<uint8_t>(level_index));
  }
}

void Shard::pump_flushes(bool force) {
  // A page file that is full and failed to grow is not tried again before its backoff ends: the
  // buckets stay staged and durable in the log meanwhile.
  if (!allocator_.can_allocate(store_.block_count(StoreFile::kPages)) &&
      !health_.may_try(StoreRetry::kPageGrow)) {
    return;
  }
  // Queued levels first: they reached the threshold.
  size_t consumed = 0;
  for (; consumed < flush_queue_.size(); ++consumed) {
    if (free_flush_jobs_.empty() || buffers_for_jobs() == 0) break;
    const auto [id, l] = flush_queue_[consumed];
    if (!counters_[id].live || l >= counters_[id].level_count) continue;
    LevelState& state = level(id, l);
    state.queued = false;
    if (state.flush_job == kNoJob && state.staged_final > 0) start_flush(id, l);
  }
  flush_queue_.erase(flush_queue_.begin(), flush_queue_.begin() + static_cast<long>(consumed));

  // Under staging pressure (or when everything must reach pages), sweep counters with a clock
  // hand. A level whose only staged bucket is its open one would be written again at once, so
  // it is taken only when the pool is nearly full.
  const uint64_t used = staging_.used();
  const uint64_t capacity = staging_.capacity();
  const bool pressure = used * 8 > capacity * 5;
  const bool severe = used * 8 > capacity * 7;
  if (!force && !pressure) return;
  const uint32_t least_staged = (force || severe) ? 1 : 2;
  const size_t count = counters_.size();
  for (size_t visited = 0; visited < count; ++visited) {
    if (free_flush_jobs_.empty() || buffers_for_jobs() == 0) return;
    const uint32_t id = pressure_hand_++ % static_cast<uint32_t>(count);
    if (!counters_[id].live) continue;
    for (size_t l = 0; l < counters_[id].level_count; ++l) {
      LevelState& state = level(id, l);
      if (state.flush_job == kNoJob && state.staged_final >= least_staged) start_flush(id, l);
      if (free_flush_jobs_.empty() || buffers_for_jobs() == 0) return;
    }
  }
}

bool Shard::start_flush(uint32_t id, size_t level_index) {
  LevelState& state = level(id, level_index);
  VERIFY(state.flush_job == kNoJob);
  // The page of the oldest staged final bucket goes first.
  int64_t oldest = INT64_MAX;
  for (uint32_t e = state.staged_head; e != kNoEntry; e = staging_.at(e).next) {
    const StagedEntry& entry = staging_.at(e);
    if (!(entry.flags & kStagedEventRaw)) oldest = std::min(oldest, entry.index);
  }
  if (oldest == INT64_MAX) return false;
  const int64_t page_number = page_number_of(oldest);

  const uint32_t slot = free_flush_jobs_.back();
  free_flush_jobs_.pop_back();
  FlushJob& job = flush_jobs_[slot];
  job = FlushJob{};
  job.active = true;
  job.counter_id = id;
  job.generation = counters_[id].generation;
  job.level = static_cast<uint8_t>(level_index);
  job.page_number = page_number;
  job.old_page = disk_page(page_map(id, level_index), page_number);
  job.buffer = buffers_.acquire();
  VERIFY(job.buffer != IoBufferPool::kNone);

  // Move this page's final entries from the level's list to the job's list.
  uint32_t* link = &state.staged_head;
  while (*link != kNoEntry) {
    StagedEntry& entry = staging_.at(*link);
    if (!(entry.flags & kStagedEventRaw) && page_number_of(entry.index) == page_number) {
      const uint32_t taken = *link;
      *link = entry.next;
      entry.next = job.entries;
      job.entries = taken;
      VERIFY(state.staged_final > 0);
      --state.staged_final;
    } else {
      link = &entry.next;
    }
  }
  VERIFY(job.entries != kNoEntry);
  state.flush_job = slot;

  if (job.old_page != PageAllocator::kNoPage) {
    store_.read(StoreFile::kPages, job.old_page, buffers_.block(job.buffer),
                make_io_tag(IoKind::kFlushRead, slot));
  } else {
    std::fill(buffers_.block(job.buffer).begin(), buffers_.block(job.buffer).end(), std::byte{0});
    write_flush_page(slot);
  }
  return true;
}

void Shard::on_flush_read(uint32_t slot, int result) {
  FlushJob& job = flush_jobs_[slot];
  VERIFY(job.active);
  auto block = buffers_.block(job.buffer);
  if (result < 0) {
    ++stats_.page_read_errors;
    health_.record_error(StoreOp::kRead, result);
    finish_flush(slot);  // entries go back to staging; the next flush tries again
    return;
  }
  ++stats_.page_reads;
  const Result<PageImage> old = decode_page(block);
  const bool matches = old.ok() && old.value().header.counter_id == job.counter_id &&
                       old.value().header.level == job.level &&
                       old.value().header.page_number == job.page_number;
  if (!matches) {
    // A page that fails its checks is counted and its content is not carried over: corruption is
    // contained to the buckets of that page, never served (docs/architecture.md, "Corruption").
    ++stats_.pages_corrupt;
    std::fill(block.begin(), block.end(), std::byte{0});
  }
  write_flush_page(slot);
}

void Shard::write_flush_page(uint32_t slot) {
  FlushJob& job = flush_jobs_[slot];
  const bool counter_gone =
      !counters_[job.counter_id].live || counters_[job.counter_id].generation != job.generation;
  if (counter_gone) {
    finish_flush(slot);
    return;
  }
  if (job.new_page == PageAllocator::kNoPage) {
    job.new_page = allocator_.allocate(store_.block_count(StoreFile::kPages));
    if (job.new_page == PageAllocator::kNoPage) {
      // The page file is full: grow it, and continue when the space is there.
      job.waiting_for_space = true;
      jobs_waiting_for_space_.push_back(slot);
      if (!growing_pages_) {
        growing_pages_ = true;
        store_.grow(StoreFile::kPages,
                    store_.block_count(StoreFile::kPages) + config_.page_grow_blocks,
                    make_io_tag(IoKind::kPageGrow, 0));
      }
      return;
    }
  }
  auto block = buffers_.block(job.buffer);
  PageImage image;
  if (page_is_all_zero(block)) {
    image.buckets.fill(Bucket{});
  } else {
    Result<PageImage> old = decode_page(block);
    VERIFY(old.ok());  // checked on read
    image = old.value();
  }
  const Counter& counter = counters_[job.counter_id];
  image.header = PageHeader{job.level,       counter.kind,
                            job.counter_id,  retention_level(job.counter_id, job.level).interval_s,
                            job.page_number, next_write_sequence_++};
  for (uint32_t e = job.entries; e != kNoEntry; e = staging_.at(e).next) {
    const StagedEntry& entry = staging_.at(e);
    // A late bucket joining its page was checked against its staged part only; past the exact
    // range the page saturates rather than wrapping (Bucket::merge), and it is counted.
    if (image.buckets[slot_of(entry.index)].merge(entry.bucket)) ++stats_.buckets_saturated;
  }
  encode_page(image, block);
  // Pair assertion: what goes to disk decodes to what we meant to write.
  VERIFY(decode_page(block).ok());
  store_.write(StoreFile::kPages, job.new_page, block, make_io_tag(IoKind::kFlushWrite, slot));
}

void Shard::on_grow(int result) {
  VERIFY(growing_pages_);
  growing_pages_ = false;
  if (result < 0) {
    ++stats_.no_space;
    health_.record_error(StoreOp::kGrow, result);
    health_.failed(StoreRetry::kPageGrow);
  } else {
    health_.succeeded(StoreRetry::kPageGrow);
  }
  std::vector<uint32_t> waiting;
  waiting.swap(jobs_waiting_for_space_);
  for (uint32_t slot : waiting) {
    FlushJob& job = flush_jobs_[slot];
    job.waiting_for_space = false;
    if (result < 0) {
      finish_flush(slot);  // a full disk: entries stay staged and durable in the WAL
    } else {
      write_flush_page(slot);
    }
  }
}

void Shard::on_flush_write(uint32_t slot, int result) {
  FlushJob& job = flush_jobs_[slot];
  VERIFY(job.active && job.new_page != PageAllocator::kNoPage);
  const bool counter_live =
      counters_[job.counter_id].live && counters_[job.counter_id].generation == job.generation;
  if (result < 0 || !counter_live) {
    if (result < 0) {
      ++stats_.page_write_errors;
      health_.record_error(StoreOp::kWrite, result);
    }
    allocator_.abandon(job.new_page);
    job.new_page = PageAllocator::kNoPage;
    finish_flush(slot);
    return;
  }
  ++stats_.page_writes;
  stats_.page_bytes_written += kPageBytes;
  // A page found room (freed pages or a grown file): the page file is healthy again.
  health_.succeeded(StoreRetry::kPageGrow);
  PageMap& map = page_map(job.counter_id, job.level);
  allocator_.commit(job.new_page);
  if (job.old_page != PageAllocator::kNoPage) {
    VERIFY(disk_page(map, job.page_number) == job.old_page);
    allocator_.retire(job.old_page);
  } else {
    VERIFY(disk_page(map, job.page_number) == PageAllocator::kNoPage);
    ++stats_.pages_live[job.level];  // a new copy of an old page replaces it; this one is new
  }
  set_disk_page(map, job.page_number, job.new_page);
  // The page now holds these buckets: they leave staging.
  uint32_t e = job.entries;
  while (e != kNoEntry) {
    const uint32_t next = staging_.at(e).next;
    staging_.release(e);
    e = next;
  }
  job.entries = kNoEntry;
  finish_flush(slot);
}

void Shard::finish_flush(uint32_t slot) {
  FlushJob& job = flush_jobs_[slot];
  Counter& counter = counters_[job.counter_id];
  const bool counter_live = counter.live && counter.generation == job.generation;
  // Entries still attached (a failed read or write) return to the level, or are dropped with
  // their deleted counter.
  uint32_t e = job.entries;
  while (e != kNoEntry) {
    const uint32_t next = staging_.at(e).next;
    if (counter_live) {
      link_staged(job.counter_id, job.level, e);
      ++level(job.counter_id, job.level).staged_final;
    } else {
      staging_.release(e);
    }
    e = next;
  }
  if (job.level < counter.level_count) {
    LevelState& state = levels_[counter.first_level + job.level];
    if (state.flush_job == slot) state.flush_job = kNoJob;
    if (counter_live && state.staged_final >= config_.flush_threshold && !state.queued) {
      state.queued = true;
      flush_queue_.emplace_back(job.counter_id, job.level);
    }
  }
  buffers_.release(job.buffer);
  job = FlushJob{};
  free_flush_jobs_.push_back(slot);
  flush_finished();
}

uint32_t Shard::disk_page(const PageMap& map, int64_t page_number) const {
  const int64_t offset = page_number - map.first_page_number;
  if (map.disk_pages.empty() || offset < 0 ||
      offset >= static_cast<int64_t>(map.disk_pages.size())) {
    return PageAllocator::kNoPage;
  }
  return map.disk_pages[static_cast<size_t>(offset)];
}

void Shard::set_disk_page(PageMap& map, int64_t page_number, uint32_t page) {
  if (map.disk_pages.empty()) {
    map.first_page_number = page_number;
    map.disk_pages.push_back(page);
    return;
  }
  if (page_number < map.first_page_number) {
    const auto missing = static_cast<size_t>(map.first_page_number - page_number);
    map.disk_pages.insert(map.disk_pages.begin(), missing, PageAllocator::kNoPage);
    map.first_page_number = page_number;
  }
  const auto offset = static_cast<size_t>(page_number - map.first_page_number);
  if (offset >= map.disk_pages.size()) map.disk_pages.resize(offset + 1, PageAllocator::kNoPage);
  map.disk_pages[offset] = page;
}

void Shard::expire_some(int64_t now) {
  if (counters_.empty()) return;
  const uint32_t count = static_cast<uint32_t>(counters_.size());
  const uint32_t visits = std::min(count, config_.expiry_counters_per_tick);
  for (uint32_t i = 0; i < visits; ++i) {
    const uint32_t id = expiry_hand_++ % count;
    if (counters_[id].live) expire_counter(id, now);
  }
}

void Shard::expire_counter(uint32_t id, int64_t now) {
  for (size_t l = 0; l < counters_[id].level_count; ++l) {
    const RetentionLevel& rl = retention_level(id, l);
    const int64_t oldest_index =
        floor_div(now - static_cast<int64_t>(rl.retention_s), rl.interval_s);
    LevelState& state = level(id, l);
    PageMap& map = page_map(id, l);
    // Whole pages older than the retention leave the map; a page in a flush waits.
    if (state.flush_job == kNoJob) {
      size_t drop = 0;
      while (drop < map.disk_pages.size() && (map.first_page_number + static_cast<int64_t>(drop) +
                                              1) * static_cast<int64_t>(kBucketsPerPage) <=
                                                 oldest_index) {
        if (map.disk_pages[drop] != PageAllocator::kNoPage) {
          allocator_.retire(map.disk_pages[drop]);
          ++stats_.pages_expired;
          VERIFY(stats_.pages_live[l] > 0);
          --stats_.pages_live[l];
        }
        ++drop;
      }
      if (drop > 0) {
        map.disk_pages.erase(map.disk_pages.begin(),
                             map.disk_pages.begin() + static_cast<long>(drop));
        map.first_page_number += static_cast<int64_t>(drop);
      }
    }
    // Staged buckets older than the retention leave too; the walk is skipped while no staged
    // index can be that old, which is nearly always.
    if (map.staged_index_floor >= oldest_index) continue;
    int64_t floor = INT64_MAX;
    uint32_t* link = &state.staged_head;
    while (*link != kNoEntry) {
      StagedEntry& entry = staging_.at(*link);
      if (entry.index < oldest_index && !(entry.flags & kStagedEventRaw)) {
        const uint32_t gone = *link;
        *link = entry.next;
        if (state.staged_final > 0) --state.staged_final;
        staging_.release(gone);
      } else {
        floor = std::min(floor, entry.index);
        link = &entry.next;
      }
    }
    map.staged_index_floor = floor;
  }
}

}  // namespace ringstat
