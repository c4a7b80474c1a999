#include "net/uring/uring_page_store.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/verify.h"
#include "net/uring/io_user_data.h"

namespace ringstat {

namespace {

constexpr mode_t kFileMode = 0644;
constexpr mode_t kDirectoryMode = 0755;

std::string errno_message(int error) { return std::strerror(error); }

// Makes the directory's entries (new files, a new subdirectory) durable; fdatasync on a file
// does not cover the name that leads to it.
Status sync_directory(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Error{"cannot open directory " + path + ": " + errno_message(errno)};
  const int result = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (result != 0) return Error{"cannot sync directory " + path + ": " + errno_message(error)};
  return Ok{};
}

std::string parent_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

std::string direct_io_problem(int fd) {
  struct statx info {};
  if (statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &info) == 0 &&
      (info.stx_mask & STATX_DIOALIGN) != 0) {
    if (info.stx_dio_offset_align == 0) return "the filesystem does not support direct I/O";
    if (info.stx_dio_offset_align > kStoreBlockBytes || info.stx_dio_mem_align > kStoreBlockBytes) {
      return "direct I/O there needs " + std::to_string(info.stx_dio_offset_align) +
             "-byte alignment, more than the 4096 bytes ringstat uses";
    }
    return {};
  }
  struct statfs filesystem {};
  if (fstatfs(fd, &filesystem) == 0 &&
      (filesystem.f_type == TMPFS_MAGIC || filesystem.f_type == RAMFS_MAGIC)) {
    return "tmpfs has no real direct I/O (newer kernels accept O_DIRECT there only as a "
           "page-cache shim)";
  }
  return {};
}

UringPageStore::UringPageStore(Ring& ring, std::string directory, uint16_t store_index,
                               uint32_t in_flight_max)
    : ring_(ring),
      directory_(std::move(directory)),
      store_index_(store_index),
      slots_(in_flight_max) {
  free_slots_.reserve(in_flight_max);
  for (uint32_t i = in_flight_max; i > 0; --i) free_slots_.push_back(i - 1);
}

Result<std::unique_ptr<UringPageStore>> UringPageStore::open(Ring& ring, std::string directory,
                                                             DirectIoMode mode,
                                                             uint16_t store_index,
                                                             uint32_t in_flight_max) {
  VERIFY(in_flight_max > 0 && in_flight_max - 1 <= kIoSlotMax);
  bool created_directory = false;
  if (::mkdir(directory.c_str(), kDirectoryMode) == 0) {
    created_directory = true;
  } else if (errno != EEXIST) {
    return Error{"store " + directory + ": cannot create the directory: " + errno_message(errno)};
  }
  std::unique_ptr<UringPageStore> store(
      new UringPageStore(ring, std::move(directory), store_index, in_flight_max));
  const std::string& dir = store->directory_;
  auto path_of = [&](size_t i) {
    return dir + "/" + std::string(store_file_name(static_cast<StoreFile>(i)));
  };
  constexpr int kOpenFlags = O_RDWR | O_CREAT | O_CLOEXEC;

  // Probe once, on the first file, whether the filesystem does real direct I/O.
  bool direct = mode != DirectIoMode::kOff;
  if (direct) {
    std::string problem;
    const int probe = ::open(path_of(0).c_str(), kOpenFlags | O_DIRECT, kFileMode);
    if (probe >= 0) {
      problem = direct_io_problem(probe);
      ::close(probe);
    } else if (errno == EINVAL) {
      problem = "the filesystem rejects O_DIRECT";
    } else {
      return Error{"store " + path_of(0) + ": cannot open: " + errno_message(errno)};
    }
    if (!problem.empty()) {
      if (mode == DirectIoMode::kOn) {
        return Error{"store " + dir + ": --direct-io=on, but " + problem +
                     "; use --direct-io=auto or off, or put the store on a disk filesystem"};
      }
      direct = false;
      store->direct_io_note_ =
          "store " + dir + ": " + problem + "; using buffered I/O with fdatasync";
    }
  }
  store->direct_io_ = direct;

  for (size_t i = 0; i < kStoreFileCount; ++i) {
    File& target = store->files_[i];
    target.fd = ::open(path_of(i).c_str(), kOpenFlags | (direct ? O_DIRECT : 0), kFileMode);
    if (target.fd < 0) {
      return Error{"store " + path_of(i) + ": cannot open: " + errno_message(errno)};
    }
    struct stat info {};
    if (::fstat(target.fd, &info) != 0) {
      return Error{"store " + path_of(i) + ": cannot stat: " + errno_message(errno)};
    }
    // Sizes only change through grow(), in whole blocks; a partial tail block is not used.
    target.blocks = static_cast<uint64_t>(info.st_size) / kStoreBlockBytes;
    if (std::optional<unsigned> slot = ring.install_file(target.fd)) {
      target.fixed_slot = static_cast<int>(*slot);
    }
  }
  Status synced = sync_directory(dir);
  if (synced && created_directory) synced = sync_directory(parent_of(dir));
  if (!synced) return Error{"store " + dir + ": " + synced.error()};
  return store;
}

UringPageStore::~UringPageStore() {
  VERIFY(in_flight_ == 0);
  if (fixed_index_ >= 0) ring_.remove_buffer(static_cast<unsigned>(fixed_index_));
  for (File& target : files_) {
    if (target.fixed_slot >= 0) ring_.remove_file(static_cast<unsigned>(target.fixed_slot));
    if (target.fd >= 0) ::close(target.fd);
  }
}

Status UringPageStore::register_buffers(std::span<std::byte> pool_memory) {
  VERIFY(in_flight_ == 0);
  VERIFY(!pool_memory.empty());
  if (fixed_index_ >= 0) {
    ring_.remove_buffer(static_cast<unsigned>(fixed_index_));
    fixed_index_ = -1;
    fixed_begin_ = fixed_end_ = 0;
  }
  Result<unsigned> index = ring_.install_buffer(pool_memory);
  if (!index) return Error{"store " + directory_ + ": " + index.error()};
  fixed_index_ = static_cast<int>(index.value());
  fixed_begin_ = reinterpret_cast<uintptr_t>(pool_memory.data());
  fixed_end_ = fixed_begin_ + pool_memory.size();
  return Ok{};
}

uint64_t UringPageStore::block_count(StoreFile id) const { return file(id).blocks; }

void UringPageStore::read(StoreFile id, uint64_t block, std::span<std::byte> buffer, uint64_t tag) {
  VERIFY(!buffer.empty() && buffer.size() % kStoreBlockBytes == 0);
  VERIFY(buffer.size() <= kTransferBytesMax);
  VERIFY(reinterpret_cast<uintptr_t>(buffer.data()) % kStoreBlockBytes == 0);
  VERIFY(block + buffer.size() / kStoreBlockBytes <= block_count(id));
  ++stats_.reads;
  submit(
      Request{OpKind::kRead, id, block, buffer.data(), static_cast<uint32_t>(buffer.size()), tag});
}

void UringPageStore::write(StoreFile id, uint64_t block, std::span<const std::byte> data,
                           uint64_t tag) {
  VERIFY(!data.empty() && data.size() % kStoreBlockBytes == 0);
  VERIFY(data.size() <= kTransferBytesMax);
  VERIFY(reinterpret_cast<uintptr_t>(data.data()) % kStoreBlockBytes == 0);
  VERIFY(block + data.size() / kStoreBlockBytes <= block_count(id));
  ++stats_.writes;
  // The kernel only reads from a write's buffer; Request keeps one pointer type for both.
  submit(Request{OpKind::kWrite, id, block, const_cast<std::byte*>(data.data()),
                 static_cast<uint32_t>(data.size()), tag});
}

void UringPageStore::sync(StoreFile id, uint64_t tag) {
  ++stats_.syncs;
  submit(Request{OpKind::kSync, id, 0, nullptr, 0, tag});
}

void UringPageStore::grow(StoreFile id, uint64_t blocks, uint64_t tag) {
  ++stats_.grows;
  submit(Request{OpKind::kGrow, id, blocks, nullptr, 0, tag});
}

void UringPageStore::submit(const Request& request) {
  ++in_flight_;
  if (free_slots_.empty()) {
    ++stats_.deferred;
    waiting_.push_back(request);
    return;
  }
  const uint32_t index = free_slots_.back();
  free_slots_.pop_back();
  slots_[index].request = request;
  issue(index);
}

void UringPageStore::set_file(io_uring_sqe* sqe, const File& target) const {
  if (target.fixed_slot >= 0) sqe->flags |= IOSQE_FIXED_FILE;
}

void UringPageStore::issue(uint32_t index) {
  Slot& slot = slots_[index];
  VERIFY(!slot.busy);
  slot.busy = true;
  slot.result = 0;
  slot.cqes_left = 1;
  const Request& request = slot.request;
  const File& target = file(request.file);
  const int fd = target.fixed_slot >= 0 ? target.fixed_slot : target.fd;
  const uint64_t user_data =
      make_user_data(IoOwner::kStore, store_index_, make_slot_payload(index, slot.generation));
  const uint64_t offset = request.block * kStoreBlockBytes;

  if (request.kind == OpKind::kGrow && request.block > target.blocks) {
    // Both SQEs must go in one submission, or the link would be cut between them.
    ring_.reserve_sqes(2);
    io_uring_sqe* allocate = ring_.get_sqe();
    io_uring_prep_fallocate(allocate, fd, 0, static_cast<off_t>(target.blocks * kStoreBlockBytes),
                            static_cast<off_t>((request.block - target.blocks) * kStoreBlockBytes));
    set_file(allocate, target);
    allocate->flags |= IOSQE_IO_LINK;
    io_uring_sqe_set_data64(allocate, user_data);
    io_uring_sqe* sync = ring_.get_sqe();
    io_uring_prep_fsync(sync, fd, IORING_FSYNC_DATASYNC);
    set_file(sync, target);
    io_uring_sqe_set_data64(sync, user_data);
    slot.cqes_left = 2;
    return;
  }

  io_uring_sqe* sqe = ring_.get_sqe();
  const uintptr_t address = reinterpret_cast<uintptr_t>(request.data);
  const bool fixed_buffer =
      fixed_index_ >= 0 && address >= fixed_begin_ && address + request.bytes <= fixed_end_;
  switch (request.kind) {
    case OpKind::kRead:
      if (fixed_buffer) {
        io_uring_prep_read_fixed(sqe, fd, request.data, request.bytes, offset, fixed_index_);
      } else {
        io_uring_prep_read(sqe, fd, request.data, request.bytes, offset);
      }
      break;
    case OpKind::kWrite:
      if (fixed_buffer) {
        io_uring_prep_write_fixed(sqe, fd, request.data, request.bytes, offset, fixed_index_);
      } else {
        io_uring_prep_write(sqe, fd, request.data, request.bytes, offset);
      }
      break;
    case OpKind::kSync:
      io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
      break;
    case OpKind::kGrow:
      // Already large enough: the completion must still arrive later, never from this call.
      io_uring_prep_nop(sqe);
      break;
  }
  if (request.kind != OpKind::kGrow) set_file(sqe, target);
  if (fixed_buffer && (request.kind == OpKind::kRead || request.kind == OpKind::kWrite)) {
    ++stats_.fixed_buffer_ops;
  }
  io_uring_sqe_set_data64(sqe, user_data);
}

void UringPageStore::complete(uint64_t user_data, int result) {
  const DecodedUserData decoded = decode_user_data(user_data);
  VERIFY(decoded.owner == IoOwner::kStore);
  VERIFY(decoded.index == store_index_);
  const uint32_t index = payload_slot(decoded.payload);
  VERIFY(index < slots_.size());
  Slot& slot = slots_[index];
  VERIFY(slot.busy);
  VERIFY(payload_generation(decoded.payload) == (slot.generation & kIoGenerationMask));
  VERIFY(slot.cqes_left > 0);

  int outcome = result > 0 ? 0 : result;
  const Request& request = slot.request;
  if ((request.kind == OpKind::kRead || request.kind == OpKind::kWrite) && result >= 0 &&
      static_cast<uint32_t>(result) != request.bytes) {
    ++stats_.short_transfers;
    outcome = -EIO;
  }
  // A linked fdatasync behind a failed fallocate reports -ECANCELED; the fallocate's own error
  // is the one worth reporting, whichever CQE arrives first.
  if (outcome < 0 && (slot.result == 0 || slot.result == -ECANCELED)) slot.result = outcome;
  if (--slot.cqes_left > 0) return;

  const Request finished = request;
  const int final_result = slot.result;
  slot.busy = false;
  ++slot.generation;
  free_slots_.push_back(index);
  --in_flight_;
  if (final_result < 0) ++stats_.errors;
  if (finished.kind == OpKind::kGrow && final_result == 0) {
    File& target = file(finished.file);
    target.blocks = std::max(target.blocks, finished.block);
  }
  // Start the oldest waiting request before telling the engine, so requests keep their order.
  if (!waiting_.empty()) {
    const uint32_t next = free_slots_.back();
    free_slots_.pop_back();
    slots_[next].request = waiting_.front();
    waiting_.pop_front();
    issue(next);
  }
  VERIFY(sink_ != nullptr);
  sink_->on_io_complete(finished.tag, final_result);
}

}  // namespace ringstat
