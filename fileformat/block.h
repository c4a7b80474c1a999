// The one block size of the store: a counter page, a WAL block, a snapshot block and the unit of
// every O_DIRECT transfer (docs/format.md). Changing it is a format change.
#pragma once

#include <cstddef>

namespace ringstat {

inline constexpr size_t kBlockBytes = 4096;

}  // namespace ringstat
