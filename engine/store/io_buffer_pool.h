// IoBufferPool: a fixed set of 4096-byte-aligned block buffers for page, WAL and checkpoint I/O,
// allocated once at start-up (the daemon registers them with io_uring). Owned by one shard;
// single-threaded. Running out is back-pressure, never an allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <vector>

#include "base/verify.h"
#include "engine/store/page_store.h"

namespace ringstat {

class IoBufferPool {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  explicit IoBufferPool(uint32_t buffer_count)
      : memory_(static_cast<std::byte*>(
                    std::aligned_alloc(kStoreBlockBytes, size_t{buffer_count} * kStoreBlockBytes)),
                &std::free) {
    VERIFY(buffer_count > 0);
    VERIFY(memory_ != nullptr);
    free_.reserve(buffer_count);
    for (uint32_t i = buffer_count; i > 0; --i) free_.push_back(i - 1);
    count_ = buffer_count;
  }

  // Returns a buffer index, or kNone when every buffer is in use.
  uint32_t acquire() {
    if (free_.empty()) return kNone;
    uint32_t index = free_.back();
    free_.pop_back();
    return index;
  }
  void release(uint32_t index) {
    VERIFY(index < count_);
    VERIFY(free_.size() < count_);
    free_.push_back(index);
  }

  std::span<std::byte, kStoreBlockBytes> block(uint32_t index) {
    VERIFY(index < count_);
    return std::span<std::byte, kStoreBlockBytes>(memory_.get() + size_t{index} * kStoreBlockBytes,
                                                  kStoreBlockBytes);
  }

  uint32_t capacity() const { return count_; }
  uint32_t available() const { return static_cast<uint32_t>(free_.size()); }
  std::span<std::byte> memory() { return {memory_.get(), size_t{count_} * kStoreBlockBytes}; }

 private:
  std::unique_ptr<std::byte, decltype(&std::free)> memory_;
  std::vector<uint32_t> free_;
  uint32_t count_ = 0;
};

}  // namespace ringstat
