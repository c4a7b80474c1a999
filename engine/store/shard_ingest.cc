// Shard ingest: counter creation, sample validation against the clock and retention, the WAL
// record, and the merge into staged buckets; event rate finalisation; counter deletion.
#include <algorithm>
#include <cmath>
#include <iterator>

#include "base/verify.h"
#include "engine/store/shard.h"
#include "engine/store/shard_jobs.h"
#include "fileformat/page_format.h"

namespace ringstat {

uint8_t Shard::retention_slot_for(const Retention& retention) {
  for (size_t slot = 0; slot < retentions_.size(); ++slot) {
    if (retentions_[slot] == retention) return static_cast<uint8_t>(slot);
  }
  VERIFY(retentions_.size() < 256);
  retentions_.push_back(retention);
  return static_cast<uint8_t>(retentions_.size() - 1);
}

uint32_t Shard::create_counter(std::string_view name, uint64_t hash, CounterKind kind,
                               uint8_t retention_slot, uint32_t id) {
  VERIFY(retention_slot < retentions_.size());
  if (!table_.insert(name, hash, id)) return CounterTable::kNotFound;
  if (counters_.size() <= id) counters_.resize(size_t{id} + 1);
  Counter& counter = counters_[id];
  VERIFY(!counter.live);
  const size_t level_count = retentions_[retention_slot].levels.size();
  counter = Counter{};
  counter.first_level = static_cast<uint32_t>(levels_.size());
  counter.level_count = static_cast<uint8_t>(level_count);
  counter.kind = kind;
  counter.retention_slot = retention_slot;
  counter.first_time = INT64_MAX;
  counter.live = true;
  levels_.resize(levels_.size() + level_count);
  page_maps_.resize(levels_.size());
  next_counter_id_ = std::max(next_counter_id_, id + 1);
  ++stats_.counters_created;
  return id;
}

std::optional<RejectReason> Shard::add_sample(const IngestSample& sample) {
  VERIFY(phase_ == Phase::kReady);
  VERIFY(sample.bucket.count >= 1);
  const int64_t now = clock_.now_s();
  const int64_t sample_time = sample.time.value_or(now);
  auto reject = [&](RejectReason reason) {
    ++stats_.rejected[static_cast<size_t>(reason)];
    return reason;
  };

  uint32_t id = table_.find(sample.name, sample.hash);
  const bool exists = id != CounterTable::kNotFound;
  // A counter's kind is fixed when it is created; later samples follow the counter's kind.
  const CounterKind effective_kind = exists ? counters_[id].kind : sample.kind;
  const Retention& retention =
      exists ? retentions_[counters_[id].retention_slot] : retentions_[config_retention_slot_];

  // Far-future samples of either kind are refused: their buckets could not close for a long
  // time, and staging must always be relievable by writing what it holds (Invariant 11).
  if (sample_time > now + config_.future_limit_s) return reject(RejectReason::kFromFuture);
  uint32_t found[kRetentionLevelsMax];  // gauges: each level's staged entry, reused by the merge
  uint32_t raw = kNoEntry;              // events: the finest level's raw entry, likewise
  if (effective_kind == CounterKind::kGauge) {
    const RetentionLevel& coarsest = retention.levels.back();
    if (sample_time < now - static_cast<int64_t>(coarsest.retention_s)) {
      return reject(RejectReason::kTooOld);
    }
    if (!sample.bucket.is_finite()) return reject(RejectReason::kOverflow);
    if (exists) {
      find_gauge_entries(id, sample_time, found);
      for (size_t l = 0; l < counters_[id].level_count; ++l) {
        if (found[l] != kNoEntry &&
            staging_.at(found[l]).bucket.merge_would_overflow(sample.bucket)) {
          return reject(RejectReason::kOverflow);
        }
      }
    } else {
      std::fill(std::begin(found), std::end(found), kNoEntry);
    }
  } else {
    const RetentionLevel& finest = retention.levels.front();
    const int64_t index = floor_div(sample_time, finest.interval_s);
    if (sample_time < now - static_cast<int64_t>(finest.retention_s)) {
      return reject(RejectReason::kTooOld);
    }
    if (exists ? event_bucket_final(counters_[id], index, now)
               : (index + 1) * finest.interval_s + config_.event_grace_s <= now) {
      return reject(RejectReason::kEventTooLate);
    }
    raw = exists ? find_staged_entry(id, 0, index) : kNoEntry;
    const double raw_sum = raw == kNoEntry ? 0.0 : staging_.at(raw).bucket.sum;
    if (!event_sum_fits(retention, raw_sum + sample.bucket.sum)) {
      return reject(RejectReason::kOverflow);
    }
  }
  // Room for every level's bucket plus the reserve that event finalisation draws on.
  const uint32_t reserve = staging_.capacity() / 16 + kRetentionLevelsMax;
  if (staging_.used() + reserve >= staging_.capacity()) return reject(RejectReason::kStoreFull);

  if (!exists) {
    id = next_counter_id_;
    const WalCounterCreate create{id, sample.kind, config_retention_slot_,
                                  std::string(sample.name)};
    if (!wal_.append(create)) return reject(RejectReason::kStoreFull);
    const uint32_t created =
        create_counter(sample.name, sample.hash, sample.kind, config_retention_slot_, id);
    // The table is full: the create record is in the log, but replay finds the same limit.
    if (created == CounterTable::kNotFound) return reject(RejectReason::kStoreFull);
  }

  // Invariant 7: the WAL record first, then the change; a record that does not fit changes
  // nothing and the sample is refused whole.
  bool logged = false;
  if (effective_kind == CounterKind::kEvent) {
    // An event line contributes its value (a 7-field line its sum) to the bucket's rate.
    logged = wal_.append_sample(id, sample_time, sample.bucket.sum);
    if (logged) apply_event_raw_found(id, sample_time, sample.bucket.sum, raw);
  } else if (sample.aggregated) {
    logged = wal_.append(WalBucketSample{id, sample_time, sample.bucket});
    if (logged) apply_gauge_found(id, sample_time, sample.bucket, found);
  } else {
    logged = wal_.append_sample(id, sample_time, sample.bucket.sum);
    if (logged) apply_gauge_found(id, sample_time, sample.bucket, found);
  }
  if (!logged) return reject(RejectReason::kStoreFull);
  ++stats_.samples_accepted;
  return std::nullopt;
}

size_t Shard::add_batch(std::span<const IngestSample> samples,
                        std::span<std::optional<RejectReason>> reasons) {
  VERIFY(reasons.size() >= samples.size());
  // A software pipeline: each step of the lookup chain (table slot, name bytes and counter,
  // level states, staged buckets) is prefetched kDistance samples ahead of the step that needs
  // it, so the misses of different samples overlap instead of queueing behind each other.
  constexpr size_t kDistance = 8;
  constexpr size_t kStages = 4;
  const size_t n = samples.size();
  size_t accepted = 0;
  auto live_id = [&](size_t i) -> uint32_t {
    const uint32_t id = table_.likely_id(samples[i].hash);
    return id < counters_.size() && counters_[id].live ? id : CounterTable::kNotFound;
  };
  for (size_t step = 0; step < n + kStages * kDistance; ++step) {
    if (step < n) table_.prefetch_slot(samples[step].hash);
    if (step >= kDistance && step - kDistance < n) {
      const size_t i = step - kDistance;
      table_.prefetch_name(samples[i].hash);
      const uint32_t id = table_.likely_id(samples[i].hash);
      if (id < counters_.size()) __builtin_prefetch(&counters_[id]);
    }
    if (step >= 2 * kDistance && step - 2 * kDistance < n) {
      const uint32_t id = live_id(step - 2 * kDistance);
      if (id != CounterTable::kNotFound) {
        const char* first = reinterpret_cast<const char*>(&levels_[counters_[id].first_level]);
        const size_t bytes = sizeof(LevelState) * counters_[id].level_count;
        for (size_t offset = 0; offset < bytes; offset += 64) __builtin_prefetch(first + offset);
      }
    }
    if (step >= 3 * kDistance && step - 3 * kDistance < n) {
      const uint32_t id = live_id(step - 3 * kDistance);
      if (id != CounterTable::kNotFound) {
        for (size_t l = 0; l < counters_[id].level_count; ++l) {
          staging_.prefetch(levels_[counters_[id].first_level + l].staged_head);
        }
      }
    }
    if (step >= kStages * kDistance) {
      const size_t i = step - kStages * kDistance;
      reasons[i] = add_sample(samples[i]);
      if (!reasons[i]) ++accepted;
    }
  }
  return accepted;
}

// Invariant 12: a level's staged list is in descending bucket index order, so the steady state
// (each sample opens its counter's next bucket, or merges into the newest one) finds or places its
// entry at the head, however many older buckets wait for their page.
uint32_t Shard::find_staged_entry(uint32_t id, size_t level_index, int64_t index) const {
  for (uint32_t e = level(id, level_index).staged_head; e != kNoEntry; e = staging_.at(e).next) {
    const int64_t at = staging_.at(e).index;
    if (at == index) return e;
    if (at < index) break;  // every later entry is older still
  }
  return kNoEntry;
}

void Shard::link_staged(uint32_t id, size_t level_index, uint32_t e) {
  const int64_t index = staging_.at(e).index;
  uint32_t* const head = &level(id, level_index).staged_head;
  uint32_t* link = head;
  while (*link != kNoEntry && staging_.at(*link).index > index) link = &staging_.at(*link).next;
  // A new newest bucket ahead of others cannot lower the expiry floor (it is at most the older
  // head's index), so the steady state never touches the cold page map here.
  const bool ahead_of_others = link == head && *link != kNoEntry;
  staging_.at(e).next = *link;
  *link = e;
  if (!ahead_of_others) {
    PageMap& map = page_map(id, level_index);
    map.staged_index_floor = std::min(map.staged_index_floor, index);
  }
}

StagedEntry& Shard::new_staged_entry(uint32_t id, size_t level_index, int64_t index, bool raw) {
  const uint32_t e = staging_.allocate();
  VERIFY(e != kNoEntry);  // add_sample and finalisation keep a reserve
  StagedEntry& entry = staging_.at(e);
  entry.index = index;
  entry.flags = raw ? kStagedEventRaw : 0;
  link_staged(id, level_index, e);
  ++stats_.buckets_staged;
  if (!raw) note_staged(id, level_index);
  return entry;
}

StagedEntry& Shard::staged_entry_for(uint32_t id, size_t level_index, int64_t index, bool raw) {
  const uint32_t e = find_staged_entry(id, level_index, index);
  return e != kNoEntry ? staging_.at(e) : new_staged_entry(id, level_index, index, raw);
}

void Shard::find_gauge_entries(uint32_t id, int64_t time,
                               uint32_t (&found)[kRetentionLevelsMax]) const {
  const int64_t now = clock_.now_s();
  const Counter& counter = counters_[id];
  for (size_t l = 0; l < kRetentionLevelsMax; ++l) found[l] = kNoEntry;
  for (size_t l = 0; l < counter.level_count; ++l) {
    const RetentionLevel& rl = retention_level(id, l);
    if (time < now - static_cast<int64_t>(rl.retention_s)) continue;
    found[l] = find_staged_entry(id, l, floor_div(time, rl.interval_s));  // Invariant 1
  }
}

bool Shard::event_sum_fits(const Retention& retention, double raw_sum) {
  // The finest bucket becomes rate = sum / interval with sumsq = rate^2, and a coarser bucket adds
  // up to (its interval / finest interval) such rates and squares: all of it must stay finite.
  const double finest = static_cast<double>(retention.levels.front().interval_s);
  const double fan_in = static_cast<double>(retention.levels.back().interval_s) / finest;
  const double rate = raw_sum / finest;
  return std::isfinite(raw_sum) && std::isfinite(rate * rate * fan_in) &&
         std::isfinite(rate * fan_in);
}

void Shard::apply_gauge(uint32_t id, int64_t time, const Bucket& bucket) {
  uint32_t found[kRetentionLevelsMax];
  find_gauge_entries(id, time, found);
  apply_gauge_found(id, time, bucket, found);
}

void Shard::apply_gauge_found(uint32_t id, int64_t time, const Bucket& bucket,
                              const uint32_t (&found)[kRetentionLevelsMax]) {
  Counter& counter = counters_[id];
  const int64_t now = clock_.now_s();
  counter.first_time = std::min(counter.first_time, time);
  for (size_t l = 0; l < counter.level_count; ++l) {
    const RetentionLevel& rl = retention_level(id, l);
    // Older than this level keeps: dropped for this level only (docs/protocols.md "Gauges").
    if (time < now - static_cast<int64_t>(rl.retention_s)) continue;
    StagedEntry& entry = found[l] != kNoEntry
                             ? staging_.at(found[l])
                             : new_staged_entry(id, l, floor_div(time, rl.interval_s), false);
    // Saturates only during replay, where a bucket that live ingest had split between a page and
    // staging may be staged whole again; the page flush would have saturated the same way.
    if (entry.bucket.merge(bucket)) ++stats_.buckets_saturated;
  }
}

void Shard::apply_event_raw(uint32_t id, int64_t time, double value) {
  const int64_t index = floor_div(time, retention_level(id, 0).interval_s);
  apply_event_raw_found(id, time, value, find_staged_entry(id, 0, index));
}

void Shard::apply_event_raw_found(uint32_t id, int64_t time, double value, uint32_t found) {
  Counter& counter = counters_[id];
  counter.first_time = std::min(counter.first_time, time);
  StagedEntry& entry =
      found != kNoEntry
          ? staging_.at(found)
          : new_staged_entry(id, 0, floor_div(time, retention_level(id, 0).interval_s), true);
  VERIFY(entry.flags & kStagedEventRaw);
  // The raw entry accumulates the plain sum of the values; count is informational.
  entry.bucket.count += 1;
  entry.bucket.sum += value;
  if (!counter.event_pending) {
    counter.event_pending = true;
    event_pending_.push_back(id);
  }
}

bool Shard::event_bucket_final(const Counter& counter, int64_t index, int64_t now) const {
  const int64_t interval = retentions_[counter.retention_slot].levels.front().interval_s;
  return index <= counter.finalized_through ||
         (index + 1) * interval + config_.event_grace_s <= now;
}

void Shard::finalize_events(int64_t now) {
  std::erase_if(event_pending_, [&](uint32_t id) {
    if (!counters_[id].live) return true;
    const bool still_pending = finalize_counter_events(id, now);
    counters_[id].event_pending = still_pending;
    return !still_pending;
  });
}

// Invariant 6: a finest event bucket becomes a rate once its interval plus the grace period has
// passed; its rate then joins every coarser level as one present finest bucket.
bool Shard::finalize_counter_events(uint32_t id, int64_t now) {
  Counter& counter = counters_[id];
  const int64_t finest_interval = retention_level(id, 0).interval_s;
  bool still_pending = false;
  for (uint32_t e = level(id, 0).staged_head; e != kNoEntry; e = staging_.at(e).next) {
    StagedEntry& entry = staging_.at(e);
    if (!(entry.flags & kStagedEventRaw)) continue;
    if ((entry.index + 1) * finest_interval + config_.event_grace_s > now) {
      still_pending = true;
      continue;
    }
    const double rate = entry.bucket.sum / static_cast<double>(finest_interval);
    entry.bucket = Bucket::of_value(rate);
    entry.flags = 0;
    counter.finalized_through = std::max(counter.finalized_through, entry.index);
    ++stats_.events_finalized;
    note_staged(id, 0);
    const int64_t bucket_time = entry.index * finest_interval;
    for (size_t l = 1; l < counter.level_count; ++l) {
      const RetentionLevel& rl = retention_level(id, l);
      if (bucket_time < now - static_cast<int64_t>(rl.retention_s)) continue;
      if (staged_entry_for(id, l, floor_div(bucket_time, rl.interval_s), false)
              .bucket.merge(Bucket::of_value(rate))) {
        ++stats_.buckets_saturated;
      }
    }
  }
  return still_pending;
}

bool Shard::delete_counter(std::string_view name, uint64_t hash) {
  VERIFY(phase_ == Phase::kReady);
  const uint32_t id = table_.find(name, hash);
  if (id == CounterTable::kNotFound) return false;
  if (!wal_.append(WalCounterDelete{id})) return false;
  remove_counter(id);
  return true;
}

void Shard::remove_counter(uint32_t id) {
  Counter& counter = counters_[id];
  VERIFY(counter.live);
  for (size_t l = 0; l < counter.level_count; ++l) {
    LevelState& state = level(id, l);
    PageMap& map = page_map(id, l);
    for (uint32_t page : map.disk_pages) {
      if (page == PageAllocator::kNoPage) continue;
      allocator_.retire(page);
      VERIFY(stats_.pages_live[l] > 0);
      --stats_.pages_live[l];
    }
    map = PageMap{};
    uint32_t e = state.staged_head;
    while (e != kNoEntry) {
      const uint32_t next = staging_.at(e).next;
      staging_.release(e);
      e = next;
    }
    // A flush in flight keeps its entries; its completion sees the new generation and drops them.
    state = LevelState{.flush_job = state.flush_job};
  }
  table_.erase(id);
  counter.live = false;
  ++counter.generation;
  ++stats_.counters_deleted;
}

}  // namespace ringstat
