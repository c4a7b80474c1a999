// BufferRing: a provided buffer ring, one buffer group per reactor shared by all its connections
// (multishot recv and recvmsg pick a buffer per CQE). Owned by the reactor that owns the Ring;
// never touched from another thread.
//
// Rules the reactor follows (background: iouring.md section 4):
// 1. A CQE with IORING_CQE_F_BUFFER hands out buffer `cqe->flags >> IORING_CQE_BUFFER_SHIFT`
//    holding `res` bytes: take() it, copy what must outlive the pass (a line's tail), recycle() it
//    at once, and publish() once per drained batch.
// 2. -ENOBUFS means the group ran dry; it is a sizing signal to count, not an error. It arrives
//    without IORING_CQE_F_MORE: the multishot has ended.
// 3. Every CQE without F_MORE ends its multishot: re-arm it, or close on res == 0 (EOF) and on
//    real errors. Kernels differ on whether a cancelled multishot reports -ENOBUFS or -ECANCELED.
// 4. Re-arm after -ENOBUFS only once buffers have been published again: a multishot armed on an
//    empty group fails with -ENOBUFS at once (liburing#1275). Drive re-arming from buffer
//    returns (e.g. when available() climbs past half the ring), never from a timer.
// 5. Under DEFER_TASKRUN one enter can run a whole backlog and drain the group in one pass, so
//    the second -ENOBUFS right after a re-arm is normal.
// 6. Destroy the BufferRing only after every multishot using its group has ended.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "base/result.h"
#include "net/uring/ring.h"

namespace ringstat {

class BufferRing {
 public:
  static constexpr uint32_t kEntriesMax = 32768;                  // the kernel's limit
  static constexpr uint32_t kBufferBytesMax = uint32_t{1} << 20;  // a sane cap per buffer

  // entries: a power of two in [1, kEntriesMax]; buffer_bytes in [1, kBufferBytesMax]. The
  // buffers are one 4096-byte-aligned allocation; all of them start out published.
  static Result<std::unique_ptr<BufferRing>> create(Ring& ring, uint16_t group_id, uint32_t entries,
                                                    uint32_t buffer_bytes);
  ~BufferRing();  // unregisters the group and frees the memory
  BufferRing(const BufferRing&) = delete;
  BufferRing& operator=(const BufferRing&) = delete;

  // The buffer id a CQE carries, if it carries one.
  static std::optional<uint16_t> buffer_id(const io_uring_cqe& cqe);

  // Records that a CQE handed out buffer `bid` with `len` bytes and returns them.
  std::span<std::byte> take(uint16_t bid, uint32_t len);
  // The first `len` bytes of a handed-out buffer.
  std::span<std::byte> buffer(uint16_t bid, uint32_t len);
  // Queues a handed-out buffer for return; invisible to the kernel until publish().
  void recycle(uint16_t bid);
  // Makes every queued buffer visible to the kernel with one tail update.
  void publish();

  uint16_t group_id() const { return group_id_; }
  uint32_t entries() const { return entries_; }
  uint32_t buffer_bytes() const { return buffer_bytes_; }
  // Handed out by CQEs and not yet recycled. liburing 2.3 has no buf_ring_available(), so the
  // count is kept here.
  uint32_t outstanding() const { return outstanding_; }
  uint32_t queued() const { return queued_; }  // recycled, waiting for publish()
  uint32_t available() const { return entries_ - outstanding_ - queued_; }  // the kernel's

 private:
  enum class State : uint8_t { kPublished, kHandedOut, kQueued };

  BufferRing(Ring& ring, uint16_t group_id, uint32_t entries, uint32_t buffer_bytes);
  std::byte* address(uint16_t bid) { return memory_.get() + size_t{bid} * buffer_bytes_; }

  Ring& ring_;
  uint16_t group_id_;
  uint32_t entries_;
  uint32_t buffer_bytes_;
  io_uring_buf_ring* descriptors_ = nullptr;
  std::unique_ptr<std::byte, void (*)(void*)> memory_;
  std::vector<State> states_;
  uint32_t outstanding_ = 0;
  uint32_t queued_ = 0;
};

}  // namespace ringstat
