// Ring set-up, the fallback ladder, start-up diagnostics, SQ-full handling, draining, fixed file
// and buffer tables, the liburing 2.3 compat helpers and the user_data layout, on the real kernel.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "net/uring/io_user_data.h"
#include "net/uring/ring.h"
#include "net/uring/uring_compat.h"

namespace ringstat {
namespace {

using namespace std::chrono_literals;

struct SeenCqe {
  uint64_t user_data;
  int res;
  uint32_t flags;
};

constexpr int kWaitRoundsMax = 200;  // bounds a test that would otherwise hang

// Submits and drains until `count` CQEs arrived (or the bound is hit).
std::vector<SeenCqe> wait_for(Ring& ring, size_t count) {
  std::vector<SeenCqe> seen;
  for (int round = 0; round < kWaitRoundsMax && seen.size() < count; ++round) {
    REQUIRE(ring.submit_and_wait(50ms) >= 0);
    ring.drain([&](const io_uring_cqe& cqe) {
      seen.push_back({cqe.user_data, cqe.res, cqe.flags});
    });
  }
  return seen;
}

std::unique_ptr<Ring> make_ring(RingOptions options = {}) {
  auto ring = Ring::create(options);
  REQUIRE_MESSAGE(ring.ok(), (ring.ok() ? "" : ring.error()));
  return std::move(ring.value());
}

void submit_nop(Ring& ring, uint64_t user_data) {
  io_uring_sqe* sqe = ring.get_sqe();
  REQUIRE(sqe != nullptr);
  io_uring_prep_nop(sqe);
  io_uring_sqe_set_data64(sqe, user_data);
}

// Runs `body` in a forked child (for process-wide changes: seccomp, capabilities, rlimits) and
// returns its exit status; the child reports why it failed on stderr.
int run_in_child(const std::function<int()>& body) {
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid == 0) _exit(body());
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST_CASE("user_data round-trips owner, index and a 40-bit payload") {
  const uint64_t user_data = make_user_data(IoOwner::kRecv, 513, 0x12'3456'789aULL);
  const DecodedUserData decoded = decode_user_data(user_data);
  CHECK(decoded.owner == IoOwner::kRecv);
  CHECK(decoded.index == 513);
  CHECK(decoded.payload == 0x12'3456'789aULL);
  CHECK(user_data_owner(user_data) == IoOwner::kRecv);
  CHECK(user_data_index(user_data) == 513);
  CHECK(user_data_payload(user_data) == 0x12'3456'789aULL);
}

TEST_CASE("user_data fields do not bleed into each other at their maxima") {
  const uint64_t all_payload = make_user_data(IoOwner::kNone, 0, kIoPayloadMax);
  CHECK(user_data_owner(all_payload) == IoOwner::kNone);
  CHECK(user_data_index(all_payload) == 0);
  const uint64_t all_index = make_user_data(IoOwner::kNone, UINT16_MAX, 0);
  CHECK(user_data_payload(all_index) == 0);
  CHECK(user_data_index(all_index) == UINT16_MAX);
  CHECK(user_data_owner(all_index) == IoOwner::kNone);
  CHECK(make_user_data(IoOwner::kStore, 0, 0) == uint64_t{1} << 56);
  // No owner may encode as all ones, liburing's internal timeout marker.
  CHECK(make_user_data(IoOwner::kWake, UINT16_MAX, kIoPayloadMax) != UINT64_MAX);
}

TEST_CASE("slot payload keeps a 20-bit slot and wraps the generation") {
  const uint64_t payload = make_slot_payload(kIoSlotMax, 7);
  CHECK(payload_slot(payload) == kIoSlotMax);
  CHECK(payload_generation(payload) == 7);
  CHECK(payload <= kIoPayloadMax);
  const uint64_t wrapped = make_slot_payload(3, kIoGenerationMask + 2);
  CHECK(payload_slot(wrapped) == 3);
  CHECK(payload_generation(wrapped) == 1);
}

TEST_CASE("each ring mode asks for its documented setup flags") {
  const unsigned common = IORING_SETUP_SUBMIT_ALL | IORING_SETUP_CQSIZE | IORING_SETUP_TASKRUN_FLAG;
  CHECK(ring_setup_flags(RingMode::kDeferTaskrun) ==
        (common | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN));
  CHECK(ring_setup_flags(RingMode::kCoopTaskrun) ==
        (common | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN));
  CHECK(ring_setup_flags(RingMode::kCoopShared) == (common | IORING_SETUP_COOP_TASKRUN));
}

TEST_CASE("a fresh ring uses DEFER_TASKRUN and a registered ring fd on this kernel") {
  auto ring = make_ring();
  CHECK(ring->mode() == RingMode::kDeferTaskrun);
  CHECK(ring->defer_taskrun());
  CHECK(ring->setup_note().empty());
  CHECK(ring->fd() >= 0);
  CHECK(ring->ring_fd_registered());
  CHECK(ring->raw()->cq.ring_entries == 8192);
  CHECK(ring->raw()->sq.ring_entries == 1024);
}

TEST_CASE("a NOP round-trips its user_data through submit_and_wait and drain") {
  auto ring = make_ring();
  submit_nop(*ring, make_user_data(IoOwner::kTimer, 9, 42));
  const auto seen = wait_for(*ring, 1);
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].user_data == make_user_data(IoOwner::kTimer, 9, 42));
  CHECK(seen[0].res == 0);
  CHECK(ring->stats().submitted == 1);
  CHECK(ring->stats().completions == 1);
  CHECK(ring->stats().enters >= 1);
  CHECK(ring->stats().sq_full == 0);
}

TEST_CASE("get_sqe submits and retries when the SQ is full instead of returning null") {
  RingOptions options;
  options.sq_entries = 4;
  options.cq_entries = 64;
  auto ring = make_ring(options);
  for (uint64_t i = 0; i < 10; ++i) submit_nop(*ring, 100 + i);
  CHECK(ring->stats().sq_full >= 2);
  const auto seen = wait_for(*ring, 10);
  REQUIRE(seen.size() == 10);
  std::vector<uint64_t> ids;
  for (const SeenCqe& cqe : seen) ids.push_back(cqe.user_data);
  std::sort(ids.begin(), ids.end());
  for (uint64_t i = 0; i < 10; ++i) CHECK(ids[i] == 100 + i);
  CHECK(ring->stats().submitted == 10);
}

TEST_CASE("reserve_sqes makes room for a linked pair in one submission") {
  RingOptions options;
  options.sq_entries = 4;
  options.cq_entries = 64;
  auto ring = make_ring(options);
  for (uint64_t i = 0; i < 3; ++i) submit_nop(*ring, i);
  CHECK(io_uring_sq_space_left(ring->raw()) == 1);
  ring->reserve_sqes(2);
  CHECK(io_uring_sq_space_left(ring->raw()) >= 2);
  CHECK(ring->stats().sq_full == 1);
  ring->reserve_sqes(2);  // already enough room: nothing is submitted
  CHECK(ring->stats().sq_full == 1);
  CHECK(wait_for(*ring, 3).size() == 3);
}

TEST_CASE("submit_and_wait with nothing in flight times out with 0 ready, not an error") {
  auto ring = make_ring();
  CHECK(ring->submit_and_wait(1ms) == 0);
  CHECK(ring->submit_and_wait(0us) == 0);
  CHECK(ring->drain([](const io_uring_cqe&) { FAIL("no CQE expected"); }) == 0);
}

TEST_CASE("drain hands over every ready CQE and marks them seen with one advance") {
  auto ring = make_ring();
  for (uint64_t i = 0; i < 5; ++i) submit_nop(*ring, i);
  int ready = 0;
  for (int round = 0; round < kWaitRoundsMax && ready < 5; ++round) {
    ready = ring->submit_and_wait(50ms);
  }
  REQUIRE(ready == 5);
  unsigned calls = 0;
  CHECK(ring->drain([&](const io_uring_cqe&) { ++calls; }) == 5);
  CHECK(calls == 5);
  CHECK(io_uring_cq_ready(ring->raw()) == 0);
  CHECK(ring->drain([](const io_uring_cqe&) {}) == 0);
}

TEST_CASE("an EINVAL from DEFER_TASKRUN setup falls back to COOP_TASKRUN and says so") {
  RingOptions options;
  options.test_reject_flags = 1U << 31;  // no such setup flag: the first attempt gets EINVAL
  auto ring = make_ring(options);
  CHECK(ring->mode() == RingMode::kCoopTaskrun);
  CHECK_FALSE(ring->defer_taskrun());
  CHECK(ring->setup_note().find("EINVAL") != std::string::npos);
  CHECK(ring->setup_note().find("using SINGLE_ISSUER|COOP_TASKRUN") != std::string::npos);
  submit_nop(*ring, 7);
  const auto seen = wait_for(*ring, 1);
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].user_data == 7);
}

TEST_CASE("when COOP_TASKRUN with SINGLE_ISSUER is rejected too, the ring runs without it") {
  RingOptions options;
  options.preferred_mode = RingMode::kCoopTaskrun;
  options.test_reject_flags = 1U << 31;
  auto ring = make_ring(options);
  CHECK(ring->mode() == RingMode::kCoopShared);
  CHECK(ring->setup_note().find("using COOP_TASKRUN") != std::string::npos);
  submit_nop(*ring, 8);
  CHECK(wait_for(*ring, 1).size() == 1);
}

TEST_CASE("a ring with sq_entries 0 or a CQ smaller than the SQ is refused with a message") {
  RingOptions options;
  options.sq_entries = 0;
  auto zero = Ring::create(options);
  REQUIRE_FALSE(zero.ok());
  CHECK(zero.error().find("sq_entries") != std::string::npos);
  options.sq_entries = 64;
  options.cq_entries = 32;
  CHECK_FALSE(Ring::create(options).ok());
}

TEST_CASE("EPERM from setup names seccomp and the sysctl, with the fix for each") {
  const std::string sysctl_off = describe_setup_error(EPERM, 2);
  CHECK(sysctl_off.rfind("io_uring is disabled (seccomp or sysctl kernel.io_uring_disabled=2)",
                         0) == 0);
  CHECK(sysctl_off.find("sysctl -w kernel.io_uring_disabled=0") != std::string::npos);
  CHECK(sysctl_off.find("io_uring_group") == std::string::npos);
  const std::string group_only = describe_setup_error(EPERM, 1);
  CHECK(group_only.find("io_uring_group") != std::string::npos);
  const std::string seccomp = describe_setup_error(EPERM, 0);
  CHECK(seccomp.find("kernel.io_uring_disabled=0") != std::string::npos);
  CHECK(seccomp.find("seccomp profile") != std::string::npos);
  const std::string old_kernel = describe_setup_error(EPERM, std::nullopt);
  CHECK(old_kernel.find("kernel.io_uring_disabled=absent") != std::string::npos);
  CHECK(old_kernel.find("seccomp profile") != std::string::npos);
}

TEST_CASE("ENOSYS, ENOMEM, EINVAL and EMFILE setup errors say what to change") {
  CHECK(describe_setup_error(ENOSYS, 0).find("CONFIG_IO_URING") != std::string::npos);
  CHECK(describe_setup_error(ENOMEM, 0).find("RLIMIT_MEMLOCK too low") != std::string::npos);
  CHECK(describe_setup_error(ENOMEM, 0).find("LimitMEMLOCK=") != std::string::npos);
  CHECK(describe_setup_error(EINVAL, 0).find("Linux 6.1 or newer") != std::string::npos);
  CHECK(describe_setup_error(EMFILE, 0).find("LimitNOFILE=") != std::string::npos);
  CHECK(describe_setup_error(EFAULT, 0).find("EFAULT") != std::string::npos);
}

TEST_CASE("ENOMEM on buffer registration says RLIMIT_MEMLOCK is too low and how to raise it") {
  const std::string message = describe_buffer_registration_error(ENOMEM, 32 << 20);
  CHECK(message.rfind("RLIMIT_MEMLOCK too low", 0) == 0);
  CHECK(message.find("32768 KiB") != std::string::npos);
  CHECK(message.find("LimitMEMLOCK=") != std::string::npos);
  CHECK(message.find("ulimit -l") != std::string::npos);
  CHECK(describe_buffer_registration_error(EFAULT, 4096).find("EFAULT") != std::string::npos);
}

TEST_CASE("a seccomp filter blocking io_uring_setup yields the io_uring is disabled message") {
  const int status = run_in_child([] {
    sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    sock_fprog program{static_cast<unsigned short>(std::size(filter)), filter};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return 10;
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) return 11;
    auto ring = Ring::create(RingOptions{});
    if (ring.ok()) return 12;
    if (ring.error().rfind("io_uring is disabled (seccomp or sysctl", 0) == 0) return 0;
    std::fprintf(stderr, "seccomp child: %s\n", ring.error().c_str());
    return 13;
  });
  CHECK(status == 0);
}

TEST_CASE("past RLIMIT_MEMLOCK without CAP_IPC_LOCK, setup and buffer registration say so") {
  const int status = run_in_child([] {
    // Root bypasses the limit through CAP_IPC_LOCK; drop it before any ring is created, since
    // the kernel decides at creation whether to account the ring's pinned memory.
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    if (syscall(SYS_capget, &header, data) != 0) return 10;
    data[CAP_IPC_LOCK / 32].effective &= ~(1U << (CAP_IPC_LOCK % 32));
    data[CAP_IPC_LOCK / 32].permitted &= ~(1U << (CAP_IPC_LOCK % 32));
    if (syscall(SYS_capset, &header, data) != 0) return 11;

    // This kernel charges the rings themselves (about 200 KiB here) to the limit.
    const rlimit tiny{16 << 10, 1 << 20};
    if (setrlimit(RLIMIT_MEMLOCK, &tiny) != 0) return 12;
    auto refused = Ring::create(RingOptions{});
    if (refused.ok()) return 13;
    if (refused.error().find("RLIMIT_MEMLOCK too low") == std::string::npos) {
      std::fprintf(stderr, "memlock child: %s\n", refused.error().c_str());
      return 14;
    }

    const rlimit small{1 << 20, 1 << 20};
    if (setrlimit(RLIMIT_MEMLOCK, &small) != 0) return 15;
    auto ring = Ring::create(RingOptions{});
    if (!ring.ok()) {
      std::fprintf(stderr, "memlock child: %s\n", ring.error().c_str());
      return 16;
    }
    constexpr size_t kBytes = 4 << 20;
    auto* memory = static_cast<std::byte*>(std::aligned_alloc(4096, kBytes));
    auto index = ring.value()->install_buffer({memory, kBytes});
    std::free(memory);
    if (index.ok()) return 17;
    if (index.error().rfind("RLIMIT_MEMLOCK too low", 0) == 0) return 0;
    std::fprintf(stderr, "memlock child: %s\n", index.error().c_str());
    return 18;
  });
  CHECK(status == 0);
}

TEST_CASE("the fixed-file table is clamped to RLIMIT_NOFILE") {
  const int status = run_in_child([] {
    const rlimit limit{512, 512};
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) return 10;
    RingOptions options;
    options.file_slots = 4096;
    auto ring = Ring::create(options);
    if (!ring.ok()) return 11;
    return ring.value()->file_slots() == 512 ? 0 : 12;
  });
  CHECK(status == 0);
}

TEST_CASE("install_file hands out reserved top slots and reports a full reservation") {
  RingOptions options;
  options.file_slots = 16;
  options.reserved_file_slots = 2;
  auto ring = make_ring(options);
  CHECK(ring->file_slots() == 16);
  CHECK(ring->direct_file_slots() == 14);
  int pipe_fds[2];
  REQUIRE(pipe(pipe_fds) == 0);
  const auto first = ring->install_file(pipe_fds[0]);
  const auto second = ring->install_file(pipe_fds[1]);
  REQUIRE(first.has_value());
  REQUIRE(second.has_value());
  CHECK(*first >= 14);
  CHECK(*second >= 14);
  CHECK(*first != *second);
  CHECK_FALSE(ring->install_file(pipe_fds[0]).has_value());
  ring->remove_file(*first);
  const auto again = ring->install_file(pipe_fds[0]);
  REQUIRE(again.has_value());
  CHECK(*again == *first);
  ring->remove_file(*again);
  ring->remove_file(*second);
  close(pipe_fds[0]);
  close(pipe_fds[1]);
}

TEST_CASE("a ring without a file table installs nothing, so callers use plain fds") {
  RingOptions options;
  options.file_slots = 0;
  auto ring = make_ring(options);
  CHECK(ring->file_slots() == 0);
  CHECK_FALSE(ring->install_file(0).has_value());
}

TEST_CASE("a read through an installed fixed file and a fixed buffer returns the file's bytes") {
  auto ring = make_ring();
  int pipe_fds[2];
  REQUIRE(pipe(pipe_fds) == 0);
  REQUIRE(write(pipe_fds[1], "hello ring", 10) == 10);
  const auto slot = ring->install_file(pipe_fds[0]);
  REQUIRE(slot.has_value());
  constexpr size_t kBytes = 4096;
  auto* memory = static_cast<std::byte*>(std::aligned_alloc(4096, kBytes));
  auto index = ring->install_buffer({memory, kBytes});
  REQUIRE(index.ok());

  io_uring_sqe* sqe = ring->get_sqe();
  io_uring_prep_read_fixed(sqe, static_cast<int>(*slot), memory, kBytes, 0,
                           static_cast<int>(index.value()));
  sqe->flags |= IOSQE_FIXED_FILE;
  io_uring_sqe_set_data64(sqe, 77);
  const auto seen = wait_for(*ring, 1);
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].res == 10);
  CHECK(std::memcmp(memory, "hello ring", 10) == 0);

  ring->remove_buffer(index.value());
  ring->remove_file(*slot);
  std::free(memory);
  close(pipe_fds[0]);
  close(pipe_fds[1]);
}

TEST_CASE("install_buffer reuses a removed slot and refuses when every slot is taken") {
  RingOptions options;
  options.buffer_slots = 1;
  auto ring = make_ring(options);
  constexpr size_t kBytes = 8192;
  auto* memory = static_cast<std::byte*>(std::aligned_alloc(4096, kBytes));
  auto first = ring->install_buffer({memory, kBytes});
  REQUIRE(first.ok());
  auto second = ring->install_buffer({memory, kBytes});
  REQUIRE_FALSE(second.ok());
  CHECK(second.error().find("slots are in use") != std::string::npos);
  ring->remove_buffer(first.value());
  auto third = ring->install_buffer({memory, kBytes});
  REQUIRE(third.ok());
  CHECK(third.value() == first.value());
  ring->remove_buffer(third.value());
  std::free(memory);
}

TEST_CASE("compat_prep_msg_ring_cqe_flags delivers data, length and flags to another ring") {
  auto sender = make_ring();
  auto target = make_ring();
  io_uring_sqe* sqe = sender->get_sqe();
  constexpr unsigned kFlags = 1U << 20;
  compat_prep_msg_ring_cqe_flags(sqe, target->fd(), 4242, make_user_data(IoOwner::kMsgRing, 1, 5),
                                 0, kFlags);
  io_uring_sqe_set_data64(sqe, 1);
  const auto sent = wait_for(*sender, 1);
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].res == 0);
  const auto received = wait_for(*target, 1);
  REQUIRE(received.size() == 1);
  CHECK(received[0].user_data == make_user_data(IoOwner::kMsgRing, 1, 5));
  CHECK(received[0].res == 4242);
  CHECK(received[0].flags == kFlags);
}

TEST_CASE("compat_prep_msg_ring_fd moves a fixed socket into a slot the target ring allocates") {
  auto sender = make_ring();
  auto target = make_ring();
  int sockets[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sockets) == 0);
  const auto source_slot = sender->install_file(sockets[0]);
  REQUIRE(source_slot.has_value());

  io_uring_sqe* sqe = sender->get_sqe();
  compat_prep_msg_ring_fd(sqe, target->fd(), static_cast<int>(*source_slot),
                          static_cast<int>(IORING_FILE_INDEX_ALLOC), 0xabcd, 0);
  io_uring_sqe_set_data64(sqe, 2);
  const auto sent = wait_for(*sender, 1);
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].res == 0);
  const auto moved = wait_for(*target, 1);
  REQUIRE(moved.size() == 1);
  CHECK(moved[0].user_data == 0xabcd);
  REQUIRE(moved[0].res >= 0);
  // The kernel allocates only below the reserved range.
  CHECK(static_cast<unsigned>(moved[0].res) < target->direct_file_slots());

  REQUIRE(write(sockets[1], "line\n", 5) == 5);
  char received[16] = {};
  sqe = target->get_sqe();
  io_uring_prep_recv(sqe, moved[0].res, received, sizeof received, 0);
  sqe->flags |= IOSQE_FIXED_FILE;
  io_uring_sqe_set_data64(sqe, 3);
  const auto got = wait_for(*target, 1);
  REQUIRE(got.size() == 1);
  CHECK(got[0].res == 5);
  CHECK(std::string(received, 5) == "line\n");
  sender->remove_file(*source_slot);
  close(sockets[0]);
  close(sockets[1]);
}

}  // namespace
}  // namespace ringstat
