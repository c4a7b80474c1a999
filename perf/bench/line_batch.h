// LineFormatter: pre-formats one sender connection's workload lines into large buffers cut into
// chunks of whole lines (64 KiB TCP writes, <= 1400-byte UDP datagrams), ahead of the schedule
// that sends them. Each sender thread owns its formatter and batches: single-threaded pure code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "perf/bench/workload.h"

namespace ringstat {

// One send: bytes [previous chunk's end_offset, end_offset) of the batch, `lines` whole lines.
struct LineChunk {
  uint32_t end_offset = 0;
  uint32_t lines = 0;
};

// Lines [first_line, first_line + lines) of one connection's stream.
struct LineBatch {
  std::string bytes;
  std::vector<LineChunk> chunks;
  uint64_t first_line = 0;
  uint64_t lines = 0;
};

// A batch is at most this large, so formatting ahead costs a bounded amount of memory per
// connection (two batches: the one being sent and the next).
inline constexpr size_t kBatchBytesMax = 64 * 1024 * 1024;

// Connection c of C sends the counters i with i % C == c, round by round, in increasing i within
// a round: its line L is counter c + (L % owned) * C in round L / owned.
class LineFormatter {
 public:
  LineFormatter(const WorkloadPlan& plan, uint32_t connections, uint32_t connection);

  uint32_t owned() const { return owned_; }

  // Replaces `out` with lines [first_line, stop_line) or fewer: it stops before the batch
  // would pass batch_bytes. Each chunk holds whole lines and at most chunk_bytes bytes.
  // Requires kLineBytesMax <= chunk_bytes <= batch_bytes <= kBatchBytesMax and owned() > 0.
  void format(uint64_t first_line, uint64_t stop_line, size_t chunk_bytes, size_t batch_bytes,
              LineBatch& out) const;

 private:
  WorkloadPlan plan_;
  uint32_t connections_;
  uint32_t connection_;
  uint32_t owned_;
  // The owned counters' names back to back, kCounterNameBytes each, formatted once.
  std::string names_;
};

}  // namespace ringstat
