// StoreHealth: what a shard knows about its files' failures (a full disk, an I/O error) and
// when it may try again. Every failed operation is counted by operation and errno; growing the
// page file and writing a checkpoint back off after a failure instead of retrying every tick;
// once the store has failed for longer than the grace period, the shard stops holding producers
// back and refuses what it cannot keep (`store_full`), so no client waits for ever. Owned by one
// shard and touched only on its thread.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>

#include "base/verify.h"

namespace ringstat {

// The kind of file operation that failed, as exported by /metrics.
enum class StoreOp : uint8_t { kRead, kWrite, kSync, kGrow, kCount };

inline constexpr const char* store_op_name(StoreOp op) {
  switch (op) {
    case StoreOp::kRead:
      return "read";
    case StoreOp::kWrite:
      return "write";
    case StoreOp::kSync:
      return "sync";
    case StoreOp::kGrow:
      return "grow";
    case StoreOp::kCount:
      break;
  }
  return "unknown";
}

// One (operation, errno) pair and how often it failed. errno is positive (ENOSPC, EIO, ...).
struct StoreErrorCount {
  StoreOp op = StoreOp::kCount;
  int error = 0;
  uint64_t count = 0;
};

// The operations that back off after a failure.
enum class StoreRetry : uint8_t { kPageGrow, kCheckpoint, kCount };

class StoreHealth {
 public:
  // Distinct (operation, errno) pairs kept; further pairs are added to the last slot's count.
  static constexpr size_t kErrorKindsMax = 16;
  // Backoff after the n-th consecutive failure: 2^n ticks, at most this many (a tick is 100 ms).
  static constexpr uint32_t kBackoffTicksMax = 100;

  explicit StoreHealth(uint32_t grace_ticks) : grace_ticks_(grace_ticks) {}

  void tick() { ++ticks_; }

  void record_error(StoreOp op, int result) {
    VERIFY(result < 0);
    const int error = -result;
    ++errors_total_;
    last_error_ = StoreErrorCount{op, error, 0};
    for (StoreErrorCount& kind : errors_) {
      if (kind.count > 0 && kind.op == op && kind.error == error) {
        ++kind.count;
        return;
      }
      if (kind.count == 0) {
        kind = StoreErrorCount{op, error, 1};
        return;
      }
    }
    ++errors_.back().count;  // more kinds than slots: counted with the last one
  }

  // A retried operation failed: wait longer before the next try. The store counts as failing
  // from the first failure until a retried operation succeeds.
  void failed(StoreRetry retry) {
    Backoff& backoff = backoffs_[static_cast<size_t>(retry)];
    backoff.failures = std::min<uint32_t>(backoff.failures + 1, 31);
    const uint32_t wait = std::min<uint32_t>(uint32_t{1} << std::min<uint32_t>(backoff.failures, 7),
                                             kBackoffTicksMax);
    backoff.retry_at_tick = ticks_ + wait;
    if (failing_since_tick_ == kNotFailing) failing_since_tick_ = ticks_;
  }

  void succeeded(StoreRetry retry) {
    backoffs_[static_cast<size_t>(retry)] = Backoff{};
    for (const Backoff& backoff : backoffs_) {
      if (backoff.failures > 0) return;
    }
    failing_since_tick_ = kNotFailing;
  }

  bool may_try(StoreRetry retry) const {
    return ticks_ >= backoffs_[static_cast<size_t>(retry)].retry_at_tick;
  }
  bool failing() const { return failing_since_tick_ != kNotFailing; }
  // Failing for longer than the grace period: producers are no longer held back.
  bool grace_spent() const { return failing() && ticks_ - failing_since_tick_ >= grace_ticks_; }

  const std::array<StoreErrorCount, kErrorKindsMax>& errors() const { return errors_; }
  uint64_t errors_total() const { return errors_total_; }
  const StoreErrorCount& last_error() const { return last_error_; }

 private:
  static constexpr uint64_t kNotFailing = UINT64_MAX;
  struct Backoff {
    uint32_t failures = 0;
    uint64_t retry_at_tick = 0;
  };

  uint32_t grace_ticks_;
  uint64_t ticks_ = 0;
  uint64_t failing_since_tick_ = kNotFailing;
  std::array<Backoff, static_cast<size_t>(StoreRetry::kCount)> backoffs_{};
  std::array<StoreErrorCount, kErrorKindsMax> errors_{};
  StoreErrorCount last_error_;
  uint64_t errors_total_ = 0;
};

}  // namespace ringstat
