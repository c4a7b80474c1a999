#include "net/uring/buffer_ring.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "base/verify.h"

namespace ringstat {

namespace {

constexpr size_t kBufferAlignBytes = 4096;

bool is_power_of_two(uint32_t value) { return value != 0 && (value & (value - 1)) == 0; }

}  // namespace

BufferRing::BufferRing(Ring& ring, uint16_t group_id, uint32_t entries, uint32_t buffer_bytes)
    : ring_(ring),
      group_id_(group_id),
      entries_(entries),
      buffer_bytes_(buffer_bytes),
      memory_(nullptr, &std::free),
      states_(entries, State::kPublished) {}

Result<std::unique_ptr<BufferRing>> BufferRing::create(Ring& ring, uint16_t group_id,
                                                       uint32_t entries, uint32_t buffer_bytes) {
  if (!is_power_of_two(entries) || entries > kEntriesMax) {
    return Error{"buffer ring: entries must be a power of two up to " +
                 std::to_string(kEntriesMax) + ", not " + std::to_string(entries)};
  }
  if (buffer_bytes == 0 || buffer_bytes > kBufferBytesMax) {
    return Error{"buffer ring: buffer size must be 1.." + std::to_string(kBufferBytesMax) +
                 " bytes, not " + std::to_string(buffer_bytes)};
  }
  std::unique_ptr<BufferRing> result(new BufferRing(ring, group_id, entries, buffer_bytes));
  const size_t total = size_t{entries} * buffer_bytes;
  const size_t rounded = (total + kBufferAlignBytes - 1) / kBufferAlignBytes * kBufferAlignBytes;
  result->memory_.reset(static_cast<std::byte*>(std::aligned_alloc(kBufferAlignBytes, rounded)));
  if (result->memory_ == nullptr) {
    return Error{"buffer ring: cannot allocate " + std::to_string(rounded >> 10) + " KiB"};
  }

  int error = 0;
  result->descriptors_ = compat_setup_buf_ring(ring.raw(), entries, group_id, 0, &error);
  if (result->descriptors_ == nullptr) {
    if (error == -ENOMEM) {
      return Error{describe_buffer_registration_error(ENOMEM, entries * sizeof(io_uring_buf))};
    }
    if (error == -EEXIST) {
      return Error{"buffer ring: group " + std::to_string(group_id) +
                   " is already registered on this ring"};
    }
    return Error{"buffer ring: registering group " + std::to_string(group_id) +
                 " failed: " + std::strerror(-error)};
  }
  const int mask = io_uring_buf_ring_mask(entries);
  for (uint32_t bid = 0; bid < entries; ++bid) {
    io_uring_buf_ring_add(result->descriptors_, result->address(static_cast<uint16_t>(bid)),
                          buffer_bytes, static_cast<unsigned short>(bid), mask,
                          static_cast<int>(bid));
  }
  io_uring_buf_ring_advance(result->descriptors_, static_cast<int>(entries));
  return result;
}

BufferRing::~BufferRing() {
  if (descriptors_ != nullptr) {
    VERIFY(compat_free_buf_ring(ring_.raw(), descriptors_, entries_, group_id_) == 0);
  }
}

std::optional<uint16_t> BufferRing::buffer_id(const io_uring_cqe& cqe) {
  if ((cqe.flags & IORING_CQE_F_BUFFER) == 0) return std::nullopt;
  return static_cast<uint16_t>(cqe.flags >> IORING_CQE_BUFFER_SHIFT);
}

std::span<std::byte> BufferRing::take(uint16_t bid, uint32_t len) {
  VERIFY(bid < entries_);
  VERIFY(states_[bid] == State::kPublished);
  states_[bid] = State::kHandedOut;
  ++outstanding_;
  return buffer(bid, len);
}

std::span<std::byte> BufferRing::buffer(uint16_t bid, uint32_t len) {
  VERIFY(bid < entries_);
  VERIFY(states_[bid] == State::kHandedOut);
  VERIFY(len <= buffer_bytes_);
  return {address(bid), len};
}

void BufferRing::recycle(uint16_t bid) {
  VERIFY(bid < entries_);
  VERIFY(states_[bid] == State::kHandedOut);
  // Written past the published tail, so the kernel cannot see it before publish().
  io_uring_buf_ring_add(descriptors_, address(bid), buffer_bytes_, bid,
                        io_uring_buf_ring_mask(entries_), static_cast<int>(queued_));
  states_[bid] = State::kQueued;
  --outstanding_;
  ++queued_;
}

void BufferRing::publish() {
  if (queued_ == 0) return;
  const uint32_t mask = entries_ - 1;
  for (uint32_t i = 0; i < queued_; ++i) {
    const uint16_t bid = descriptors_->bufs[(descriptors_->tail + i) & mask].bid;
    VERIFY(states_[bid] == State::kQueued);
    states_[bid] = State::kPublished;
  }
  io_uring_buf_ring_advance(descriptors_, static_cast<int>(queued_));
  queued_ = 0;
}

}  // namespace ringstat
