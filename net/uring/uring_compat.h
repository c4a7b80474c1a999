// The few liburing helpers that Debian bookworm's liburing 2.3 lacks, as inline compat_* functions
// with the 2.4 signatures (background: iouring.md section 2). Only net/ includes liburing, and it
// does so through this header. Pure helpers with no state; callable from any thread on its own
// ring.
#pragma once

#include <liburing.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstdint>

// MSG_RING flag (kernel 6.3) that passes sqe->file_index through as the target CQE's flags.
#ifndef IORING_MSG_RING_FLAGS_PASS
#define IORING_MSG_RING_FLAGS_PASS (1U << 1)
#endif

namespace ringstat {

// Maps `entries` (a power of two, at most 32768) buffer descriptors in anonymous page-aligned
// memory, initialises the ring and registers it as buffer group `group_id`. Returns nullptr and
// sets *error to a negative errno on failure. liburing 2.4 calls this io_uring_setup_buf_ring.
inline io_uring_buf_ring* compat_setup_buf_ring(io_uring* ring, unsigned entries, int group_id,
                                                unsigned flags, int* error) {
  const size_t ring_bytes = size_t{entries} * sizeof(io_uring_buf);
  void* memory =
      mmap(nullptr, ring_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
  if (memory == MAP_FAILED) {
    *error = -errno;
    return nullptr;
  }
  auto* buffer_ring = static_cast<io_uring_buf_ring*>(memory);
  io_uring_buf_ring_init(buffer_ring);

  io_uring_buf_reg registration{};
  registration.ring_addr = reinterpret_cast<uintptr_t>(memory);
  registration.ring_entries = entries;
  registration.bgid = static_cast<uint16_t>(group_id);
  const int result = io_uring_register_buf_ring(ring, &registration, flags);
  if (result != 0) {
    munmap(memory, ring_bytes);
    *error = result;
    return nullptr;
  }
  *error = 0;
  return buffer_ring;
}

// Unregisters buffer group `group_id` and unmaps its descriptor ring. liburing 2.4:
// io_uring_free_buf_ring.
inline int compat_free_buf_ring(io_uring* ring, io_uring_buf_ring* buffer_ring, unsigned entries,
                                int group_id) {
  const int result = io_uring_unregister_buf_ring(ring, group_id);
  if (result != 0) return result;
  munmap(buffer_ring, size_t{entries} * sizeof(io_uring_buf));
  return 0;
}

// Moves fixed file `source_slot` of this ring into the table of the ring `target_ring_fd`, at
// `target_slot` or, with IORING_FILE_INDEX_ALLOC, at a slot the kernel picks (the target's CQE
// res names it). `data` becomes the target CQE's user_data. liburing 2.4:
// io_uring_prep_msg_ring_fd.
inline void compat_prep_msg_ring_fd(io_uring_sqe* sqe, int target_ring_fd, int source_slot,
                                    int target_slot, uint64_t data, unsigned flags) {
  io_uring_prep_rw(IORING_OP_MSG_RING, sqe, target_ring_fd,
                   reinterpret_cast<void*>(uintptr_t{IORING_MSG_SEND_FD}), 0, data);
  sqe->addr3 = static_cast<uint64_t>(source_slot);
  // The kernel stores slot + 1 (0 means "not fixed"); ALLOC is offset the same way.
  unsigned target = static_cast<unsigned>(target_slot);
  if (target == IORING_FILE_INDEX_ALLOC) --target;
  __io_uring_set_target_fixed_file(sqe, target);
  sqe->msg_ring_flags = flags;
}

// A MSG_RING data message whose target CQE carries `cqe_flags` as its flags (kernel 6.3+).
// liburing 2.4: io_uring_prep_msg_ring_cqe_flags.
inline void compat_prep_msg_ring_cqe_flags(io_uring_sqe* sqe, int target_ring_fd, unsigned len,
                                           uint64_t data, unsigned flags, unsigned cqe_flags) {
  io_uring_prep_rw(IORING_OP_MSG_RING, sqe, target_ring_fd, nullptr, len, data);
  sqe->msg_ring_flags = IORING_MSG_RING_FLAGS_PASS | flags;
  sqe->file_index = cqe_flags;
}

}  // namespace ringstat
