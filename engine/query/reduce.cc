#include "engine/query/reduce.h"

#include <algorithm>
#include <limits>

#include "base/verify.h"

namespace ringstat {
namespace {

constexpr int64_t kNoCell = std::numeric_limits<int64_t>::max();

// The level buckets [start, end) that count as {count 1, all 0} when they hold no data; both
// multiples of the level interval, empty when start == end.
struct FillRange {
  int64_t start = 0;
  int64_t end = 0;
};

// Walks the stored buckets and the fill range together, one cell at a time in time order, so the
// work is proportional to the cells produced and the buckets given, never to the plan's width:
// a plan may span billions of empty cells.
CounterQueryResult reduce_cells(std::span<const TimedBucket> buckets, const QueryPlan& plan,
                                FillRange fill, int64_t data_end, size_t cells_max) {
  const int64_t interval_s = plan.level_interval_s;
  const int64_t width_s = plan.width_s;
  VERIFY(interval_s > 0);
  VERIFY(width_s % interval_s == 0);
  VERIFY(plan.start % width_s == 0);
  VERIFY(plan.end % width_s == 0);
  VERIFY(fill.start <= fill.end);
  VERIFY(fill.start % interval_s == 0);
  VERIFY(fill.end % interval_s == 0);
  VERIFY(cells_max > 0);

  CounterQueryResult result;
  result.plan = plan;

  // Skips to the next bucket that holds data inside [plan.start, data_end), checking the input
  // contract on the way.
  size_t next = 0;
  int64_t previous_time = std::numeric_limits<int64_t>::min();
  auto advance = [&] {
    for (; next < buckets.size(); ++next) {
      const TimedBucket& timed = buckets[next];
      VERIFY(timed.time > previous_time || next == 0);
      VERIFY(timed.time % interval_s == 0);
      previous_time = timed.time;
      if (timed.time >= data_end) {
        next = buckets.size();
        return;
      }
      if (timed.time >= plan.start && !timed.bucket.empty()) return;
    }
  };
  advance();

  int64_t fill_cell = fill.start < fill.end ? floor_div(fill.start, width_s) * width_s : kNoCell;
  while (true) {
    const int64_t data_cell =
        next < buckets.size() ? floor_div(buckets[next].time, width_s) * width_s : kNoCell;
    const int64_t filled_cell = fill_cell < fill.end ? fill_cell : kNoCell;
    const int64_t cell = std::min(data_cell, filled_cell);
    if (cell == kNoCell) break;
    if (result.cells.size() == cells_max) {
      result.truncated = true;
      break;
    }

    Bucket merged;
    int64_t data_in_fill = 0;
    while (next < buckets.size() && buckets[next].time < cell + width_s) {
      const TimedBucket& timed = buckets[next];
      merged.merge(timed.bucket);
      if (timed.time >= fill.start && timed.time < fill.end) ++data_in_fill;
      ++next;
      advance();
    }
    if (cell == filled_cell) {
      const int64_t low = std::max(cell, fill.start);
      const int64_t high = std::min(cell + width_s, fill.end);
      const int64_t zero_buckets = (high - low) / interval_s - data_in_fill;
      VERIFY(zero_buckets >= 0);
      if (zero_buckets > 0) merged.merge(Bucket{static_cast<uint64_t>(zero_buckets), 0, 0, 0, 0});
      fill_cell += width_s;
    }
    VERIFY(!merged.empty());
    result.cells.push_back(TimedBucket{cell, merged});
  }

  if (result.truncated) {
    result.plan.end = result.cells.back().time + width_s;
    result.plan.cells = static_cast<uint64_t>((result.plan.end - result.plan.start) / width_s);
  }
  return result;
}

}  // namespace

CounterQueryResult reduce_gauge(std::span<const TimedBucket> buckets, const QueryPlan& plan,
                                size_t cells_max) {
  return reduce_cells(buckets, plan, FillRange{plan.start, plan.start}, plan.end, cells_max);
}

CounterQueryResult reduce_event(std::span<const TimedBucket> buckets, const QueryPlan& plan,
                                int64_t first_time, int64_t now, size_t cells_max) {
  const int64_t interval_s = plan.level_interval_s;
  VERIFY(interval_s > 0);
  // The end of the bucket containing now, clamped to the plan first so that no clock value can
  // overflow the arithmetic.
  int64_t data_end = plan.end;
  if (now < plan.start) {
    data_end = plan.start;
  } else if (now < plan.end) {
    data_end = std::min(plan.end, floor_div(now, interval_s) * interval_s + interval_s);
  }
  int64_t fill_start = plan.start;
  if (first_time >= data_end) {
    fill_start = data_end;
  } else if (first_time > plan.start) {
    fill_start = floor_div(first_time, interval_s) * interval_s;
  }
  return reduce_cells(buckets, plan, FillRange{fill_start, data_end}, data_end, cells_max);
}

}  // namespace ringstat
