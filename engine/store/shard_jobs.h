// The in-flight work records of a Shard: page flushes, page-reading queries, the checkpoint in
// progress and the recovery in progress. Private to the shard's .cc files; single-threaded.
#pragma once

#include <cstdlib>
#include <functional>
#include <memory>
#include <vector>

#include "engine/store/shard.h"
#include "fileformat/checkpoint_format.h"

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

// An aligned byte buffer for snapshot streams, which are written and read with O_DIRECT.
struct AlignedBytes {
  std::unique_ptr<std::byte, decltype(&std::free)> data{nullptr, &std::free};
  size_t size = 0;
  void allocate(size_t bytes);
  std::span<std::byte> span() { return {data.get(), size}; }
};

struct Shard::Checkpoint {
  uint64_t sequence = 0;
  uint64_t wal_cut = 0;
  uint8_t slot = 0;
  uint32_t blocks = 0;
  uint64_t payload_bytes = 0;
  uint32_t payload_crc = 0;
  AlignedBytes image;
  uint32_t super_buffer = IoBufferPool::kNone;
  uint32_t outstanding = 0;
  int stage = 0;
  bool failed = false;
  // flush_all() callers whose request came before this checkpoint's cut.
  std::vector<std::function<void()>> waiters;
};

struct Shard::Recovery {
  int stage = 0;
  uint32_t outstanding = 0;
  int error = 0;
  AlignedBytes bytes;
  Superblock superblock;
  uint64_t wal_blocks = 0;
  uint64_t next_sequence = 0;
  uint64_t batch_first = 0;
  uint32_t batch_blocks = 0;
  bool paused_for_flushes = false;  // replay waits for page flushes to free staging
  uint32_t checkpoint_attempts = 0;
};

}  // namespace ringstat
