// Ring: one io_uring per reactor thread, set up with the modern flags and a fallback ladder,
// with a registered ring fd, a sparse fixed-file table and a sparse fixed-buffer table.
// Create it on the thread that will use it (SINGLE_ISSUER makes the creator the only task that
// may submit) and never touch it from another thread; other rings reach it only via MSG_RING.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/verify.h"
#include "net/uring/uring_compat.h"

namespace ringstat {

// The setup flags that worked, best first. Each falls back to the next when the kernel answers
// EINVAL (background: iouring.md section 0).
enum class RingMode : uint8_t {
  kDeferTaskrun = 0,  // SINGLE_ISSUER | DEFER_TASKRUN | TASKRUN_FLAG (Linux 6.1+)
  kCoopTaskrun = 1,   // SINGLE_ISSUER | COOP_TASKRUN | TASKRUN_FLAG
  kCoopShared = 2,    // COOP_TASKRUN | TASKRUN_FLAG, without SINGLE_ISSUER
};
const char* ring_mode_name(RingMode mode);
// The io_uring_setup flags of a mode, including SUBMIT_ALL and CQSIZE.
unsigned ring_setup_flags(RingMode mode);

struct RingOptions {
  unsigned sq_entries = 1024;
  unsigned cq_entries = 8192;
  // Sparse fixed-file table (0: none). The kernel hands out the low slots to direct accepts
  // (IORING_FILE_INDEX_ALLOC, also for MSG_RING fd hand-offs); the top `reserved_file_slots` are
  // given out by install_file() (the page store's files), at most half the table. The table is
  // clamped to RLIMIT_NOFILE, which the kernel enforces for it.
  unsigned file_slots = 4096;
  unsigned reserved_file_slots = 256;
  unsigned buffer_slots = 64;  // sparse fixed-buffer table for install_buffer() (0: none)
  // Cap on io-wq threads per kind (bounded: regular-file work, unbounded: the rest), so a burst of
  // punted file operations cannot spawn hundreds of kernel workers. 0 keeps the kernel default.
  unsigned io_workers_max = 16;
  RingMode preferred_mode = RingMode::kDeferTaskrun;  // where the fallback ladder starts
  // Tests only: ORed into the first setup attempt, so an unknown bit makes it fail with EINVAL
  // and the fallback runs.
  unsigned test_reject_flags = 0;
};

// One-line start-up diagnostics that say what to change. `io_uring_disabled` is the value of
// /proc/sys/kernel/io_uring_disabled when it exists.
std::string describe_setup_error(int error, std::optional<int> io_uring_disabled);
std::string describe_buffer_registration_error(int error, size_t bytes);

class Ring {
 public:
  struct Stats {
    uint64_t enters = 0;       // io_uring_enter calls made by submit_and_wait()
    uint64_t submitted = 0;    // SQEs the kernel consumed
    uint64_t completions = 0;  // CQEs drained
    uint64_t sq_full = 0;      // get_sqe() found the SQ full and had to submit first
  };

  // Sets up the ring, registers its fd and tables, and probes the opcodes the daemon needs.
  static Result<std::unique_ptr<Ring>> create(const RingOptions& options);
  ~Ring();
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;

  io_uring* raw() { return &ring_; }

  // An SQE to prep (io_uring_prep_* sets every field). When the SQ is full it submits what is
  // queued and retries, so it never returns null.
  io_uring_sqe* get_sqe();
  // Makes room for `count` SQEs that must reach the kernel in the same submission (a linked
  // chain: submitting between them would cut the link), submitting what is queued if needed.
  void reserve_sqes(unsigned count);

  // Submits everything queued and waits until at least one CQE is ready or `timeout` passes, in
  // one io_uring_enter with an EXT_ARG timeout (none when CQEs are already ready and nothing is
  // queued). Returns the number of CQEs ready to drain, or a negative errno for a failure other
  // than the timeout or a signal. liburing 2.3 returns the submitted count here, not 0 (its
  // CHANGELOG), so success is judged by the CQ, never by that value.
  int submit_and_wait(std::chrono::microseconds timeout);

  // Calls on_cqe(const io_uring_cqe&) for every ready CQE (at most one CQ's worth, so a stream of
  // completions posted meanwhile cannot keep it going) and marks them all seen with one
  // cq_advance. on_cqe may prep and submit SQEs but must not drain or wait on this ring.
  template <class F>
  unsigned drain(F&& on_cqe) {
    VERIFY(!draining_);
    draining_ = true;
    const unsigned limit = ring_.cq.ring_entries;
    unsigned head = 0;
    unsigned count = 0;
    io_uring_cqe* cqe = nullptr;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      if (count == limit) break;
      on_cqe(static_cast<const io_uring_cqe&>(*cqe));
      ++count;
    }
    io_uring_cq_advance(&ring_, count);
    draining_ = false;
    stats_.completions += count;
    return count;
  }

  bool defer_taskrun() const { return mode_ == RingMode::kDeferTaskrun; }
  RingMode mode() const { return mode_; }
  // Empty, or one line saying which setup was rejected and what is used instead (to be logged).
  const std::string& setup_note() const { return setup_note_; }
  int fd() const { return ring_.ring_fd; }
  bool ring_fd_registered() const { return ring_fd_registered_; }
  Stats stats() const { return stats_; }

  // Fixed files: install_file() puts `fd` into a free reserved slot (the fd stays open and owned
  // by the caller) and returns the slot; empty when there is no table or no free slot, in which
  // case the caller uses the plain fd. Slots [0, direct_file_slots()) belong to the kernel's
  // allocator.
  std::optional<unsigned> install_file(int fd);
  void remove_file(unsigned slot);
  unsigned file_slots() const { return file_slots_; }
  unsigned direct_file_slots() const { return file_slots_ - reserved_file_slots_; }

  // Fixed buffers: registers `memory` as one fixed buffer (for read_fixed/write_fixed with the
  // returned index). Fails with a RLIMIT_MEMLOCK message when the kernel cannot pin it.
  Result<unsigned> install_buffer(std::span<std::byte> memory);
  void remove_buffer(unsigned index);

 private:
  Ring() = default;
  Status set_up_tables(const RingOptions& options);
  void submit_for_space();

  io_uring ring_{};
  bool ring_ready_ = false;  // io_uring_queue_init succeeded, so the destructor must exit it
  RingMode mode_ = RingMode::kDeferTaskrun;
  std::string setup_note_;
  bool ring_fd_registered_ = false;
  bool draining_ = false;
  unsigned file_slots_ = 0;
  unsigned reserved_file_slots_ = 0;
  std::vector<bool> reserved_file_used_;  // by slot - direct_file_slots()
  std::vector<bool> buffer_used_;
  Stats stats_;
};

}  // namespace ringstat
