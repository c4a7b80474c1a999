// AdminService: what the admin line protocol (docs/http-api.md "Admin port") asks of the daemon.
// Implemented by the daemon over its reactors; an AdminSession is its only caller. Every method
// is called on the session's reactor thread, and every `done` callback must run on that same
// thread, exactly once, possibly before the method returns.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace ringstat {

class AdminService {
 public:
  virtual ~AdminService() = default;

  // `key=value` pairs in display order; must include counters, connections and fake_time (0 on
  // the real clock). Neither keys nor values may contain '\n'.
  virtual void stats(
      std::function<void(std::vector<std::pair<std::string, std::string>>)> done) = 0;
  // `done` only once every sample read before the call is durable on disk and visible to queries.
  virtual void flush(std::function<void()> done) = 0;
  // Whether the daemon was started with --fake-time (only then may set_fake_time be called).
  virtual bool fake_time_enabled() const = 0;
  // Moves the frozen clock to unix time `t` (> 0).
  virtual void set_fake_time(int64_t t) = 0;
  // `names` are normalised counter names, without duplicates. `deleted` lists those that existed
  // and are now gone from queries and listings.
  virtual void delete_counters(std::vector<std::string> names,
                               std::function<void(std::vector<std::string> deleted)> done) = 0;
  // Deletes every counter matching any of the listing patterns (engine/query/glob.h); `deleted`
  // lists them.
  virtual void delete_pattern(std::vector<std::string> globs,
                              std::function<void(std::vector<std::string> deleted)> done) = 0;
};

}  // namespace ringstat
