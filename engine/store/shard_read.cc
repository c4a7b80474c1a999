// Shard reads: one counter level's buckets over a time range, from its pages (read
// asynchronously) and its staged buckets, put into presentation form.
#include <algorithm>

#include "base/verify.h"
#include "engine/store/io_tag.h"
#include "engine/store/shard.h"
#include "engine/store/shard_jobs.h"
#include "fileformat/page_format.h"

namespace ringstat {

namespace {

constexpr uint64_t kQueryPageBits = 24;

// Sorts by time and merges buckets of equal time exactly.
void sort_and_merge(std::vector<TimedBucket>& buckets) {
  std::sort(buckets.begin(), buckets.end(),
            [](const TimedBucket& a, const TimedBucket& b) { return a.time < b.time; });
  size_t out = 0;
  for (size_t i = 0; i < buckets.size(); ++i) {
    if (out > 0 && buckets[out - 1].time == buckets[i].time) {
      buckets[out - 1].bucket.merge(buckets[i].bucket);
    } else {
      buckets[out++] = buckets[i];
    }
  }
  buckets.resize(out);
}

}  // namespace

void Shard::read_level(std::string_view name, uint64_t hash, size_t level_index, int64_t start,
                       int64_t end, std::function<void(LevelRead)> done) {
  VERIFY(phase_ == Phase::kReady);
  const uint32_t id = table_.find(name, hash);
  if (id == CounterTable::kNotFound || level_index >= counters_[id].level_count) {
    LevelRead result;
    result.status = LevelRead::Status::kNotFound;
    done(std::move(result));
    return;
  }
  if (free_query_jobs_.empty()) {
    // Every job is reading pages: wait for one, up to a bound; past it the caller hears kBusy at
    // once (HTTP 503) rather than the queue growing with every request of a burst.
    if (pending_reads_.size() >= config_.pending_reads_max) {
      ++stats_.reads_refused_busy;
      LevelRead busy;
      busy.status = LevelRead::Status::kBusy;
      done(std::move(busy));
      return;
    }
    pending_reads_.push_back(
        PendingRead{std::string(name), hash, level_index, start, end, std::move(done)});
    return;
  }
  ++stats_.queries;
  const Counter& counter = counters_[id];
  const RetentionLevel& rl = retention_level(id, level_index);
  const uint32_t slot = free_query_jobs_.back();
  free_query_jobs_.pop_back();
  ++queries_in_flight_;
  QueryJob& job = query_jobs_[slot];
  job.active = true;
  job.counter_id = id;
  job.generation = counter.generation;
  job.level = static_cast<uint8_t>(level_index);
  job.start_index = floor_div(start, rl.interval_s);
  job.end_index = ceil_div(end, rl.interval_s);  // exclusive
  job.pages.clear();
  job.staged.clear();
  job.raw_events.clear();
  job.next_page = 0;
  job.outstanding = 0;
  job.io_error = false;
  job.result = LevelRead{};
  job.result.kind = counter.kind;
  job.result.first_time = counter.first_time;
  job.result.interval_s = rl.interval_s;
  job.done = std::move(done);

  // Invariant 8: everything is captured as of now, so a flush that completes meanwhile cannot
  // make a bucket appear twice or not at all: the pages listed here plus the staged buckets
  // copied here.
  const LevelState& state = level(id, level_index);
  const PageMap& map = page_map(id, level_index);
  if (!map.disk_pages.empty() && job.end_index > job.start_index) {
    const int64_t first = std::max(page_number_of(job.start_index), map.first_page_number);
    const int64_t last =
        std::min(page_number_of(job.end_index - 1),
                 map.first_page_number + static_cast<int64_t>(map.disk_pages.size()) - 1);
    for (int64_t p = first; p <= last; ++p) {
      const uint32_t page = disk_page(map, p);
      if (page != PageAllocator::kNoPage) job.pages.emplace_back(p, page);
    }
  }
  auto capture = [&](uint32_t head, std::vector<TimedBucket>& into, int64_t interval,
                     int64_t from_index, int64_t to_index) {
    for (uint32_t e = head; e != kNoEntry; e = staging_.at(e).next) {
      const StagedEntry& entry = staging_.at(e);
      if (entry.index < from_index || entry.index >= to_index) continue;
      Bucket bucket = entry.bucket;
      if (entry.flags & kStagedEventRaw) {
        // Invariant 6: an open event bucket shows its rate so far.
        bucket = Bucket::of_value(entry.bucket.sum / static_cast<double>(interval));
      }
      into.push_back(TimedBucket{entry.index * interval, bucket});
    }
  };
  capture(state.staged_head, job.staged, rl.interval_s, job.start_index, job.end_index);
  if (state.flush_job != kNoJob) {
    capture(flush_jobs_[state.flush_job].entries, job.staged, rl.interval_s, job.start_index,
            job.end_index);
  }
  if (counter.kind == CounterKind::kEvent && level_index > 0) {
    // Open finest buckets have not reached the coarse levels yet: add their live rates.
    const RetentionLevel& finest = retention_level(id, 0);
    const int64_t scale = rl.interval_s / finest.interval_s;
    for (uint32_t e = level(id, 0).staged_head; e != kNoEntry; e = staging_.at(e).next) {
      const StagedEntry& entry = staging_.at(e);
      if (!(entry.flags & kStagedEventRaw)) continue;
      const int64_t coarse_index = floor_div(entry.index, scale);
      if (coarse_index < job.start_index || coarse_index >= job.end_index) continue;
      const double rate = entry.bucket.sum / static_cast<double>(finest.interval_s);
      job.raw_events.push_back(TimedBucket{coarse_index * rl.interval_s, Bucket::of_value(rate)});
    }
  }
  job.buffers.assign(job.pages.size(), IoBufferPool::kNone);
  issue_query_reads(slot);
}

void Shard::issue_query_reads(uint32_t slot) {
  QueryJob& job = query_jobs_[slot];
  while (job.next_page < job.pages.size()) {
    // Always let one read through so a query makes progress even when buffers are scarce.
    if (buffers_for_jobs() == 0 && job.outstanding > 0) break;
    if (buffers_.available() == 0) break;
    const uint32_t buffer = buffers_.acquire();
    const size_t position = job.next_page++;
    job.buffers[position] = buffer;
    ++job.outstanding;
    store_.read(StoreFile::kPages, job.pages[position].second, buffers_.block(buffer),
                make_io_tag(IoKind::kQueryRead, (uint64_t{slot} << kQueryPageBits) | position));
  }
  if (job.outstanding == 0) finish_query(slot);
}

void Shard::on_query_read(uint64_t payload, int result) {
  const auto slot = static_cast<uint32_t>(payload >> kQueryPageBits);
  const size_t position = payload & ((uint64_t{1} << kQueryPageBits) - 1);
  QueryJob& job = query_jobs_[slot];
  VERIFY(job.active && job.outstanding > 0);
  const uint32_t buffer = job.buffers[position];
  --job.outstanding;
  if (result < 0) {
    ++stats_.page_read_errors;
    health_.record_error(StoreOp::kRead, result);
    job.io_error = true;
  } else {
    ++stats_.page_reads;
    const Result<PageImage> page = decode_page(buffers_.block(buffer));
    const int64_t page_number = job.pages[position].first;
    const bool matches = page.ok() && page.value().header.counter_id == job.counter_id &&
                         page.value().header.level == job.level &&
                         page.value().header.page_number == page_number;
    if (!matches) {
      ++stats_.pages_corrupt;
      ++job.result.corrupt_pages;
    } else {
      const int64_t interval = job.result.interval_s;
      for (size_t s = 0; s < kBucketsPerPage; ++s) {
        const Bucket& bucket = page.value().buckets[s];
        const int64_t index =
            page_number * static_cast<int64_t>(kBucketsPerPage) + static_cast<int64_t>(s);
        if (bucket.empty() || index < job.start_index || index >= job.end_index) continue;
        job.result.buckets.push_back(TimedBucket{index * interval, bucket});
      }
    }
  }
  buffers_.release(buffer);
  issue_query_reads(slot);
}

void Shard::finish_query(uint32_t slot) {
  QueryJob& job = query_jobs_[slot];
  LevelRead result = std::move(job.result);
  const Counter& counter = counters_[job.counter_id];
  if (!counter.live || counter.generation != job.generation) {
    result = LevelRead{};
    result.status = LevelRead::Status::kNotFound;
  } else {
    if (job.io_error) result.status = LevelRead::Status::kIoError;
    result.buckets.insert(result.buckets.end(), job.staged.begin(), job.staged.end());
    result.buckets.insert(result.buckets.end(), job.raw_events.begin(), job.raw_events.end());
    sort_and_merge(result.buckets);
    if (counter.kind == CounterKind::kEvent && job.level > 0) {
      // Coarse event buckets hold one sample per present finest rate; present them with the
      // fixed count interval / finest interval, and min (max) at most (at least) 0 when any
      // finest bucket was missing (docs/protocols.md "Event counters").
      const auto fixed =
          static_cast<uint64_t>(retention_level(job.counter_id, job.level).interval_s /
                                retention_level(job.counter_id, 0).interval_s);
      for (TimedBucket& timed : result.buckets) {
        Bucket& bucket = timed.bucket;
        if (bucket.count < fixed) {
          bucket.min = std::min(bucket.min, 0.0);
          bucket.max = std::max(bucket.max, 0.0);
        }
        bucket.count = fixed;
      }
    }
  }
  std::function<void(LevelRead)> done = std::move(job.done);
  job.active = false;
  job.done = nullptr;
  free_query_jobs_.push_back(slot);
  VERIFY(queries_in_flight_ > 0);
  --queries_in_flight_;
  release_if_unpinned();
  done(std::move(result));
  if (!pending_reads_.empty() && !free_query_jobs_.empty()) {
    PendingRead next = std::move(pending_reads_.front());
    pending_reads_.pop_front();
    read_level(next.name, next.hash, next.level, next.start, next.end, std::move(next.done));
  }
}

void Shard::release_if_unpinned() {
  if (!release_pending_ || queries_in_flight_ > 0) return;
  release_pending_ = false;
  allocator_.checkpoint_durable();
}

}  // namespace ringstat
