// Clock: where the engine gets "now" (unix seconds). The engine never reads the system clock
// itself, so tests and --fake-time run it on a clock they move by hand. Single-threaded: each
// shard reads its clock on its own reactor thread.
#pragma once

#include <cstdint>

namespace ringstat {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t now_s() const = 0;
};

// A clock that only moves when told to: tests, simulation, and `--fake-time`.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t now_s) : now_s_(now_s) {}
  int64_t now_s() const override { return now_s_; }
  void set(int64_t now_s) { now_s_ = now_s; }
  void advance(int64_t seconds) { now_s_ += seconds; }

 private:
  int64_t now_s_;
};

}  // namespace ringstat
