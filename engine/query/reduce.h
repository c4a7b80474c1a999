// Reduction of one level's buckets to a query's cells (docs/http-api.md, GET /<counter>): exact
// merges into width-aligned cells, gauge gaps omitted, event gaps zero-filled up to now.
// Single-threaded pure code with no I/O; the storage layer fetches the buckets and calls it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "engine/query/query_plan.h"
#include "fileformat/bucket.h"

namespace ringstat {

// Most cells one counter's answer may hold. Plans honour `samples`, but samples=0 means no limit
// and an event counter zero-fills every bucket from its first one to now, so without this bound a
// single request could ask for billions of cells. Only the cells actually produced count: empty
// gauge cells cost nothing.
inline constexpr size_t kResponseCellsMax = 1'000'000;

// One counter's answer, ready for render.h. When more than the cell limit would have been
// produced, the earliest cells are kept, `truncated` is set and plan.end is moved back to the end
// of the last cell kept, so the response's `end` says honestly which range it covers.
struct CounterQueryResult {
  QueryPlan plan;
  std::vector<TimedBucket> cells;  // sorted by time, each time a multiple of plan.width_s
  bool truncated = false;
};

// `buckets` are the level's stored buckets in final presentation form, strictly increasing in
// time, each time a multiple of plan.level_interval_s; they may extend beyond [plan.start,
// plan.end) and may include empty ones (count 0), which mean "no data". Cells without data are
// omitted.
CounterQueryResult reduce_gauge(std::span<const TimedBucket> buckets, const QueryPlan& plan,
                                size_t cells_max = kResponseCellsMax);

// As reduce_gauge, but every level bucket without data from first_time's bucket through the bucket
// containing now (and inside the plan) counts as {count 1, all 0}, so a cell of k such buckets has
// count k. Nothing after the bucket containing now is returned, stored or not: an event series
// ends at now without a gap, and no bucket is fabricated in the future.
CounterQueryResult reduce_event(std::span<const TimedBucket> buckets, const QueryPlan& plan,
                                int64_t first_time, int64_t now,
                                size_t cells_max = kResponseCellsMax);

}  // namespace ringstat
