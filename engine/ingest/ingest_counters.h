// IngestCounters: what ingest counts per listener, exported by GET /metrics: lines, rejections by
// reason, reserved and meta lines (counted by the engine's LinePipeline) and samples accepted
// (the shards' answers, counted where batches are applied). Plain integers in one
// IngestCountersByListener per reactor, written only on that reactor's thread: no atomics on the
// data path.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "engine/ingest/reject_reason.h"

namespace ringstat {

// Where samples came from: the stat port (istatd lines) or the Graphite port, over TCP or UDP.
enum class IngestListener : uint8_t { kStatTcp, kStatUdp, kGraphiteTcp, kGraphiteUdp, kCount };
inline constexpr size_t kIngestListenerCount = static_cast<size_t>(IngestListener::kCount);
inline constexpr size_t kRejectReasonCount = static_cast<size_t>(RejectReason::kCount);

// The Graphite listeners speak Graphite plaintext; the stat listeners speak istatd lines.
inline constexpr bool is_graphite(IngestListener listener) {
  return listener == IngestListener::kGraphiteTcp || listener == IngestListener::kGraphiteUdp;
}

struct IngestCounters {
  uint64_t lines = 0;
  uint64_t samples_accepted = 0;
  uint64_t reserved_lines = 0;
  uint64_t meta_lines = 0;
  std::array<uint64_t, kRejectReasonCount> rejected{};
};

using IngestCountersByListener = std::array<IngestCounters, kIngestListenerCount>;

}  // namespace ringstat
