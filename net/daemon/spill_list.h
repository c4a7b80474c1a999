// SpillList: the samples one reactor parsed for another reactor while that reactor's inbound queue
// was full, kept in arrival order until slots free up (Invariant 9, docs/architecture.md). It
// counts what went in and what was handed on, so the admin `flush` can note a position when the
// command reaches the reactor and wait for exactly that much, never for samples read later.
// Owned by one reactor and touched only on its thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "base/verify.h"

namespace ringstat {

template <class T>
class SpillList {
 public:
  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }
  const T& operator[](size_t index) const { return items_[index]; }

  void push_back(T item) {
    items_.push_back(std::move(item));
    ++pushed_total_;
  }
  // The first `count` items have been handed on: drop them, keeping the order of the rest.
  void pop_front(size_t count) {
    VERIFY(count <= items_.size());
    items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(count));
    handed_on_total_ += count;
  }

  // Items ever pushed: the position a barrier notes for "everything spilled so far".
  uint64_t pushed_total() const { return pushed_total_; }
  // True once every item pushed before pushed_total() returned `position` has been handed on.
  bool handed_on_through(uint64_t position) const { return handed_on_total_ >= position; }

 private:
  std::vector<T> items_;
  uint64_t pushed_total_ = 0;
  uint64_t handed_on_total_ = 0;
};

}  // namespace ringstat
