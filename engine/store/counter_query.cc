#include "engine/store/counter_query.h"

#include <utility>

namespace ringstat {

void query_counter(Shard& shard, std::string_view name, uint64_t hash, const CounterQuery& query,
                   int64_t now, std::function<void(CounterQueryOutcome)> done) {
  const std::optional<CounterInfo> info = shard.counter_info(name, hash);
  if (!info) {
    done(CounterQueryOutcome{CounterQueryOutcome::Status::kNotFound, CounterKind::kGauge, {}, 0});
    return;
  }
  const QueryPlan plan =
      plan_query(Retention{info->levels}, now, query.start, query.end, query.samples_max);
  shard.read_level(name, hash, plan.level, plan.start, plan.end,
                   [plan, now, done = std::move(done)](LevelRead read) {
                     CounterQueryOutcome outcome;
                     outcome.kind = read.kind;
                     outcome.corrupt_pages = read.corrupt_pages;
                     switch (read.status) {
                       case LevelRead::Status::kNotFound:
                         outcome.status = CounterQueryOutcome::Status::kNotFound;
                         break;
                       case LevelRead::Status::kIoError:
                         outcome.status = CounterQueryOutcome::Status::kIoError;
                         break;
                       case LevelRead::Status::kBusy:
                         outcome.status = CounterQueryOutcome::Status::kBusy;
                         break;
                       case LevelRead::Status::kOk:
                         outcome.result =
                             read.kind == CounterKind::kEvent
                                 ? reduce_event(read.buckets, plan, read.first_time, now)
                                 : reduce_gauge(read.buckets, plan);
                         break;
                     }
                     if (outcome.status != CounterQueryOutcome::Status::kOk)
                       outcome.result.plan = plan;
                     done(std::move(outcome));
                   });
}

}  // namespace ringstat
