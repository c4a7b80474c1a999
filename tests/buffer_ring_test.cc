// BufferRing against a real multishot recv: buffers handed out per CQE, returned at once and
// published in one tail update; exhaustion ends the multishot with ENOBUFS; recycled buffers are
// invisible until publish(); argument checks.
#include <doctest/doctest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "net/uring/buffer_ring.h"
#include "net/uring/io_user_data.h"
#include "net/uring/ring.h"

namespace ringstat {
namespace {

using namespace std::chrono_literals;

constexpr int kWaitRoundsMax = 200;  // bounds a test that would otherwise hang
constexpr uint16_t kGroup = 3;

struct SeenCqe {
  int res;
  uint32_t flags;
};

std::unique_ptr<Ring> make_ring() {
  auto ring = Ring::create(RingOptions{});
  REQUIRE_MESSAGE(ring.ok(), (ring.ok() ? "" : ring.error()));
  return std::move(ring.value());
}

std::unique_ptr<BufferRing> make_buffers(Ring& ring, uint32_t entries, uint32_t bytes) {
  auto buffers = BufferRing::create(ring, kGroup, entries, bytes);
  REQUIRE_MESSAGE(buffers.ok(), (buffers.ok() ? "" : buffers.error()));
  return std::move(buffers.value());
}

struct SocketPair {
  SocketPair() { REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0); }
  ~SocketPair() {
    if (fds[0] >= 0) close(fds[0]);
    if (fds[1] >= 0) close(fds[1]);
  }
  void send(const std::string& bytes) const {
    REQUIRE(::write(fds[1], bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
  }
  int fds[2] = {-1, -1};
};

void arm_recv(Ring& ring, int fd) {
  io_uring_sqe* sqe = ring.get_sqe();
  io_uring_prep_recv_multishot(sqe, fd, nullptr, 0, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_group = kGroup;
  io_uring_sqe_set_data64(sqe, make_user_data(IoOwner::kRecv, 0, 1));
}

// Waits for CQEs until `done` says enough; every buffer a CQE hands out is taken and its bytes
// appended to `received`.
template <class Done>
std::vector<SeenCqe> collect(Ring& ring, BufferRing& buffers, std::string& received, Done done) {
  std::vector<SeenCqe> seen;
  for (int round = 0; round < kWaitRoundsMax && !done(seen); ++round) {
    REQUIRE(ring.submit_and_wait(50ms) >= 0);
    ring.drain([&](const io_uring_cqe& cqe) {
      seen.push_back({cqe.res, cqe.flags});
      if (auto bid = BufferRing::buffer_id(cqe)) {
        REQUIRE(cqe.res > 0);
        auto bytes = buffers.take(*bid, static_cast<uint32_t>(cqe.res));
        received.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
      }
    });
  }
  return seen;
}

bool ended(const std::vector<SeenCqe>& seen) {
  return !seen.empty() && (seen.back().flags & IORING_CQE_F_MORE) == 0;
}

void recycle_all(BufferRing& buffers, std::vector<uint16_t>& bids) {
  for (uint16_t bid : bids) buffers.recycle(bid);
  bids.clear();
}

TEST_CASE("buffer ring creation refuses entries that are not a power of two up to 32768") {
  auto ring = make_ring();
  for (uint32_t entries : {0U, 3U, 48U, 65536U}) {
    auto buffers = BufferRing::create(*ring, kGroup, entries, 64);
    REQUIRE_FALSE(buffers.ok());
    CHECK(buffers.error().find("power of two") != std::string::npos);
  }
  CHECK(BufferRing::create(*ring, kGroup, 32768, 16).ok());
}

TEST_CASE("buffer ring creation refuses a zero or oversized buffer size") {
  auto ring = make_ring();
  CHECK_FALSE(BufferRing::create(*ring, kGroup, 8, 0).ok());
  CHECK_FALSE(BufferRing::create(*ring, kGroup, 8, BufferRing::kBufferBytesMax + 1).ok());
  CHECK(BufferRing::create(*ring, kGroup, 8, BufferRing::kBufferBytesMax).ok());
}

TEST_CASE("a group id already registered on the ring is refused by number") {
  auto ring = make_ring();
  auto first = make_buffers(*ring, 8, 64);
  auto second = BufferRing::create(*ring, kGroup, 8, 64);
  REQUIRE_FALSE(second.ok());
  CHECK(second.error().find("group 3 is already registered") != std::string::npos);
  first.reset();  // unregistering frees the id again
  CHECK(BufferRing::create(*ring, kGroup, 8, 64).ok());
}

TEST_CASE("buffers are one aligned allocation and all published at creation") {
  auto ring = make_ring();
  auto buffers = make_buffers(*ring, 8, 100);
  CHECK(buffers->available() == 8);
  CHECK(buffers->outstanding() == 0);
  CHECK(buffers->queued() == 0);
  auto first = buffers->take(0, 100);
  auto second = buffers->take(1, 10);
  CHECK(reinterpret_cast<uintptr_t>(first.data()) % 4096 == 0);
  CHECK(second.data() - first.data() == 100);
  CHECK(second.size() == 10);
  CHECK(buffers->buffer(1, 50).data() == second.data());
  CHECK(buffers->outstanding() == 2);
  CHECK(buffers->available() == 6);
  buffers->recycle(0);
  buffers->recycle(1);
  CHECK(buffers->outstanding() == 0);
  CHECK(buffers->queued() == 2);
  CHECK(buffers->available() == 6);
  buffers->publish();
  CHECK(buffers->queued() == 0);
  CHECK(buffers->available() == 8);
  buffers->publish();  // nothing queued: no change
  CHECK(buffers->available() == 8);
}

TEST_CASE("buffer_id reads the id only from CQEs flagged F_BUFFER") {
  io_uring_cqe with_buffer{};
  with_buffer.flags = IORING_CQE_F_BUFFER | IORING_CQE_F_MORE | (517U << IORING_CQE_BUFFER_SHIFT);
  CHECK(BufferRing::buffer_id(with_buffer) == std::optional<uint16_t>(517));
  io_uring_cqe without{};
  without.flags = IORING_CQE_F_MORE | (517U << IORING_CQE_BUFFER_SHIFT);
  CHECK_FALSE(BufferRing::buffer_id(without).has_value());
}

TEST_CASE("messages land in their own buffers of one multishot recv and go straight back") {
  auto ring = make_ring();
  auto buffers = make_buffers(*ring, 8, 256);
  SocketPair pair;
  arm_recv(*ring, pair.fds[0]);
  std::string received;
  const std::vector<std::string> messages = {"cpu.idle 93\n", "web.latency 42\n", "a.b 1\n"};
  std::vector<SeenCqe> all;
  for (size_t i = 0; i < messages.size(); ++i) {
    pair.send(messages[i]);
    auto seen = collect(*ring, *buffers, received,
                        [&](const std::vector<SeenCqe>& s) { return !s.empty(); });
    REQUIRE(seen.size() == 1);
    CHECK((seen[0].flags & IORING_CQE_F_MORE) != 0);
    CHECK(seen[0].res == static_cast<int>(messages[i].size()));
    all.push_back(seen[0]);
    CHECK(buffers->outstanding() == i + 1);
  }
  CHECK(received == messages[0] + messages[1] + messages[2]);
  std::vector<uint16_t> bids;
  for (const SeenCqe& cqe : all)
    bids.push_back(static_cast<uint16_t>(cqe.flags >> IORING_CQE_BUFFER_SHIFT));
  CHECK(bids[0] != bids[1]);
  CHECK(bids[1] != bids[2]);
  recycle_all(*buffers, bids);
  buffers->publish();
  CHECK(buffers->outstanding() == 0);
  CHECK(buffers->available() == 8);

  // EOF ends the multishot: res 0, no buffer, no F_MORE.
  close(pair.fds[1]);
  pair.fds[1] = -1;
  auto seen = collect(*ring, *buffers, received, ended);
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].res == 0);
  CHECK((seen[0].flags & IORING_CQE_F_BUFFER) == 0);
}

TEST_CASE("a dry group ends the multishot with ENOBUFS; recycle, publish and re-arm get the rest") {
  auto ring = make_ring();
  auto buffers = make_buffers(*ring, 4, 64);
  SocketPair pair;
  std::string sent;
  for (int i = 0; sent.size() < 1000; ++i) sent += "counter." + std::to_string(i) + " 1\n";
  pair.send(sent);

  std::string received;
  std::vector<uint16_t> bids;
  auto track = [&](const std::vector<SeenCqe>& seen) {
    for (const SeenCqe& cqe : seen) {
      if (cqe.flags & IORING_CQE_F_BUFFER)
        bids.push_back(static_cast<uint16_t>(cqe.flags >> IORING_CQE_BUFFER_SHIFT));
    }
  };
  arm_recv(*ring, pair.fds[0]);
  auto first = collect(*ring, *buffers, received, ended);
  track(first);
  REQUIRE(ended(first));
  CHECK(first.back().res == -ENOBUFS);
  CHECK(first.size() == 5);  // four full buffers, then the end
  CHECK(received == sent.substr(0, 256));
  CHECK(buffers->outstanding() == 4);
  CHECK(buffers->available() == 0);

  // Recycled but not published: the kernel still sees an empty group.
  recycle_all(*buffers, bids);
  CHECK(buffers->queued() == 4);
  CHECK(buffers->available() == 0);
  arm_recv(*ring, pair.fds[0]);
  auto unpublished = collect(*ring, *buffers, received, ended);
  REQUIRE(unpublished.size() == 1);
  CHECK(unpublished[0].res == -ENOBUFS);
  CHECK(received.size() == 256);

  // Published: every re-arm makes progress until everything arrived.
  int rearms = 0;
  auto ended_or_complete = [&](const std::vector<SeenCqe>& seen) {
    return ended(seen) || received.size() == sent.size();
  };
  while (received.size() < sent.size() && rearms < 100) {
    buffers->publish();
    arm_recv(*ring, pair.fds[0]);
    auto seen = collect(*ring, *buffers, received, ended_or_complete);
    track(seen);
    if (received.size() < sent.size()) {
      REQUIRE(ended(seen));
      CHECK(seen.back().res == -ENOBUFS);
    }
    recycle_all(*buffers, bids);
    ++rearms;
  }
  CHECK(received == sent);
  CHECK(rearms == static_cast<int>((sent.size() - 256 + 255) / 256));
  buffers->publish();
  CHECK(buffers->outstanding() == 0);
  CHECK(buffers->available() == 4);

  // The last multishot is still armed; EOF ends it before the group goes away (rule 6).
  close(pair.fds[1]);
  pair.fds[1] = -1;
  auto last = collect(*ring, *buffers, received, ended);
  REQUIRE(ended(last));
  CHECK(last.back().res == 0);
}

}  // namespace
}  // namespace ringstat
