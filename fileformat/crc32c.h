// CRC-32C (Castagnoli): the checksum of every page, WAL block, superblock and snapshot block
// (docs/format.md, "CRC"). Pure functions; the one-time SSE4.2 probe is a thread-safe static, so
// any thread may call these. Owned by fileformat/.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ringstat {

// Standard CRC-32C: reflected polynomial 0x82F63B78, initial value 0xFFFFFFFF, final xor
// 0xFFFFFFFF. crc32c("123456789", 9) == 0xE3069283.
uint32_t crc32c(const void* data, size_t size);

// Continues a finished crc32c: crc32c_extend(crc32c(a), b) == crc32c(a followed by b), and
// crc32c_extend(0, data, size) == crc32c(data, size).
uint32_t crc32c_extend(uint32_t crc, const void* data, size_t size);

// The two implementations behind crc32c_extend, exposed so tests can check each against known
// vectors and against one another. Both take and return finished CRCs, like crc32c_extend.
uint32_t crc32c_portable(uint32_t crc, const void* data, size_t size);  // slicing-by-8 tables

// True when this CPU has the SSE4.2 crc32 instruction (always false off x86-64).
bool crc32c_has_sse42();

#if defined(RINGSTAT_X86_64)
// Requires crc32c_has_sse42(); executing it on an older CPU is an illegal instruction.
uint32_t crc32c_sse42(uint32_t crc, const void* data, size_t size);
#endif

}  // namespace ringstat
