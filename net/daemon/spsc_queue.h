// SpscQueue: a bounded single-producer single-consumer ring of fixed slots, used between two
// reactors (one queue per ordered pair). Slots are filled and read in place, so handing a batch of
// samples to another core copies it once and allocates nothing. The producer thread calls only
// producer_*; the consumer thread only consumer_*. Memory ordering: a slot written before
// producer_publish() (release) is visible after consumer_peek() (acquire) on the other side;
// consumer_release() (release) hands the slot back to producer_slot() (acquire).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "base/verify.h"

namespace ringstat {

template <class Slot>
class SpscQueue {
 public:
  explicit SpscQueue(size_t capacity)
      : slots_(std::make_unique<Slot[]>(capacity)), capacity_(capacity) {
    VERIFY(capacity >= 2);
  }

  // Producer: the next free slot to fill, or nullptr when the queue is full (back-pressure).
  Slot* producer_slot() {
    const uint64_t head = head_.load(std::memory_order_relaxed);
    if (head - tail_cache_ >= capacity_) {
      tail_cache_ = tail_.load(std::memory_order_acquire);
      if (head - tail_cache_ >= capacity_) return nullptr;
    }
    return &slots_[head % capacity_];
  }
  // Producer: makes the slot returned by producer_slot() visible to the consumer.
  void producer_publish() {
    head_.store(head_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  }

  // Consumer: the oldest published slot, or nullptr when empty.
  Slot* consumer_peek() {
    const uint64_t tail = tail_.load(std::memory_order_relaxed);
    if (tail == head_cache_) {
      head_cache_ = head_.load(std::memory_order_acquire);
      if (tail == head_cache_) return nullptr;
    }
    return &slots_[tail % capacity_];
  }
  // Consumer: done with the slot returned by consumer_peek(); the producer may reuse it.
  void consumer_release() {
    tail_.store(tail_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  }

  bool empty_for_consumer() { return consumer_peek() == nullptr; }

  // Positions count slots since the queue was made, so a barrier can note "everything published
  // so far" and later see that the consumer has passed it, whatever was published after.
  // Consumer: slots the producer has published so far.
  uint64_t consumer_published_position() { return head_.load(std::memory_order_acquire); }
  // Consumer: slots it has released so far.
  uint64_t consumer_released_position() const { return tail_.load(std::memory_order_relaxed); }
  size_t capacity() const { return capacity_; }

 private:
  std::unique_ptr<Slot[]> slots_;
  const size_t capacity_;
  // Each index on its own cache line so the two cores do not bounce one line between them.
  alignas(64) std::atomic<uint64_t> head_{0};  // written by the producer
  uint64_t tail_cache_ = 0;                    // producer's last view of tail_
  alignas(64) std::atomic<uint64_t> tail_{0};  // written by the consumer
  uint64_t head_cache_ = 0;                    // consumer's last view of head_
};

}  // namespace ringstat
