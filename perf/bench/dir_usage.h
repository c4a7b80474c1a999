// The disk space a directory tree takes, as `du` counts it: the blocks each file has allocated
// (st_blocks x 512), so sparse files count what they hold and preallocated ones their extent.
// Used after a run on a server's store or data directory. Any thread; reads the file system.
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"

namespace ringstat {

// Every entry under `dir` (not following symbolic links), the directories themselves included.
Result<uint64_t> allocated_bytes_under(const std::string& dir);

}  // namespace ringstat
