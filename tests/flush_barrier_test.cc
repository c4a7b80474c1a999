// The positions the admin `flush` barrier notes (net/daemon/daemon_services.cc): a spill list's
// pushed total and an SPSC queue's published position. A position noted at the command is passed
// once what came before it has been handed on or consumed, whatever was added after it.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdint>
#include <thread>

#include "net/daemon/spill_list.h"
#include "net/daemon/spsc_queue.h"

namespace ringstat {
namespace {

TEST_CASE("a spill position is passed once the samples before it are handed on") {
  SpillList<int> spill;
  for (int i = 0; i < 5; ++i) spill.push_back(i);
  const uint64_t mark = spill.pushed_total();
  CHECK(mark == 5);
  for (int i = 5; i < 100; ++i) spill.push_back(i);  // read after the command
  CHECK_FALSE(spill.handed_on_through(mark));
  spill.pop_front(3);
  CHECK_FALSE(spill.handed_on_through(mark));
  CHECK(spill[0] == 3);
  spill.pop_front(2);
  CHECK(spill.handed_on_through(mark));  // 95 newer samples still wait; the barrier does not
  CHECK(spill.size() == 95);
  CHECK(spill[0] == 5);
}

TEST_CASE("an empty spill list's position is passed at once") {
  SpillList<int> spill;
  CHECK(spill.handed_on_through(spill.pushed_total()));
  spill.push_back(1);
  spill.pop_front(1);
  CHECK(spill.empty());
  CHECK(spill.handed_on_through(spill.pushed_total()));
}

TEST_CASE("a queue position noted by the consumer ignores slots published after it") {
  SpscQueue<int> queue(4);
  for (int i = 0; i < 3; ++i) {
    *queue.producer_slot() = i;
    queue.producer_publish();
  }
  const uint64_t mark = queue.consumer_published_position();
  CHECK(mark == 3);
  *queue.producer_slot() = 3;  // published after the mark
  queue.producer_publish();
  CHECK(queue.consumer_released_position() == 0);
  for (int i = 0; i < 3; ++i) {
    REQUIRE(queue.consumer_peek() != nullptr);
    CHECK(*queue.consumer_peek() == i);
    queue.consumer_release();
  }
  CHECK(queue.consumer_released_position() >= mark);
  CHECK(queue.consumer_peek() != nullptr);  // the newer slot is still there, not waited for
}

TEST_CASE("a consumer reaches its noted position while the producer keeps publishing") {
  constexpr uint64_t kSlotsMax = 1'000'000;  // the producer stops by itself
  SpscQueue<uint64_t> queue(32);
  std::atomic<bool> stop{false};
  std::thread producer([&] {
    for (uint64_t next = 0; next < kSlotsMax && !stop.load(std::memory_order_relaxed);) {
      if (uint64_t* slot = queue.producer_slot()) {
        *slot = next++;
        queue.producer_publish();
      }
    }
  });
  // Wait until something is published, note the position, and consume only up to it.
  uint64_t mark = 0;
  while (mark == 0) mark = queue.consumer_published_position();
  uint64_t expected = 0;
  while (queue.consumer_released_position() < mark) {
    if (uint64_t* slot = queue.consumer_peek()) {
      CHECK(*slot == expected++);
      queue.consumer_release();
    }
  }
  stop.store(true, std::memory_order_relaxed);
  producer.join();
  CHECK(expected == mark);
}

}  // namespace
}  // namespace ringstat
