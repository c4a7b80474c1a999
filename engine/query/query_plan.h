// Query parameters and planning for `GET /<counter>` and `POST /*` (docs/http-api.md): validates
// start/end/samples/format, then picks the retention level and the cell width of one query.
// Owned by the query engine; single-threaded pure code (no I/O, no clock: `now` is a parameter),
// safe to call from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "base/result.h"
#include "engine/ingest/retention.h"

namespace ringstat {

// The window used when start or end (or both) are missing: [now-900, now] and friends.
inline constexpr int64_t kDefaultQueryWindow_s = 900;
// Default most cells per counter: GET `samples`, POST `maxSamples`.
inline constexpr uint64_t kDefaultGetSamples = 1000;
inline constexpr uint64_t kDefaultPostMaxSamples = 100;
// Largest start/end a client may send: 9999-12-31T23:59:59Z, the last second ISO 8601 can write
// with a four-digit year. It also keeps every aligned time far from int64 overflow.
inline constexpr int64_t kQueryTime_s_max = 253'402'300'799;
// Largest |time| plan_query accepts: a client time plus the default window plus any width stays
// below it, and so does anything a sane server clock produces.
inline constexpr int64_t kPlanTime_s_max = int64_t{1} << 40;
// Longest raw parameter value quoted back in an error message.
inline constexpr size_t kEchoedParameterBytesMax = 64;

// The bucket widths tried, in order, when a level's own interval gives too many cells (istatd's
// ladder without its leading 10).
inline constexpr int64_t kWidthLadder_s[] = {20,    30,    60,    120,   300,  600,
                                             900,   1200,  1800,  3600,  7200, 10800,
                                             14400, 21600, 28800, 43200, 86400};

enum class ResponseFormat : uint8_t { kJson, kCsv };

// A requested time range in unix seconds, before alignment; start <= end.
struct TimeRange {
  int64_t start = 0;
  int64_t end = 0;
  friend bool operator==(const TimeRange&, const TimeRange&) = default;
};

struct GetQueryParams {
  TimeRange range;
  uint64_t samples = kDefaultGetSamples;  // 0 = no limit
  ResponseFormat format = ResponseFormat::kJson;
};

struct PostQueryParams {
  TimeRange range;
  uint64_t samples_max = kDefaultPostMaxSamples;  // 0 = no limit, as for GET's samples
};

// Validates the raw (already percent-decoded) query values of `GET /<counter>`; nullopt = the
// parameter is absent. Errors are one line, e.g. "Bad integer argument start: abc",
// "Invalid start parameter", "end must be greater than start", "Bad format argument: xml".
// An empty value (`start=`) is not an integer and is rejected like any other.
Result<GetQueryParams> parse_get_query(std::optional<std::string_view> start,
                                       std::optional<std::string_view> end,
                                       std::optional<std::string_view> samples,
                                       std::optional<std::string_view> format, int64_t now);

// The same rules for a `POST /*` body whose numbers the JSON parser already read: `start`/`stop`
// and `maxSamples` (missing = 100; 0 = no limit; negative is an error).
Result<PostQueryParams> resolve_post_query(std::optional<int64_t> start,
                                           std::optional<int64_t> stop,
                                           std::optional<int64_t> samples_max, int64_t now);

// The range rule both share: defaults from the 900 s window, each given value in
// [0, kQueryTime_s_max], end >= start. The names are the parameters' names for the messages.
Result<TimeRange> resolve_time_range(std::optional<int64_t> start, std::optional<int64_t> end,
                                     int64_t now, std::string_view start_name,
                                     std::string_view end_name);

// Which level answers a query and how its buckets are grouped into cells. A cell is returned
// for each width-aligned time t with start <= t < end, so there are (end - start) / width_s.
struct QueryPlan {
  size_t level = 0;              // index into Retention::levels
  int64_t level_interval_s = 0;  // that level's bucket width
  int64_t width_s = 0;           // cell width: a multiple of level_interval_s
  int64_t start = 0;             // requested start floored to width_s
  int64_t end = 0;               // requested end ceiled to width_s
  uint64_t cells = 0;            // (end - start) / width_s; <= samples_max unless that is 0
  friend bool operator==(const QueryPlan&, const QueryPlan&) = default;
};

// Level: the finest whose retention reaches back to start (start >= now - retention_s), else the
// coarsest. Width: the level's interval, else the first ladder entry that is a multiple of it and
// gives at most samples_max cells, else the smallest multiple of it that does.
// Requires a non-empty retention and -kPlanTime_s_max <= start <= end <= kPlanTime_s_max.
// One case cannot be honoured on a grid anchored at time 0: samples_max == 1 for a range that
// straddles 0 (only a defaulted range under a clock below 900 s). Then start is raised to 0;
// nothing is lost, because ingest stores only positive timestamps.
QueryPlan plan_query(const Retention& retention, int64_t now, int64_t start, int64_t end,
                     uint64_t samples_max);

}  // namespace ringstat
