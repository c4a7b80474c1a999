// Shutdown (SIGTERM/SIGINT): every reactor stops accepting and reading, parses what it holds and
// hands it on; once all have (reactor 0 counts), every reactor applies its inbound queues,
// checkpoints its shards and leaves its loop when nothing is in flight.
#include <unistd.h>

#include "net/daemon/reactor.h"
#include "net/daemon/reactor_context.h"
#include "net/daemon/reactor_state.h"
#include "net/process/log.h"

namespace ringstat {

void Reactor::begin_shutdown() {
  if (stopping()) return;
  shutdown_phase_ = ShutdownPhase::kDraining;
  stop_listening();
  for (uint32_t slot = 0; slot < connections_.slots(); ++slot) {
    if (connections_[slot].in_use) close_connection(slot);
  }
}

bool Reactor::outbound_drained() const {
  if (!deferred_.empty()) return false;
  return router_.spills_empty();
}

void Reactor::shutdown_step() {
  switch (shutdown_phase_) {
    case ShutdownPhase::kServing:
    case ShutdownPhase::kStopped:
      return;
    case ShutdownPhase::kDraining: {
      router_.apply_local();
      router_.hand_on();
      hand_on_tasks();
      if (connections_.open_count() > 0 || !outbound_drained()) return;
      shutdown_phase_ = ShutdownPhase::kDrained;
      post(0, [](Reactor& coordinator) {
        if (++coordinator.drained_reactors_ < coordinator.reactor_count_) return;
        for (uint32_t target = 0; target < coordinator.reactor_count_; ++target) {
          coordinator.post(target, [](Reactor& reactor) { reactor.final_checkpoint(); });
        }
      });
      return;
    }
    case ShutdownPhase::kDrained:
      return;
    case ShutdownPhase::kCheckpointing: {
      if (shards_checkpointed_ < shards_.size()) return;
      if (armed_operations_ > 0) return;
      for (const auto& owned : shards_) {
        if (!owned->shard->idle() || owned->store->in_flight() > 0) return;
      }
      for (Listener& listener : listeners_) {
        if (listener.fd >= 0) ::close(listener.fd);
        listener.fd = -1;
      }
      shutdown_phase_ = ShutdownPhase::kStopped;
      return;
    }
  }
}

void Reactor::final_checkpoint() {
  shutdown_phase_ = ShutdownPhase::kCheckpointing;
  // Every reactor has stopped reading and handed on all it held (kDraining), so the
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
