// DaemonServices: the daemon's query and admin services (what the HTTP handler and the admin
// sessions ask for), as answered from one reactor. A counter query runs on the reactor that owns
// the counter's shard and its answer comes back to the asking reactor; listings, agents, metrics
// and admin commands fan out to every reactor and gather. One per reactor; every call runs on
// that reactor's thread and every callback comes back on it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "net/admin/admin_service.h"
#include "net/http/query_service.h"

namespace ringstat {

class Reactor;

class DaemonServices final : public QueryService, public AdminService {
 public:
  explicit DaemonServices(Reactor& home) : home_(home) {}
  DaemonServices(const DaemonServices&) = delete;
  DaemonServices& operator=(const DaemonServices&) = delete;

  // QueryService (HTTP).
  int64_t now() const override;
  bool has_store() const override { return true; }
  void query_counter(std::string name, CounterQuery query,
                     std::function<void(CounterQueryOutcome)> done) override;
  void list_counters(
      std::function<void(std::vector<std::pair<std::string, CounterKind>>)> done) override;
  void agents(std::function<void(std::vector<AgentInfo>)> done) override;
  void metrics(std::function<void(std::string)> done) override;
  const Retention& default_retention() const override;

  // AdminService (admin port).
  void stats(std::function<void(std::vector<std::pair<std::string, std::string>>)> done) override;
  void flush(std::function<void()> done) override;
  bool fake_time_enabled() const override;
  void set_fake_time(int64_t time) override;
  void delete_counters(std::vector<std::string> names,
                       std::function<void(std::vector<std::string>)> done) override;
  void delete_pattern(std::vector<std::string> globs,
                      std::function<void(std::vector<std::string>)> done) override;

 private:
  Reactor& home_;  // the reactor these calls arrive on and their answers return to
};

}  // namespace ringstat
