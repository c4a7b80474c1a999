// Response bodies of the query API (docs/http-api.md): GET /<counter> as JSON or CSV, POST /*,
// GET /?q= and the error body, with keys in exactly the spec's order. Pure formatting into a
// caller's string, single-threaded; the HTTP layer adds status, headers and compression.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/query/listing.h"
#include "engine/query/query_plan.h"
#include "engine/query/reduce.h"

namespace ringstat {

inline constexpr std::string_view kJsonContentType = "application/json";
inline constexpr std::string_view kCsvContentType = "text/csv";
inline constexpr std::string_view kCsvHeader =
    "ISO Time,Unix Timestamp,Sample Count,Minimum,Maximum,Sum,Sum Squared,Average,"
    "Standard Deviation\r\n";

// GET JSON: {"buckets":[{"data":{"avg","count","max","min","sdev","sum","sumsq"},"time"}],
// "end","interval","start"} with the plan's aligned values and interval = the cell width.
void render_counter_json(const CounterQueryResult& result, std::string& out);

// GET CSV: kCsvHeader, then one `\r\n`-terminated line per cell. A non-finite statistic (a sum
// that overflowed) is an empty field.
void render_counter_csv(const CounterQueryResult& result, std::string& out);

// One key of a POST /* request, in request order; result empty = no such counter.
struct MultiQueryEntry {
  std::string_view key;  // as written in the request
  std::optional<CounterQueryResult> result;
};

// POST /*: each distinct key once, at its first position, as "Not found." or
// {"start","end","interval","data":[{"time","count","min","max","sum","sumsq","avg","sdev"}]}
// (compact: [time,count,min,max,sum,sumsq,avg,sdev]); then "start", "stop", "interval" always.
// Those are the aligned range and width of the finest-width counter found (the first such in
// request order); when no key was found, of `fallback_plan`, which the caller plans for the
// request's range against the store's default retention, as if a counter with it had been asked.
void render_multi_query_json(std::span<const MultiQueryEntry> entries,
                             const QueryPlan& fallback_plan, bool compact, std::string& out);

// The keys of a POST request without repeats, first occurrence kept, so a caller queries each
// counter once.
std::vector<std::string_view> unique_keys_in_order(std::span<const std::string_view> keys);

// GET /?q=: {"type_mapping":{...},"pattern":...,"matching_names":[{"is_leaf","type","name"}]}.
void render_listing_json(std::string_view pattern, const Listing& listing, std::string& out);

// {"error":"<message>"}; control bytes are escaped, so the body stays one line.
void render_error_json(std::string_view message, std::string& out);

}  // namespace ringstat
