// The 64-bit user_data of every SQE a reactor submits on its ring: which owner gets the CQE
// (top 8 bits), the owner's index (16 bits: store index, listener index) and a 40-bit payload
// (an op slot, or a connection slot plus a generation). Shared by the reactor and the io_uring
// page store; pure functions, usable from any thread.
#pragma once

#include <cstdint>

#include "base/verify.h"

namespace ringstat {

// 0 is never submitted, so a zeroed SQE that slipped out is recognisable; 0xff is never used
// either, so LIBURING_UDATA_TIMEOUT (all ones) cannot be mistaken for an owner.
enum class IoOwner : uint8_t {
  kNone = 0,
  kStore = 1,    // index: store index; payload: op slot + generation (net/uring/uring_page_store.h)
  kAccept = 2,   // index: listener index
  kRecv = 3,     // TCP multishot recv; payload: connection slot + generation
  kRecvUdp = 4,  // UDP multishot recvmsg; index: listener index
  kSend = 5,     // payload: connection slot + generation
  kMsgRing = 6,  // cross-reactor doorbell; index: sending reactor
  kTimer = 7,
  kSignal = 8,  // signalfd read
  kCancel = 9,  // cancel requests themselves
  kClose = 10,  // close_direct of a connection's fixed file
  kWake = 11,   // anything else that only needs to wake the loop
};

inline constexpr unsigned kIoOwnerBits = 8;
inline constexpr unsigned kIoIndexBits = 16;
inline constexpr unsigned kIoPayloadBits = 40;
static_assert(kIoOwnerBits + kIoIndexBits + kIoPayloadBits == 64);

inline constexpr uint64_t kIoPayloadMax = (uint64_t{1} << kIoPayloadBits) - 1;
inline constexpr uint64_t kIoIndexMax = (uint64_t{1} << kIoIndexBits) - 1;

inline uint64_t make_user_data(IoOwner owner, uint16_t index, uint64_t payload) {
  VERIFY(payload <= kIoPayloadMax);
  return (uint64_t{static_cast<uint8_t>(owner)} << (kIoIndexBits + kIoPayloadBits)) |
         (uint64_t{index} << kIoPayloadBits) | payload;
}

inline IoOwner user_data_owner(uint64_t user_data) {
  return static_cast<IoOwner>(user_data >> (kIoIndexBits + kIoPayloadBits));
}
inline uint16_t user_data_index(uint64_t user_data) {
  return static_cast<uint16_t>((user_data >> kIoPayloadBits) & kIoIndexMax);
}
inline uint64_t user_data_payload(uint64_t user_data) { return user_data & kIoPayloadMax; }

struct DecodedUserData {
  IoOwner owner = IoOwner::kNone;
  uint16_t index = 0;
  uint64_t payload = 0;
};

inline DecodedUserData decode_user_data(uint64_t user_data) {
  return {user_data_owner(user_data), user_data_index(user_data), user_data_payload(user_data)};
}

// The payload split used for slots that are reused: a 20-bit slot and a 20-bit generation that
// the owner bumps on every reuse, so a CQE for a slot's previous life is recognised as stale.
inline constexpr unsigned kIoSlotBits = 20;
inline constexpr unsigned kIoGenerationBits = kIoPayloadBits - kIoSlotBits;
inline constexpr uint32_t kIoSlotMax = (uint32_t{1} << kIoSlotBits) - 1;
inline constexpr uint32_t kIoGenerationMask = (uint32_t{1} << kIoGenerationBits) - 1;

// `generation` wraps: only its low kIoGenerationBits are kept.
inline uint64_t make_slot_payload(uint32_t slot, uint32_t generation) {
  VERIFY(slot <= kIoSlotMax);
  return (uint64_t{generation & kIoGenerationMask} << kIoSlotBits) | slot;
}
inline uint32_t payload_slot(uint64_t payload) {
  return static_cast<uint32_t>(payload & kIoSlotMax);
}
inline uint32_t payload_generation(uint64_t payload) {
  return static_cast<uint32_t>((payload >> kIoSlotBits) & kIoGenerationMask);
}

}  // namespace ringstat
