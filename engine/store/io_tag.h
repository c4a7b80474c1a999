// IoTag: how a shard names its in-flight I/O in the 64-bit completion tag: the kind of operation
// in the top byte, a kind-specific payload (a WAL sequence, a job slot) below.
#pragma once

#include <cstdint>

#include "base/verify.h"

namespace ringstat {

enum class IoKind : uint8_t {
  kWalWrite = 1,    // payload: block sequence
  kWalSync = 2,     // payload: highest sequence the sync covers
  kFlushRead = 3,   // payload: flush job slot
  kFlushWrite = 4,  // payload: flush job slot
  kPageGrow = 5,    // payload: unused
  kQueryRead = 6,   // payload: query job slot << 24 | page position
  kCheckpoint = 7,  // payload: checkpoint step
  kRecovery = 8,    // payload: recovery step
};

inline constexpr uint64_t kIoPayloadMask = (uint64_t{1} << 56) - 1;

inline uint64_t make_io_tag(IoKind kind, uint64_t payload) {
  VERIFY(payload <= kIoPayloadMask);
  return (uint64_t{static_cast<uint8_t>(kind)} << 56) | payload;
}
inline IoKind io_tag_kind(uint64_t tag) { return static_cast<IoKind>(tag >> 56); }
inline uint64_t io_tag_payload(uint64_t tag) { return tag & kIoPayloadMask; }

}  // namespace ringstat
