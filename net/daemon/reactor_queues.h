// ReactorQueues: the SPSC queues between every ordered pair of reactors, one for sample batches
// and one for tasks (net/daemon/cross_reactor.h). Built before any reactor starts and never
// resized, so any thread may look a queue up; each queue then has one producer thread (`from`)
// and one consumer thread (`to`).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "base/verify.h"
#include "net/daemon/cross_reactor.h"
#include "net/daemon/spsc_queue.h"

namespace ringstat {

class ReactorQueues {
 public:
  explicit ReactorQueues(uint32_t reactor_count) : reactor_count_(reactor_count) {
    VERIFY(reactor_count >= 1);
    const size_t pairs = size_t{reactor_count} * reactor_count;
    data_.reserve(pairs);
    tasks_.reserve(pairs);
    for (size_t pair = 0; pair < pairs; ++pair) {
      data_.push_back(std::make_unique<SpscQueue<RemoteBatch>>(kRemoteBatchSlots));
      tasks_.push_back(std::make_unique<SpscQueue<TaskSlot>>(kTaskSlots));
    }
  }

  uint32_t reactor_count() const { return reactor_count_; }
  SpscQueue<RemoteBatch>& data(uint32_t from, uint32_t to) { return *data_[pair(from, to)]; }
  SpscQueue<TaskSlot>& tasks(uint32_t from, uint32_t to) { return *tasks_[pair(from, to)]; }

 private:
  size_t pair(uint32_t from, uint32_t to) const {
    VERIFY(from < reactor_count_ && to < reactor_count_);
    return size_t{from} * reactor_count_ + to;
  }

  uint32_t reactor_count_;
  std::vector<std::unique_ptr<SpscQueue<RemoteBatch>>> data_;
  std::vector<std::unique_ptr<SpscQueue<TaskSlot>>> tasks_;
};

}  // namespace ringstat
