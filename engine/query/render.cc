#include "engine/query/render.h"

#include <charconv>
#include <unordered_set>

#include "base/iso_time.h"
#include "base/verify.h"
#include "engine/query/json_writer.h"
#include "fileformat/bucket.h"

namespace ringstat {
namespace {

void write_bucket_object(JsonWriter& json, const Bucket& bucket) {
  // Alphabetical, as istatd's jsoncpp wrote them.
  json.begin_object();
  json.key("avg").number(bucket.avg());
  json.key("count").unsigned_integer(bucket.count);
  json.key("max").number(bucket.max);
  json.key("min").number(bucket.min);
  json.key("sdev").number(bucket.sdev());
  json.key("sum").number(bucket.sum);
  json.key("sumsq").number(bucket.sumsq);
  json.end_object();
}

void write_multi_counter(JsonWriter& json, const CounterQueryResult& result, bool compact) {
  json.begin_object();
  json.key("start").integer(result.plan.start);
  json.key("end").integer(result.plan.end);
  json.key("interval").integer(result.plan.width_s);
  json.key("data").begin_array();
  for (const TimedBucket& cell : result.cells) {
    const Bucket& bucket = cell.bucket;
    if (compact) {
      json.begin_array();
      json.integer(cell.time).unsigned_integer(bucket.count);
      json.number(bucket.min).number(bucket.max).number(bucket.sum).number(bucket.sumsq);
      json.number(bucket.avg()).number(bucket.sdev());
      json.end_array();
    } else {
      json.begin_object();
      json.key("time").integer(cell.time);
      json.key("count").unsigned_integer(bucket.count);
      json.key("min").number(bucket.min);
      json.key("max").number(bucket.max);
      json.key("sum").number(bucket.sum);
      json.key("sumsq").number(bucket.sumsq);
      json.key("avg").number(bucket.avg());
      json.key("sdev").number(bucket.sdev());
      json.end_object();
    }
  }
  json.end_array();
  json.end_object();
}

void append_csv_number(std::string& out, double value) {
  append_shortest_double(out, value);  // nothing for a non-finite value: an empty field
}

}  // namespace

void render_counter_json(const CounterQueryResult& result, std::string& out) {
  JsonWriter json(out);
  json.begin_object();
  json.key("buckets").begin_array();
  for (const TimedBucket& cell : result.cells) {
    json.begin_object();
    json.key("data");
    write_bucket_object(json, cell.bucket);
    json.key("time").integer(cell.time);
    json.end_object();
  }
  json.end_array();
  json.key("end").integer(result.plan.end);
  json.key("interval").integer(result.plan.width_s);
  json.key("start").integer(result.plan.start);
  json.end_object();
}

void render_counter_csv(const CounterQueryResult& result, std::string& out) {
  out.append(kCsvHeader);
  for (const TimedBucket& cell : result.cells) {
    const Bucket& bucket = cell.bucket;
    append_iso8601_utc(out, cell.time);
    out.push_back(',');
    append_zero_padded(out, cell.time, 1);
    out.push_back(',');
    out.append(std::to_string(bucket.count));
    for (const double value :
         {bucket.min, bucket.max, bucket.sum, bucket.sumsq, bucket.avg(), bucket.sdev()}) {
      out.push_back(',');
      append_csv_number(out, value);
    }
    out.append("\r\n");
  }
}

std::vector<std::string_view> unique_keys_in_order(std::span<const std::string_view> keys) {
  std::vector<std::string_view> unique;
  unique.reserve(keys.size());
  std::unordered_set<std::string_view> seen;
  seen.reserve(keys.size());
  for (const std::string_view key : keys) {
    if (seen.insert(key).second) unique.push_back(key);
  }
  return unique;
}

void render_multi_query_json(std::span<const MultiQueryEntry> entries,
                             const QueryPlan& fallback_plan, bool compact, std::string& out) {
  const QueryPlan* finest = nullptr;
  std::unordered_set<std::string_view> seen;
  seen.reserve(entries.size());
  JsonWriter json(out);
  json.begin_object();
  for (const MultiQueryEntry& entry : entries) {
    if (!seen.insert(entry.key).second) continue;
    json.key(entry.key);
    if (!entry.result) {
      json.string("Not found.");
      continue;
    }
    write_multi_counter(json, *entry.result, compact);
    if (finest == nullptr || entry.result->plan.width_s < finest->width_s) {
      finest = &entry.result->plan;
    }
  }
  if (finest == nullptr) finest = &fallback_plan;
  json.key("start").integer(finest->start);
  json.key("stop").integer(finest->end);
  json.key("interval").integer(finest->width_s);
  json.end_object();
}

void render_listing_json(std::string_view pattern, const Listing& listing, std::string& out) {
  JsonWriter json(out);
  json.begin_object();
  json.key("type_mapping").begin_object();
  json.key("0").string("gauge");
  json.key("1").string("counter");
  json.key("2").string("aggregate");
  json.end_object();
  json.key("pattern").string(pattern);
  json.key("matching_names").begin_array();
  for (const ListingEntry& entry : listing.entries) {
    json.begin_object();
    json.key("is_leaf").boolean(entry.is_leaf);
    json.key("type").integer(static_cast<int64_t>(entry.type));
    json.key("name").string(entry.name);
    json.end_object();
  }
  json.end_array();
  json.end_object();
}

void render_error_json(std::string_view message, std::string& out) {
  JsonWriter json(out);
  json.begin_object();
  json.key("error").string(message);
  json.end_object();
}

}  // namespace ringstat
