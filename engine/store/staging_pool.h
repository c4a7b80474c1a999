// StagingPool: the fixed pool of staged buckets of one shard: the buckets that are newer than
// (or late for) a counter level's pages on disk and are durable through the WAL and checkpoints
// until a page flush writes them into pages. Entries form one singly linked list per counter
// level, newest first. Its capacity is fixed at start-up, but memory is reserved, not touched:
// entries come into use (and into RSS) as they are first needed. Running low triggers page
// flushes, running out is back-pressure. Owned by one shard; single-threaded.
#pragma once

#include <cstdint>
#include <vector>

#include "base/verify.h"
#include "fileformat/bucket.h"

namespace ringstat {

inline constexpr uint32_t kNoEntry = UINT32_MAX;

enum StagedFlags : uint8_t {
  // A finest-level bucket of an event counter that is still open: `bucket.sum` is the raw sum of
  // the values seen, not yet a rate (Invariant 6, docs/architecture.md).
  kStagedEventRaw = 1,
};

struct StagedEntry {
  int64_t index = 0;  // bucket index: floor(time / interval)
  Bucket bucket;
  uint32_t next = kNoEntry;
  uint8_t flags = 0;
};
// The memory arithmetic of docs/architecture.md section 6 counts 56 bytes a staged bucket.
static_assert(sizeof(StagedEntry) == 56);

class StagingPool {
 public:
  explicit StagingPool(uint32_t capacity) : capacity_(capacity) {
    VERIFY(capacity > 0 && capacity < kNoEntry);
    entries_.reserve(capacity);
  }

  // kNoEntry when the pool is exhausted.
  uint32_t allocate() {
    uint32_t index = free_head_;
    if (index != kNoEntry) {
      free_head_ = entries_[index].next;
      entries_[index] = StagedEntry{};
    } else if (entries_.size() < capacity_) {
      index = static_cast<uint32_t>(entries_.size());
      entries_.emplace_back();  // within the reservation: never reallocates
    } else {
      return kNoEntry;
    }
    ++used_;
    return index;
  }
  void release(uint32_t index) {
    VERIFY(index < entries_.size());
    VERIFY(used_ > 0);
    entries_[index].next = free_head_;
    free_head_ = index;
    --used_;
  }

  StagedEntry& at(uint32_t index) {
    VERIFY(index < entries_.size());
    return entries_[index];
  }
  const StagedEntry& at(uint32_t index) const {
    VERIFY(index < entries_.size());
    return entries_[index];
  }

  void prefetch(uint32_t index) const {
    if (index < entries_.size()) __builtin_prefetch(&entries_[index]);
  }

  uint32_t used() const { return used_; }
  uint32_t capacity() const { return capacity_; }

 private:
  std::vector<StagedEntry> entries_;
  uint32_t capacity_ = 0;
  uint32_t free_head_ = kNoEntry;
  uint32_t used_ = 0;
};

}  // namespace ringstat
