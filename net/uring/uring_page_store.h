// UringPageStore: engine/store/page_store.h over io_uring. The five files of one shard directory,
// opened with O_DIRECT where the filesystem really supports it, installed as fixed files, read and
// written with read/write_fixed when the buffer is registered. Owned by the shard's reactor and
// used only on its thread; the Ring must outlive it. Completions come back when the reactor
// routes this store's CQEs (IoOwner::kStore, index = store index) to complete().
//
// A short read or write on a regular file means someone truncated it or the device failed
// mid-request; it is reported as -EIO, never retried, so the engine treats it like any I/O error.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "engine/store/page_store.h"
#include "net/uring/direct_io_mode.h"
#include "net/uring/ring.h"

namespace ringstat {

// Whether a directory's filesystem does real direct I/O with 4096-byte alignment: statx's
// DIOALIGN when the filesystem reports it, else not on tmpfs/ramfs (which since Linux 6.6 accept
// O_DIRECT as a page-cache shim) and yes elsewhere once an O_DIRECT open succeeded. Empty when
// it does; otherwise the reason, for the log.
std::string direct_io_problem(int fd);

class UringPageStore final : public PageStore {
 public:
  // Operations in flight at once (slots of the op table); more wait in a queue until one ends.
  // The shard keeps at most its I/O buffer count plus a few syncs and grows in flight.
  static constexpr uint32_t kDefaultMaxInFlight = 1024;
  static constexpr uint32_t kTransferBytesMax = uint32_t{1} << 30;

  struct Stats {
    uint64_t reads = 0;
    uint64_t writes = 0;
    uint64_t syncs = 0;
    uint64_t grows = 0;
    uint64_t errors = 0;            // operations completed with a negative result
    uint64_t short_transfers = 0;   // reads or writes that moved fewer bytes than asked
    uint64_t fixed_buffer_ops = 0;  // reads and writes through the registered buffer
    uint64_t deferred = 0;          // requests that waited for a free op slot
  };

  // Opens or creates the five files of a shard directory (creating the directory itself if
  // needed), with blocking syscalls: call it at start-up, not from a running reactor. kAuto:
  // O_DIRECT unless the filesystem lacks it (tmpfs), then buffered I/O with fdatasync, direct_io()
  // false and direct_io_note() saying why; kOn: fails with a message naming the directory;
  // kOff: buffered.
  static Result<std::unique_ptr<UringPageStore>> open(Ring& ring, std::string directory,
                                                      DirectIoMode mode, uint16_t store_index,
                                                      uint32_t in_flight_max = kDefaultMaxInFlight);
  ~UringPageStore() override;  // nothing may be in flight
  UringPageStore(const UringPageStore&) = delete;
  UringPageStore& operator=(const UringPageStore&) = delete;

  bool direct_io() const { return direct_io_; }
  const std::string& direct_io_note() const { return direct_io_note_; }
  const std::string& directory() const { return directory_; }
  uint16_t store_index() const { return store_index_; }

  // Registers the shard's IoBufferPool memory as one fixed buffer; reads and writes whose buffer
  // lies inside it use read/write_fixed, others plain read/write. Optional: on failure (e.g.
  // RLIMIT_MEMLOCK) the store keeps working without it. Only while nothing is in flight.
  Status register_buffers(std::span<std::byte> pool_memory);

  void set_completion_sink(IoCompletionSink* sink) override { sink_ = sink; }
  uint64_t block_count(StoreFile file) const override;
  void read(StoreFile file, uint64_t block, std::span<std::byte> buffer, uint64_t tag) override;
  void write(StoreFile file, uint64_t block, std::span<const std::byte> data,
             uint64_t tag) override;
  // fdatasync (IORING_FSYNC_DATASYNC).
  void sync(StoreFile file, uint64_t tag) override;
  // fallocate (mode 0: the size grows, so O_DIRECT writes never extend the file) linked to an
  // fdatasync, so the new size is durable when the one completion arrives.
  void grow(StoreFile file, uint64_t block_count, uint64_t tag) override;

  // The reactor routes every CQE whose user_data names this store here.
  void complete(uint64_t user_data, int result);
  // Requests accepted and not yet completed, including those waiting for a slot.
  size_t in_flight() const { return in_flight_; }
  const Stats& stats() const { return stats_; }

 private:
  enum class OpKind : uint8_t { kRead, kWrite, kSync, kGrow };
  struct Request {
    OpKind kind = OpKind::kRead;
    StoreFile file = StoreFile::kSuper;
    uint64_t block = 0;  // read/write: first block; grow: the block count asked for
    std::byte* data = nullptr;
    uint32_t bytes = 0;
    uint64_t tag = 0;
  };
  struct Slot {
    Request request;
    uint32_t generation = 0;
    uint8_t cqes_left = 0;  // grow has two: fallocate and the linked fdatasync
    int result = 0;
    bool busy = false;
  };
  struct File {
    int fd = -1;
    int fixed_slot = -1;  // slot in the ring's file table, or -1 for the plain fd
    uint64_t blocks = 0;
  };

  UringPageStore(Ring& ring, std::string directory, uint16_t store_index, uint32_t in_flight_max);
  void submit(const Request& request);
  void issue(uint32_t slot_index);
  void set_file(io_uring_sqe* sqe, const File& file) const;
  File& file(StoreFile id) { return files_[static_cast<size_t>(id)]; }
  const File& file(StoreFile id) const { return files_[static_cast<size_t>(id)]; }

  Ring& ring_;
  std::string directory_;
  uint16_t store_index_;
  bool direct_io_ = false;
  std::string direct_io_note_;
  IoCompletionSink* sink_ = nullptr;
  std::array<File, kStoreFileCount> files_{};
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_slots_;
  std::deque<Request> waiting_;  // requests that found every slot busy, oldest first
  size_t in_flight_ = 0;
  // The registered region as addresses: a buffer from another allocation is compared too, and
  // relational comparison of unrelated pointers is unspecified.
  uintptr_t fixed_begin_ = 0;
  uintptr_t fixed_end_ = 0;
  int fixed_index_ = -1;
  Stats stats_;
};

}  // namespace ringstat
