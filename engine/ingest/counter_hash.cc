#include "engine/ingest/counter_hash.h"

#include <xxhash.h>

namespace ringstat {

uint64_t hash_counter_name(std::string_view name) { return XXH3_64bits(name.data(), name.size()); }

}  // namespace ringstat
