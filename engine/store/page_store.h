// PageStore: the asynchronous block device a shard keeps its files on. The daemon implements it
// over io_uring with O_DIRECT (net/); tests use SimPageStore, which injects faults. Owned by one
// shard and used only from that shard's thread; completions are delivered on the same thread,
// never from inside the call that submitted the request.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "fileformat/block.h"

namespace ringstat {

inline constexpr size_t kStoreBlockBytes = kBlockBytes;

// The files of one shard directory (docs/format.md).
enum class StoreFile : uint8_t {
  kSuper = 0,        // two superblock copies
  kWal = 1,          // circular write-ahead log
  kPages = 2,        // counter pages, allocated copy-on-write
  kCheckpoint0 = 3,  // snapshot stream, slot 0
  kCheckpoint1 = 4,  // snapshot stream, slot 1
};
inline constexpr size_t kStoreFileCount = 5;

inline constexpr std::string_view store_file_name(StoreFile file) {
  switch (file) {
    case StoreFile::kSuper:
      return "super";
    case StoreFile::kWal:
      return "wal";
    case StoreFile::kPages:
      return "pages";
    case StoreFile::kCheckpoint0:
      return "checkpoint.0";
    case StoreFile::kCheckpoint1:
      return "checkpoint.1";
  }
  return "?";
}

// Receives completions. `result` is 0 on success or a negative errno (-EIO, -ENOSPC, ...).
class IoCompletionSink {
 public:
  virtual ~IoCompletionSink() = default;
  virtual void on_io_complete(uint64_t tag, int result) = 0;
};

class PageStore {
 public:
  virtual ~PageStore() = default;

  virtual void set_completion_sink(IoCompletionSink* sink) = 0;

  // Current size of a file in blocks. Files only grow through grow().
  virtual uint64_t block_count(StoreFile file) const = 0;

  // Buffers are 4096-byte aligned, their length a multiple of kStoreBlockBytes, and stay valid
  // and untouched until the completion arrives. Every call completes exactly once.
  virtual void read(StoreFile file, uint64_t block, std::span<std::byte> buffer, uint64_t tag) = 0;
  virtual void write(StoreFile file, uint64_t block, std::span<const std::byte> data,
                     uint64_t tag) = 0;
  // Makes every write that completed before this call durable (fdatasync).
  virtual void sync(StoreFile file, uint64_t tag) = 0;
  // Preallocates the file to at least `block_count` blocks (fallocate); never shrinks.
  virtual void grow(StoreFile file, uint64_t block_count, uint64_t tag) = 0;
};

}  // namespace ringstat
