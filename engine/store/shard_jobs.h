// The in-flight work records of a Shard: page flushes and page-reading queries. Private to the
// shard's .cc files; single-threaded.
#pragma once

#include <functional>
#include <vector>

#include "engine/store/shard.h"

namespace ringstat {

// One counter level's staged buckets of one page, on their way into a new copy of that page.
struct Shard::FlushJob {
  bool active = false;
  bool waiting_for_space = false;
  uint32_t counter_id = 0;
  uint32_t generation = 0;
  uint8_t level = 0;
  int64_t page_number = 0;
  uint32_t old_page = 0;
  uint32_t new_page = 0;
  uint32_t buffer = IoBufferPool::kNone;
  uint32_t entries = kNoEntry;  // staged entries taken from the level, linked as in staging
};

struct Shard::QueryJob {
  bool active = false;
  uint32_t counter_id = 0;
  uint32_t generation = 0;
  uint8_t level = 0;
  int64_t start_index = 0;
  int64_t end_index = 0;
  std::vector<std::pair<int64_t, uint32_t>> pages;  // (page number, page-file page) to read
  std::vector<uint32_t> buffers;                    // by position in pages, while reading
  size_t next_page = 0;
  size_t outstanding = 0;
  bool io_error = false;
  std::vector<TimedBucket> staged;      // staged buckets as of the start, raw
  std::vector<TimedBucket> raw_events;  // finest raw event sums as of the start (coarse levels)
  LevelRead result;
  std::function<void(LevelRead)> done;
};

}  // namespace ringstat
