// IngestBatch: samples bound for one shard, gathered so Shard::add_batch can overlap their cache
// misses. Names are copied into the batch's own fixed arena, because a caret-expanded name lives
// only as long as its visit callback. Owned by one reactor; single-threaded; never allocates
// after construction.
#pragma once

#include <array>
#include <cstring>
#include <span>
#include <vector>

#include "base/verify.h"
#include "engine/ingest/counter_name.h"
#include "engine/ingest/ingest_sample.h"

namespace ringstat {

class IngestBatch {
 public:
  static constexpr size_t kSamplesMax = 256;
  static constexpr size_t kArenaBytes = kSamplesMax * 64;

  IngestBatch() { samples_.reserve(kSamplesMax); }

  // False when the batch has no room for this sample: hand the batch over and clear it first.
  // The sample's name is copied into the batch; the stored sample points at the copy.
  bool add(const IngestSample& sample) {
    const std::string_view name = sample.name;
    VERIFY(name.size() <= kNameBytesMax);
    if (samples_.size() == kSamplesMax || arena_used_ + name.size() > kArenaBytes) return false;
    char* copy = arena_.data() + arena_used_;
    std::memcpy(copy, name.data(), name.size());
    arena_used_ += name.size();
    samples_.push_back(sample);
    samples_.back().name = std::string_view(copy, name.size());
    return true;
  }

  std::span<const IngestSample> samples() const { return samples_; }
  bool empty() const { return samples_.empty(); }
  void clear() {
    samples_.clear();
    arena_used_ = 0;
  }

 private:
  std::vector<IngestSample> samples_;
  std::array<char, kArenaBytes> arena_;
  size_t arena_used_ = 0;
};

}  // namespace ringstat
