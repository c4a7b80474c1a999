// The daemon's services over its reactors: a counter query runs on the reactor that owns the
// counter's shard and its answer comes back to the asking reactor; listings, agents, metrics and
// admin commands fan out to every reactor and gather. Also the periodic shard work and the
// shutdown sequence. Every function runs on the thread of the reactor it is called on.
#include <algorithm>
#include <memory>

#include "engine/ingest/counter_name.h"
#include "engine/query/glob.h"
#include "net/daemon/daemon_metrics.h"
#include "net/daemon/reactor.h"
#include "net/daemon/reactor_context.h"
#include "net/daemon/reactor_state.h"
#include "net/process/log.h"

namespace ringstat {

void Reactor::each_local_shard(const std::function<void(Shard&)>& visit) {
  for (auto& owned : shards_) visit(*owned->shard);
}

void Reactor::commit_all() {
  each_local_shard([](Shard& shard) { shard.commit(); });
}

void Reactor::tick_all() {
  each_local_shard([](Shard& shard) { shard.tick(); });
}

const Retention& Reactor::default_retention() const { return context_.config().retention; }

void Reactor::query_counter(std::string name, CounterQuery query,
                            std::function<void(CounterQueryOutcome)> done) {
  const uint64_t hash = CounterTable::hash_name(name);
  const uint32_t shard = shard_of(hash);
  const uint32_t origin = index_;
  post(owner_of(shard), [name = std::move(name), hash, shard, query, origin,
                         done = std::move(done)](Reactor& owner) mutable {
    ringstat::query_counter(
        *owner.local_shard(shard)->shard, name, hash, query, owner.clock_.now_s(),
        [&owner, origin, done = std::move(done)](CounterQueryOutcome outcome) mutable {
          owner.post(origin, [done = std::move(done), outcome = std::move(outcome)](
                                 Reactor&) mutable { done(std::move(outcome)); });
        });
  });
}

void Reactor::list_counters(
    std::function<void(std::vector<std::pair<std::string, CounterKind>>)> done) {
  using Names = std::vector<std::pair<std::string, CounterKind>>;
  gather<Names>(
      [](Reactor& reactor) {
        Names names;
        reactor.each_local_shard([&](Shard& shard) {
          shard.for_each_counter([&](std::string_view name, CounterKind kind) {
            names.emplace_back(std::string(name), kind);
          });
        });
        return names;
      },
      [done = std::move(done)](std::vector<Names> parts) {
        Names all;
        for (Names& part : parts) {
          all.insert(all.end(), std::make_move_iterator(part.begin()),
                     std::make_move_iterator(part.end()));
        }
        done(std::move(all));
      });
}

void Reactor::agents(std::function<void(std::vector<AgentInfo>)> done) {
  using Agents = std::vector<AgentInfo>;
  gather<Agents>(
      [](Reactor& reactor) {
        Agents agents;
        const int64_t now = reactor.clock_.now_s();
        for (const Connection& c : reactor.connections_) {
          if (!c.in_use ||
              (c.kind != ListenerKind::kStatTcp && c.kind != ListenerKind::kGraphiteTcp)) {
            continue;
          }
          agents.push_back(AgentInfo{c.meta, c.peer, true, c.connected_s, now - c.last_activity_s});
        }
        for (const OfflineAgent& agent : reactor.offline_agents_) {
          if (agent.last_activity_s < now - kAgentMemory_s) continue;
          agents.push_back(AgentInfo{agent.meta, agent.peer, false, agent.connected_s,
                                     now - agent.last_activity_s});
        }
        return agents;
      },
      [done = std::move(done)](std::vector<Agents> parts) {
        Agents all;
        for (Agents& part : parts) {
          all.insert(all.end(), std::make_move_iterator(part.begin()),
                     std::make_move_iterator(part.end()));
        }
        std::stable_sort(all.begin(), all.end(), [](const AgentInfo& a, const AgentInfo& b) {
          return a.connected_s < b.connected_s;
        });
        done(std::move(all));
      });
}

MetricsSnapshot Reactor::snapshot() const {
  MetricsSnapshot result;
  result.reactor = index_;
  result.metrics = metrics_;
  result.ring = ring_->stats();
  for (const auto& owned : shards_) result.shards.push_back(owned->shard->stats());
  result.open_connections = open_connections_;
  result.buffers_outstanding = tcp_buffers_->outstanding() + udp_buffers_->outstanding();
  return result;
}

void Reactor::metrics(std::function<void(std::string)> done) {
  gather<MetricsSnapshot>([](Reactor& reactor) { return reactor.snapshot(); },
                          [done = std::move(done)](std::vector<MetricsSnapshot> parts) {
                            std::string text;
                            render_daemon_metrics(parts, text);
                            done(std::move(text));
                          });
}

void Reactor::stats(std::function<void(std::vector<std::pair<std::string, std::string>>)> done) {
  const int64_t fake = context_.fake_time();
  gather<MetricsSnapshot>([](Reactor& reactor) { return reactor.snapshot(); },
                          [fake, done = std::move(done)](std::vector<MetricsSnapshot> parts) {
                            std::vector<std::pair<std::string, std::string>> lines =
                                daemon_stats_lines(parts);
                            lines.emplace_back("fake_time", std::to_string(fake));
                            done(std::move(lines));
                          });
}

bool Reactor::fake_time_enabled() const { return context_.config().fake_time != 0; }

void Reactor::set_fake_time(int64_t time) {
  context_.set_fake_time(time);
  refresh_clock();
}

// `flush`: every sample read before the command is durable and visible (spec/http-api.md, admin).
// The barrier is positional, so samples read after the command never delay it, however fast
// senders keep streaming. Phase 1: every reactor notes how far the input it had read reaches (the
// receive buffers it held, then its spill lists) and answers once everything up to there is in
// the inbound queues of the reactors owning the shards. Phase 2 starts only when all have
// answered: every reactor notes each inbound queue's published position, applies the queue up to
// it and waits for its shards' logs to be durable. A congested shard can keep the queue ahead of
// that position from being applied; the wait is then for pages to be written, never for newer data.
void Reactor::flush(std::function<void()> done) {
  gather_async(
      [](Reactor& reactor, std::function<void()> reply) {
        reactor.hand_on_read_so_far(std::move(reply));
      },
      [this, done = std::move(done)]() mutable {
        gather_async(
            [](Reactor& reactor, std::function<void()> reply) {
              reactor.drain_inbound_published_so_far([&reactor, reply = std::move(reply)]() {
                auto remaining = std::make_shared<size_t>(reactor.shards_.size() + 1);
                auto one_done = [remaining, reply]() {
                  if (--*remaining == 0) reply();
                };
                // A WAL position: the log up to its current head, not whatever is added later.
                reactor.each_local_shard([&](Shard& shard) { shard.when_durable(one_done); });
                one_done();
              });
            },
            std::move(done));
      });
}

// Receive buffers are held and processed in arrival order (reactor_ingest.cc), so the ones held
// now are the next deferred_.size() to be processed. Once they have been, every sample read so far
// has been parsed: into a local batch, an outbound slot (published by flush_remote_batches) or a
// spill list, whose current ends are the second mark. Noting the spill ends only then may take in
// a few samples parsed later in the same pass, never an unbounded stream.
void Reactor::hand_on_read_so_far(std::function<void()> then) {
  const uint64_t deferred_mark = deferred_processed_ + deferred_.size();
  auto spill_marks = std::make_shared<std::vector<uint64_t>>();
  until([this, deferred_mark, spill_marks, then = std::move(then)]() {
    flush_local_batches();
    flush_remote_batches();
    if (deferred_processed_ < deferred_mark) return false;
    if (spill_marks->empty()) {
      for (const auto& spill : spill_) spill_marks->push_back(spill.pushed_total());
    }
    for (size_t target = 0; target < spill_.size(); ++target) {
      if (!spill_[target].handed_on_through((*spill_marks)[target])) return false;
    }
    then();
    return true;
  });
}

// Applies each inbound data queue up to the position its producer had published when this was
// called (what came later may be applied too, but is not waited for), then the local batches.
void Reactor::drain_inbound_published_so_far(std::function<void()> then) {
  auto marks = std::make_shared<std::vector<uint64_t>>(reactor_count_, 0);
  for (uint32_t source = 0; source < reactor_count_; ++source) {
    if (source != index_)
      (*marks)[source] = context_.queues().data(source, index_).consumer_published_position();
  }
  until([this, marks, then = std::move(then)]() {
    bool reached = true;
    for (uint32_t source = 0; source < reactor_count_; ++source) {
      if (source == index_) continue;
      drain_inbound_from(source);
      if (context_.queues().data(source, index_).consumer_released_position() < (*marks)[source]) {
        reached = false;
      }
    }
    if (!reached) return false;
    flush_local_batches();
    then();
    return true;
  });
}

bool Reactor::outbound_drained() const {
  if (!deferred_.empty()) return false;
  for (const auto& spill : spill_) {
    if (!spill.empty()) return false;
  }
  return true;
}

void Reactor::gather_async(std::function<void(Reactor&, std::function<void()>)> work,
                           std::function<void()> done) {
  struct State {
    uint32_t remaining = 0;
    std::function<void()> done;
  };
  auto state = std::make_shared<State>();
  state->remaining = reactor_count_;
  state->done = std::move(done);
  const uint32_t origin = index_;
  for (uint32_t target = 0; target < reactor_count_; ++target) {
    post(target, [work, state, origin](Reactor& reactor) {
      work(reactor, [&reactor, state, origin]() {
        reactor.post(origin, [state](Reactor&) {
          if (--state->remaining == 0) state->done();
        });
      });
    });
  }
}

void Reactor::until(std::function<bool()> condition) {
  if (!condition()) waiters_.push_back(std::move(condition));
}

void Reactor::run_waiters() {
  if (waiters_.empty()) return;
  std::vector<std::function<bool()>> pending;
  pending.swap(waiters_);
  for (auto& condition : pending) {
    if (!condition()) waiters_.push_back(std::move(condition));
  }
}

void Reactor::delete_counters(std::vector<std::string> names,
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
  const uint32_t origin = index_;
  for (size_t i = 0; i < names.size(); ++i) {
    char buffer[kNameBytesMax];
    const std::optional<std::string_view> normal = normalize_query_name(names[i], buffer);
    if (!normal) {
      if (--state->remaining == 0) finish();
      continue;
    }
    std::string name(*normal);
    const uint64_t hash = CounterTable::hash_name(name);
    const uint32_t shard = shard_of(hash);
    post(owner_of(shard), [name = std::move(name), hash, shard, origin, i, state,
                           finish](Reactor& owner) mutable {
      const bool deleted = owner.local_shard(shard)->shard->delete_counter(name, hash);
      owner.post(origin, [deleted, name = std::move(name), i, state, finish](Reactor&) mutable {
        if (deleted) state->deleted[i] = std::move(name);
        if (--state->remaining == 0) finish();
      });
    });
  }
}

void Reactor::delete_pattern(std::vector<std::string> globs,
                             std::function<void(std::vector<std::string>)> done) {
  using Names = std::vector<std::string>;
  auto patterns = std::make_shared<std::vector<Glob>>();
  for (const std::string& glob : globs) {
    if (std::optional<Glob> compiled = Glob::compile(glob))
      patterns->push_back(std::move(*compiled));
  }
  gather<Names>(
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
            if (shard.delete_counter(name, CounterTable::hash_name(name))) deleted.push_back(name);
          }
        });
        return deleted;
      },
      [done = std::move(done)](std::vector<Names> parts) {
        Names all;
        for (Names& part : parts) {
          all.insert(all.end(), std::make_move_iterator(part.begin()),
                     std::make_move_iterator(part.end()));
        }
        std::sort(all.begin(), all.end());
        done(std::move(all));
      });
}

// Shutdown (SIGTERM/SIGINT): every reactor stops accepting and reading, parses what it holds and
// hands it on; once all have (reactor 0 counts), every reactor applies its inbound queues,
// checkpoints its shards (flush_all) and leaves its loop when nothing is in flight.
void Reactor::begin_shutdown() {
  if (stopping_) return;
  stopping_ = true;
  stop_listening();
  for (uint32_t slot = 0; slot < connections_.size(); ++slot) {
    if (connections_[slot].in_use) close_connection(slot);
  }
}

void Reactor::shutdown_step() {
  switch (shutdown_phase_) {
    case 0: {  // draining this reactor's input
      flush_local_batches();
      flush_remote_batches();
      if (open_connections_ > 0 || !outbound_drained()) return;
      shutdown_phase_ = 1;
      post(0, [](Reactor& coordinator) {
        if (++coordinator.drained_reactors_ < coordinator.reactor_count_) return;
        for (uint32_t target = 0; target < coordinator.reactor_count_; ++target) {
          coordinator.post(target, [](Reactor& reactor) { reactor.final_checkpoint(); });
        }
      });
      return;
    }
    case 1:
      return;  // waiting for every reactor to drain
    case 2: {  // checkpoints requested
      if (shards_checkpointed_ < shards_.size()) return;
      if (armed_operations_ > 0) return;
      for (const auto& owned : shards_) {
        if (!owned->shard->idle() || owned->store->in_flight() > 0) return;
      }
      for (Listener& listener : listeners_) {
        if (listener.fd >= 0) ::close(listener.fd);
        listener.fd = -1;
      }
      stopped_ = true;
      return;
    }
    default:
      return;
  }
}

void Reactor::final_checkpoint() {
  shutdown_phase_ = 2;
  // Every reactor has stopped reading and handed on all it held (shutdown_step phase 0), so the
  // positions published now are the end of the input: nothing newer can arrive.
  drain_inbound_published_so_far([this] {
    for (auto& owned : shards_) {
      const uint32_t shard_id = owned->shard_index;
      owned->shard->checkpoint_for_shutdown([this, shard_id](bool checkpointed) {
        if (!checkpointed) {
          context_.note_shard_stopped_without_checkpoint();
          process_log().warn("shard " + std::to_string(shard_id) +
                             ": the final checkpoint could not be written; everything accepted "
                             "is durable in the log and is replayed at the next start");
        }
        ++shards_checkpointed_;
      });
    }
  });
}

}  // namespace ringstat
