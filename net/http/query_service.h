// QueryService: what the HTTP handler needs from the daemon, as an interface the daemon implements
// over its reactors (a query runs on the reactor owning the counter's shard) and tests implement
// over Shards on a SimPageStore. Every asynchronous call calls back exactly once, on the caller's
// thread, possibly before it returns. Owned by the HTTP part of net/; the daemon implements it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "engine/ingest/retention.h"
#include "engine/store/counter_query.h"
#include "fileformat/counter_kind.h"

namespace ringstat {

// One TCP agent of `GET /?a=` (docs/http-api.md "GET /?a=").
struct AgentInfo {
  // The connection's `#key value` meta lines, in the order they should appear; keys unique.
  std::vector<std::pair<std::string, std::string>> meta;
  std::string peer;         // "127.0.0.1:46784"
  bool online = false;      // the connection is still open
  int64_t connected_s = 0;  // unix time it connected, on the daemon's clock
  int64_t idle_s = 0;       // seconds since its last line
};

class QueryService {
 public:
  virtual ~QueryService() = default;

  // The server clock in unix seconds (the fake one under --fake-time).
  virtual int64_t now() const = 0;
  // False when no store is configured: every data request is answered 503.
  virtual bool has_store() const = 0;
  // One counter, its name already normalised; an unknown name gives outcome.status kNotFound.
  virtual void query_counter(std::string name, CounterQuery query,
                             std::function<void(CounterQueryOutcome)> done) = 0;
  // Every live counter's name and kind, from every shard, in any order.
  virtual void list_counters(
      std::function<void(std::vector<std::pair<std::string, CounterKind>>)> done) = 0;
  // The TCP agents seen in the last 25 hours, in the order to list them.
  virtual void agents(std::function<void(std::vector<AgentInfo>)> done) = 0;
  // The daemon's own metrics in Prometheus text (rendered with net/http/prometheus.h).
  virtual void metrics(std::function<void(std::string)> done) = 0;
  // The retention of counters created now: plans the top-level range of a POST answer in which
  // no key was found.
  virtual const Retention& default_retention() const = 0;
};

}  // namespace ringstat
