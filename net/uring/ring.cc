#include "net/uring/ring.h"

#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/utsname.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

namespace ringstat {

namespace {

// Submitting can fail transiently (a signal, the kernel briefly out of request memory); after this
// many attempts in a row something is wrong with how the ring is used.
constexpr int kSubmitAttemptsMax = 1000;
// The kernel refuses a single fixed buffer larger than this.
constexpr size_t kFixedBufferBytesMax = size_t{1} << 30;

struct RequiredOp {
  int opcode;
  const char* name;
};

// What the daemon submits. Multishot recv/recvmsg (Linux 6.0) have no opcode of their own;
// SEND_ZC arrived in the same release, so its presence stands for them.
constexpr RequiredOp kRequiredOps[] = {
    {IORING_OP_NOP, "NOP"},
    {IORING_OP_READ, "READ"},
    {IORING_OP_WRITE, "WRITE"},
    {IORING_OP_READ_FIXED, "READ_FIXED"},
    {IORING_OP_WRITE_FIXED, "WRITE_FIXED"},
    {IORING_OP_FSYNC, "FSYNC"},
    {IORING_OP_FALLOCATE, "FALLOCATE"},
    {IORING_OP_ACCEPT, "ACCEPT"},
    {IORING_OP_RECV, "RECV"},
    {IORING_OP_RECVMSG, "RECVMSG"},
    {IORING_OP_SEND, "SEND"},
    {IORING_OP_CLOSE, "CLOSE"},
    {IORING_OP_ASYNC_CANCEL, "ASYNC_CANCEL"},
    {IORING_OP_TIMEOUT, "TIMEOUT"},
    {IORING_OP_LINK_TIMEOUT, "LINK_TIMEOUT"},
    {IORING_OP_MSG_RING, "MSG_RING"},
    {IORING_OP_SEND_ZC, "SEND_ZC (stands for multishot recv, Linux 6.0)"},
};

std::string kernel_release() {
  utsname name{};
  if (uname(&name) != 0) return "unknown";
  return name.release;
}

std::optional<int> read_io_uring_disabled() {
  std::ifstream in("/proc/sys/kernel/io_uring_disabled");
  int value = 0;
  if (in >> value) return value;
  return std::nullopt;
}

std::string errno_text(int error) {
  return std::string(strerrorname_np(error) != nullptr ? strerrorname_np(error) : "?") + " (" +
         std::strerror(error) + ")";
}

}  // namespace

const char* ring_mode_name(RingMode mode) {
  switch (mode) {
    case RingMode::kDeferTaskrun:
      return "SINGLE_ISSUER|DEFER_TASKRUN";
    case RingMode::kCoopTaskrun:
      return "SINGLE_ISSUER|COOP_TASKRUN";
    case RingMode::kCoopShared:
      return "COOP_TASKRUN";
  }
  return "?";
}

unsigned ring_setup_flags(RingMode mode) {
  const unsigned common = IORING_SETUP_SUBMIT_ALL | IORING_SETUP_CQSIZE | IORING_SETUP_TASKRUN_FLAG;
  switch (mode) {
    case RingMode::kDeferTaskrun:
      return common | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
    case RingMode::kCoopTaskrun:
      return common | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN;
    case RingMode::kCoopShared:
      return common | IORING_SETUP_COOP_TASKRUN;
  }
  return common;
}

std::string describe_setup_error(int error, std::optional<int> io_uring_disabled) {
  switch (error) {
    case EPERM: {
      std::string message = "io_uring is disabled (seccomp or sysctl kernel.io_uring_disabled=" +
                            (io_uring_disabled ? std::to_string(*io_uring_disabled) : "absent") +
                            "): ";
      if (io_uring_disabled && *io_uring_disabled != 0) {
        message += "run 'sysctl -w kernel.io_uring_disabled=0'";
        if (*io_uring_disabled == 1) {
          message += " or run ringstat in the group named by kernel.io_uring_group";
        }
      } else {
        message +=
            "the sysctl allows it, so a seccomp filter blocks the io_uring syscalls (Docker 25+ "
            "does by default): run with a seccomp profile that allows io_uring_setup, "
            "io_uring_enter and io_uring_register";
      }
      return message;
    }
    case ENOSYS:
      return "io_uring is not available (ENOSYS): ringstat needs Linux 6.1 or newer built with "
             "CONFIG_IO_URING";
    case ENOMEM:
      return "io_uring_setup failed with ENOMEM: RLIMIT_MEMLOCK too low for the rings on this "
             "kernel: raise LimitMEMLOCK= in the systemd unit / ulimit -l";
    case EINVAL:
      return "io_uring_setup rejected every supported flag combination (EINVAL): ringstat needs "
             "Linux 6.1 or newer";
    case EMFILE:
    case ENFILE:
      return "io_uring_setup failed: too many open files (" + errno_text(error) +
             "): raise LimitNOFILE= / ulimit -n";
    default:
      return "io_uring_setup failed: " + errno_text(error);
  }
}

std::string describe_buffer_registration_error(int error, size_t bytes) {
  const std::string size = std::to_string(bytes / 1024) + " KiB";
  if (error == ENOMEM) {
    rlimit limit{};
    std::string current = "unknown";
    if (getrlimit(RLIMIT_MEMLOCK, &limit) == 0) {
      current = limit.rlim_cur == RLIM_INFINITY ? "unlimited"
                                                : std::to_string(limit.rlim_cur / 1024) + " KiB";
    }
    return "RLIMIT_MEMLOCK too low to register " + size + " of I/O buffers with io_uring (limit " +
           current +
           "): raise LimitMEMLOCK= in the systemd unit / ulimit -l, or shrink the buffer pool";
  }
  return "registering " + size + " of I/O buffers with io_uring failed: " + errno_text(error);
}

Result<std::unique_ptr<Ring>> Ring::create(const RingOptions& options) {
  if (options.sq_entries == 0 || options.cq_entries < options.sq_entries) {
    return Error{"ring: need 0 < sq_entries <= cq_entries"};
  }
  std::unique_ptr<Ring> ring(new Ring());
  int error = 0;
  for (auto mode = static_cast<int>(options.preferred_mode);
       mode <= static_cast<int>(RingMode::kCoopShared); ++mode) {
    const auto ring_mode = static_cast<RingMode>(mode);
    io_uring_params params{};
    params.flags = ring_setup_flags(ring_mode);
    if (ring_mode == options.preferred_mode) params.flags |= options.test_reject_flags;
    params.cq_entries = options.cq_entries;
    error = -io_uring_queue_init_params(options.sq_entries, &ring->ring_, &params);
    if (error == 0) {
      ring->ring_ready_ = true;
      ring->mode_ = ring_mode;
      if (ring_mode != options.preferred_mode) {
        ring->setup_note_ = std::string("io_uring: ") + ring_mode_name(options.preferred_mode) +
                            " rejected (EINVAL) by Linux " + kernel_release() + "; using " +
                            ring_mode_name(ring_mode);
      }
      const unsigned needed = IORING_FEAT_EXT_ARG | IORING_FEAT_NODROP;
      if ((params.features & needed) != needed) {
        return Error{"io_uring on Linux " + kernel_release() +
                     " lacks EXT_ARG/NODROP: ringstat needs Linux 6.1 or newer"};
      }
      break;
    }
    if (error != EINVAL) break;
  }
  if (!ring->ring_ready_) {
    std::string message = describe_setup_error(error, read_io_uring_disabled());
    if (error == EINVAL) message += " (running " + kernel_release() + ")";
    return Error{std::move(message)};
  }

  // Saves an fget/fput per enter; a failure only costs that, so it is not fatal.
  ring->ring_fd_registered_ = io_uring_register_ring_fd(&ring->ring_) == 1;

  io_uring_probe* probe = io_uring_get_probe_ring(&ring->ring_);
  if (probe == nullptr) return Error{"io_uring: cannot probe the supported operations"};
  std::string missing;
  for (const RequiredOp& op : kRequiredOps) {
    if (io_uring_opcode_supported(probe, op.opcode) == 0) {
      missing += missing.empty() ? "" : ", ";
      missing += op.name;
    }
  }
  io_uring_free_probe(probe);
  if (!missing.empty()) {
    return Error{"io_uring on Linux " + kernel_release() + " lacks " + missing +
                 ": ringstat needs Linux 6.1 or newer"};
  }

  if (options.io_workers_max > 0) {
    unsigned workers[2] = {options.io_workers_max, options.io_workers_max};
    (void)io_uring_register_iowq_max_workers(&ring->ring_, workers);  // best effort
  }
  Status tables = ring->set_up_tables(options);
  if (!tables) return Error{tables.error()};
  return ring;
}

Status Ring::set_up_tables(const RingOptions& options) {
  unsigned slots = options.file_slots;
  rlimit files{};
  // The kernel refuses a table larger than the open-file limit.
  if (slots > 0 && getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY) {
    slots = static_cast<unsigned>(std::min<rlim_t>(slots, files.rlim_cur));
  }
  if (slots > 0) {
    const int result = io_uring_register_files_sparse(&ring_, slots);
    if (result != 0) {
      return Error{"io_uring: registering a sparse table of " + std::to_string(slots) +
                   " files failed: " + errno_text(-result)};
    }
    file_slots_ = slots;
    reserved_file_slots_ = std::min(options.reserved_file_slots, slots / 2);
    const int range = io_uring_register_file_alloc_range(&ring_, 0, direct_file_slots());
    if (range != 0) {
      return Error{"io_uring: setting the file allocation range failed: " + errno_text(-range)};
    }
    reserved_file_used_.assign(reserved_file_slots_, false);
  }
  if (options.buffer_slots > 0) {
    const int result = io_uring_register_buffers_sparse(&ring_, options.buffer_slots);
    if (result != 0) {
      return Error{"io_uring: registering a sparse table of " +
                   std::to_string(options.buffer_slots) +
                   " buffers failed: " + errno_text(-result)};
    }
    buffer_used_.assign(options.buffer_slots, false);
  }
  return Ok{};
}

Ring::~Ring() {
  if (!ring_ready_) return;
  if (ring_fd_registered_) io_uring_unregister_ring_fd(&ring_);
  io_uring_queue_exit(&ring_);
}

io_uring_sqe* Ring::get_sqe() {
  for (int attempt = 0; attempt < kSubmitAttemptsMax; ++attempt) {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (sqe != nullptr) {
      // Prep helpers leave user_data alone; a forgotten one then decodes as IoOwner::kNone
      // instead of a stale owner from the slot's previous use.
      sqe->user_data = 0;
      return sqe;
    }
    submit_for_space();
  }
  verify_failed("the submission queue stayed full", __FILE__, __LINE__);
}

void Ring::reserve_sqes(unsigned count) {
  VERIFY(count <= ring_.sq.ring_entries);
  for (int attempt = 0; attempt < kSubmitAttemptsMax; ++attempt) {
    if (io_uring_sq_space_left(&ring_) >= count) return;
    submit_for_space();
  }
  verify_failed("the submission queue stayed full", __FILE__, __LINE__);
}

void Ring::submit_for_space() {
  ++stats_.sq_full;
  const unsigned queued = io_uring_sq_ready(&ring_);
  const int result = io_uring_submit(&ring_);
  stats_.submitted += queued - io_uring_sq_ready(&ring_);
  // EINTR, EAGAIN (no request memory) and EBUSY (CQ overflow backlog) are worth a retry;
  // anything else is a misuse of the ring, such as submitting from a second thread.
  VERIFY(result >= 0 || result == -EINTR || result == -EAGAIN || result == -EBUSY);
}

int Ring::submit_and_wait(std::chrono::microseconds timeout) {
  VERIFY(!draining_);
  VERIFY(timeout.count() >= 0);
  __kernel_timespec wait{};
  wait.tv_sec = timeout.count() / 1'000'000;
  wait.tv_nsec = (timeout.count() % 1'000'000) * 1000;
  const unsigned queued = io_uring_sq_ready(&ring_);
  if (queued > 0 || io_uring_cq_ready(&ring_) == 0) ++stats_.enters;
  io_uring_cqe* cqe = nullptr;
  const int result = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &wait, nullptr);
  stats_.submitted += queued - io_uring_sq_ready(&ring_);
  if (result < 0 && result != -ETIME && result != -EINTR && result != -EAGAIN && result != -EBUSY) {
    return result;
  }
  return static_cast<int>(io_uring_cq_ready(&ring_));
}

std::optional<unsigned> Ring::install_file(int fd) {
  VERIFY(fd >= 0);
  for (unsigned i = 0; i < reserved_file_used_.size(); ++i) {
    if (reserved_file_used_[i]) continue;
    const unsigned slot = direct_file_slots() + i;
    if (io_uring_register_files_update(&ring_, slot, &fd, 1) != 1) return std::nullopt;
    reserved_file_used_[i] = true;
    return slot;
  }
  return std::nullopt;
}

void Ring::remove_file(unsigned slot) {
  VERIFY(slot >= direct_file_slots() && slot < file_slots_);
  VERIFY(reserved_file_used_[slot - direct_file_slots()]);
  int none = -1;
  VERIFY(io_uring_register_files_update(&ring_, slot, &none, 1) == 1);
  reserved_file_used_[slot - direct_file_slots()] = false;
}

Result<unsigned> Ring::install_buffer(std::span<std::byte> memory) {
  VERIFY(!memory.empty());
  if (memory.size() > kFixedBufferBytesMax) {
    return Error{"io_uring: a fixed buffer is limited to 1 GiB; this one has " +
                 std::to_string(memory.size() >> 20) + " MiB"};
  }
  const auto free_slot = std::find(buffer_used_.begin(), buffer_used_.end(), false);
  if (free_slot == buffer_used_.end()) {
    return Error{"io_uring: all " + std::to_string(buffer_used_.size()) +
                 " fixed-buffer slots are in use"};
  }
  const auto index = static_cast<unsigned>(free_slot - buffer_used_.begin());
  iovec vector{memory.data(), memory.size()};
  const int result = io_uring_register_buffers_update_tag(&ring_, index, &vector, nullptr, 1);
  if (result != 1) {
    return Error{describe_buffer_registration_error(result < 0 ? -result : EIO, memory.size())};
  }
  buffer_used_[index] = true;
  return index;
}

void Ring::remove_buffer(unsigned index) {
  VERIFY(index < buffer_used_.size() && buffer_used_[index]);
  iovec none{nullptr, 0};
  VERIFY(io_uring_register_buffers_update_tag(&ring_, index, &none, nullptr, 1) == 1);
  buffer_used_[index] = false;
}

}  // namespace ringstat
