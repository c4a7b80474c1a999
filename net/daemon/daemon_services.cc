#include "net/daemon/daemon_services.h"

#include <algorithm>
#include <memory>
#include <optional>

#include "engine/ingest/counter_hash.h"
#include "engine/ingest/counter_name.h"
#include "engine/query/glob.h"
#include "net/daemon/daemon_metrics.h"
#include "net/daemon/reactor.h"
#include "net/daemon/reactor_context.h"

namespace ringstat {

namespace {

// The parts every reactor gathered, as one list.
template <class T>
std::vector<T> concatenate(std::vector<std::vector<T>> parts) {
  std::vector<T> all;
  for (std::vector<T>& part : parts) {
    all.insert(all.end(), std::make_move_iterator(part.begin()),
               std::make_move_iterator(part.end()));
  }
  return all;
}

}  // namespace

int64_t DaemonServices::now() const { return home_.now_s(); }

const Retention& DaemonServices::default_retention() const {
  return home_.context().config().retention;
}

void DaemonServices::query_counter(std::string name, CounterQuery query,
                                   std::function<void(CounterQueryOutcome)> done) {
  const uint64_t hash = hash_counter_name(name);
  const uint32_t shard = home_.shard_of(hash);
  const uint32_t origin = home_.index();
  home_.post(home_.owner_of(shard), [name = std::move(name), hash, shard, query, origin,
                                     done = std::move(done)](Reactor& owner) mutable {
    ringstat::query_counter(
        owner.owned_shard(shard), name, hash, query, owner.now_s(),
        [&owner, origin, done = std::move(done)](CounterQueryOutcome outcome) mutable {
          owner.post(origin, [done = std::move(done), outcome = std::move(outcome)](
                                 Reactor&) mutable { done(std::move(outcome)); });
        });
  });
}

void DaemonServices::list_counters(
    std::function<void(std::vector<std::pair<std::string, CounterKind>>)> done) {
  using Names = std::vector<std::pair<std::string, CounterKind>>;
  home_.gather<Names>(
      [](Reactor& reactor) {
        Names names;
        reactor.each_local_shard([&](Shard& shard) {
          shard.for_each_counter([&](std::string_view name, CounterKind kind) {
            names.emplace_back(std::string(name), kind);
          });
        });
        return names;
      },
      [done = std::move(done)](std::vector<Names> parts) { done(concatenate(std::move(parts))); });
}

void DaemonServices::agents(std::function<void(std::vector<AgentInfo>)> done) {
  using Agents = std::vector<AgentInfo>;
  home_.gather<Agents>([](Reactor& reactor) { return reactor.agents_here(); },
                       [done = std::move(done)](std::vector<Agents> parts) {
                         Agents all = concatenate(std::move(parts));
                         std::stable_sort(all.begin(), all.end(),
                                          [](const AgentInfo& a, const AgentInfo& b) {
                                            return a.connected_s < b.connected_s;
                                          });
                         done(std::move(all));
                       });
}

void DaemonServices::metrics(std::function<void(std::string)> done) {
  home_.gather<MetricsSnapshot>([](Reactor& reactor) { return reactor.snapshot(); },
                                [done = std::move(done)](std::vector<MetricsSnapshot> parts) {
                                  std::string text;
                                  render_daemon_metrics(parts, text);
                                  done(std::move(text));
                                });
}

void DaemonServices::stats(
    std::function<void(std::vector<std::pair<std::string, std::string>>)> done) {
  const int64_t fake = home_.context().fake_time();
  home_.gather<MetricsSnapshot>([](Reactor& reactor) { return reactor.snapshot(); },
                                [fake, done = std::move(done)](std::vector<MetricsSnapshot> parts) {
                                  std::vector<std::pair<std::string, std::string>> lines =
                                      daemon_stats_lines(parts);
                                  lines.emplace_back("fake_time", std::to_string(fake));
                                  done(std::move(lines));
                                });
}

bool DaemonServices::fake_time_enabled() const { return home_.context().config().fake_time != 0; }

void DaemonServices::set_fake_time(int64_t time) {
  home_.context().set_fake_time(time);
  home_.refresh_clock();
}

// `flush`: every sample read before the command is durable and visible (docs/http-api.md,
// admin). The barrier is positional, so samples read after the command never delay it, however
// fast senders keep streaming. Phase 1: every reactor notes how far the input it had read reaches
// (the receive buffers it held, then its spill lists) and answers once everything up to there is
// in the inbound queues of the reactors owning the shards. Phase 2 starts only when all have
// answered: every reactor notes each inbound queue's published position, applies the queue up to
// it and waits for its shards' logs to be durable. A congested shard can keep the queue ahead of
// that position from being applied; the wait is then for pages to be written, never for newer data.
void DaemonServices::flush(std::function<void()> done) {
  home_.gather_async(
      [](Reactor& reactor, std::function<void()> reply) {
        reactor.hand_on_read_so_far(std::move(reply));
      },
      [this, done = std::move(done)]() mutable {
        home_.gather_async(
            [](Reactor& reactor, std::function<void()> reply) {
              reactor.drain_inbound_published_so_far([&reactor, reply = std::move(reply)]() {
                auto remaining = std::make_shared<size_t>(1);
                auto one_done = [remaining, reply]() {
                  if (--*remaining == 0) reply();
                };
                // A WAL position: the log up to its current head, not whatever is added later.
                reactor.each_local_shard([&](Shard& shard) {
                  ++*remaining;
                  shard.when_durable(one_done);
                });
                one_done();
              });
            },
            std::move(done));
      });
}

void DaemonServices::delete_counters(std::vector<std::string> names,
                                     std::function<void(std::vector<std::string>)> done) {
  struct State {
    std::vector<std::optional<std::string>> deleted;
    size_t remaining = 0;
    std::function<void(std::vector<std::string>)> done;
  };
  auto state = std::make_shared<State>();
  state->deleted.resize(names.size());
  state->remaining = names.size();
  state->done = std::move(done);
  auto finish = [state] {
    std::vector<std::string> deleted;
    for (auto& name : state->deleted) {
      if (name) deleted.push_back(std::move(*name));
    }
    state->done(std::move(deleted));
  };
  if (names.empty()) {
    finish();
    return;
  }
  const uint32_t origin = home_.index();
  for (size_t i = 0; i < names.size(); ++i) {
    char buffer[kNameBytesMax];
    const std::optional<std::string_view> normal = normalize_query_name(names[i], buffer);
    if (!normal) {
      if (--state->remaining == 0) finish();
      continue;
    }
    std::string name(*normal);
    const uint64_t hash = hash_counter_name(name);
    const uint32_t shard = home_.shard_of(hash);
    home_.post(home_.owner_of(shard), [name = std::move(name), hash, shard, origin, i, state,
                                       finish](Reactor& owner) mutable {
      const bool deleted = owner.owned_shard(shard).delete_counter(name, hash);
      owner.post(origin, [deleted, name = std::move(name), i, state, finish](Reactor&) mutable {
        if (deleted) state->deleted[i] = std::move(name);
        if (--state->remaining == 0) finish();
      });
    });
  }
}

void DaemonServices::delete_pattern(std::vector<std::string> globs,
                                    std::function<void(std::vector<std::string>)> done) {
  using Names = std::vector<std::string>;
  auto patterns = std::make_shared<std::vector<Glob>>();
  for (const std::string& glob : globs) {
    if (std::optional<Glob> compiled = Glob::compile(glob)) {
      patterns->push_back(std::move(*compiled));
    }
  }
  home_.gather<Names>(
      [patterns](Reactor& reactor) {
        Names deleted;
        reactor.each_local_shard([&](Shard& shard) {
          Names matching;
          shard.for_each_counter([&](std::string_view name, CounterKind) {
            for (const Glob& glob : *patterns) {
              if (glob.matches(name)) {
                matching.emplace_back(name);
                break;
              }
            }
          });
          for (const std::string& name : matching) {
            if (shard.delete_counter(name, hash_counter_name(name))) deleted.push_back(name);
          }
        });
        return deleted;
      },
      [done = std::move(done)](std::vector<Names> parts) {
        Names all = concatenate(std::move(parts));
        std::sort(all.begin(), all.end());
        done(std::move(all));
      });
}

}  // namespace ringstat
