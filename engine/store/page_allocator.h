// PageAllocator: hands out page-file pages for copy-on-write page versions and takes back the
// pages they replace. A replaced page may still be referenced by the last durable checkpoint, so
// it is only reused after the next checkpoint is durable (Invariant 3, docs/architecture.md).
// Page 0 is never allocated: a page map entry of 0 means "no page". Owned by one shard.
#pragma once

#include <cstdint>
#include <vector>

#include "base/verify.h"

namespace ringstat {

class PageAllocator {
 public:
  static constexpr uint32_t kNoPage = 0;

  // Restores the state a checkpoint recorded (or a fresh store: high water 1, nothing free).
  void reset(uint32_t high_water, std::vector<uint32_t> free_pages) {
    VERIFY(high_water >= 1);
    high_water_ = high_water;
    free_ = std::move(free_pages);
    retired_.clear();
    releasing_.clear();
    in_flight_ = 0;
  }

  bool can_allocate(uint64_t capacity_pages) const {
    return !free_.empty() || high_water_ < capacity_pages;
  }

  // Returns kNoPage when the file has no unused page left below `capacity_pages`.
  uint32_t allocate(uint64_t capacity_pages) {
    uint32_t page = kNoPage;
    if (!free_.empty()) {
      page = free_.back();
      free_.pop_back();
    } else if (high_water_ < capacity_pages) {
      page = high_water_++;
    }
    if (page != kNoPage) ++in_flight_;
    return page;
  }

  // The write of a freshly allocated page completed and the page map now references it.
  void commit(uint32_t page) {
    VERIFY(page != kNoPage);
    VERIFY(in_flight_ > 0);
    --in_flight_;
  }
  // The write of a freshly allocated page failed or its counter is gone: nothing references it.
  void abandon(uint32_t page) {
    VERIFY(page != kNoPage && page < high_water_);
    VERIFY(in_flight_ > 0);
    --in_flight_;
    free_.push_back(page);
  }
  // A page the page map no longer references.
  void retire(uint32_t page) {
    VERIFY(page != kNoPage && page < high_water_);
    retired_.push_back(page);
  }

  // Checkpoint cut: pages retired so far become free once this checkpoint is durable. Returns
  // the free list the checkpoint records: free now, released by this checkpoint, and pages whose
  // writes are still in flight (unreferenced as of the cut).
  std::vector<uint32_t> begin_checkpoint(const std::vector<uint32_t>& in_flight_pages) {
    releasing_.insert(releasing_.end(), retired_.begin(), retired_.end());
    retired_.clear();
    std::vector<uint32_t> recorded = free_;
    recorded.insert(recorded.end(), releasing_.begin(), releasing_.end());
    recorded.insert(recorded.end(), in_flight_pages.begin(), in_flight_pages.end());
    return recorded;
  }
  void checkpoint_durable() {
    free_.insert(free_.end(), releasing_.begin(), releasing_.end());
    releasing_.clear();
  }

  uint32_t high_water() const { return high_water_; }
  size_t free_count() const { return free_.size(); }
  size_t retired_count() const { return retired_.size() + releasing_.size(); }

 private:
  uint32_t high_water_ = 1;
  std::vector<uint32_t> free_;
  std::vector<uint32_t> retired_;    // unreferenced since the last checkpoint cut
  std::vector<uint32_t> releasing_;  // unreferenced as of the checkpoint in progress
  uint32_t in_flight_ = 0;
};

}  // namespace ringstat
