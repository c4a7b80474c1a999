// query_counter: one counter's answer to GET /<counter> or one key of POST /*: the plan against
// the counter's own retention, the chosen level's buckets read from its shard, and the exact
// reduction into cells. Runs on the owning shard's thread; completes asynchronously.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "engine/query/reduce.h"
#include "engine/store/shard.h"

namespace ringstat {

struct CounterQuery {
  int64_t start = 0;
  int64_t end = 0;
  uint64_t samples_max = 0;  // 0 = no limit
};

struct CounterQueryOutcome {
  enum class Status : uint8_t { kOk, kNotFound, kIoError, kBusy };
  Status status = Status::kOk;
  CounterKind kind = CounterKind::kGauge;
  CounterQueryResult result;
  uint32_t corrupt_pages = 0;  // pages whose buckets are missing from the result
};

void query_counter(Shard& shard, std::string_view name, uint64_t hash, const CounterQuery& query,
                   int64_t now, std::function<void(CounterQueryOutcome)> done);

}  // namespace ringstat
