// AlignedBytes: a heap buffer aligned and sized to whole store blocks, for the snapshot and log
// streams that checkpoints write and start-up reads with O_DIRECT. Owned by whoever holds it;
// single-threaded.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <span>

#include "base/verify.h"
#include "engine/store/page_store.h"

namespace ringstat {

struct AlignedBytes {
  std::unique_ptr<std::byte, decltype(&std::free)> data{nullptr, &std::free};
  size_t size = 0;

  // Replaces the buffer with one of `bytes` rounded up to whole blocks.
  void allocate(size_t bytes) {
    const size_t rounded = (bytes + kStoreBlockBytes - 1) / kStoreBlockBytes * kStoreBlockBytes;
    data.reset(static_cast<std::byte*>(std::aligned_alloc(kStoreBlockBytes, rounded)));
    VERIFY(data != nullptr);
    size = rounded;
  }
  std::span<std::byte> span() { return {data.get(), size}; }
};

}  // namespace ringstat
