// AgentRegistry: one reactor's part of GET /?a= (docs/http-api.md): its open TCP ingest
// connections, and the agents that disconnected within the last kMemory_s, at most
// kOfflineMax of them. Owned by one reactor and touched only on its thread.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "engine/ingest/agent_meta.h"
#include "net/daemon/connection_table.h"
#include "net/http/query_service.h"

namespace ringstat {

class AgentRegistry {
 public:
  static constexpr int64_t kMemory_s = 25 * 3600;
  static constexpr size_t kOfflineMax = 10000;

  // A TCP ingest connection closes: its agent is listed offline from now on.
  void remember(Connection& closing, int64_t now_s) {
    VERIFY(closing.is_tcp_ingest());
    // O(1) per close: a flood of short connections must not cost a scan of every remembered
    // agent each. Expired agents leave from the front (list() skips any expired one left behind
    // a newer one).
    while (!offline_.empty() && (offline_.front().last_activity_s < now_s - kMemory_s ||
                                 offline_.size() >= kOfflineMax)) {
      offline_.pop_front();
    }
    offline_.push_back(Offline{closing.ingest().agent.take_entries(), closing.peer,
                               closing.connected_s, closing.last_activity_s});
  }

  // The open agents of `connections`, then the remembered ones, as GET /?a= lists them.
  std::vector<AgentInfo> list(const ConnectionTable& connections, int64_t now_s) const {
    std::vector<AgentInfo> agents;
    for (const Connection& c : connections) {
      if (!c.in_use || !c.is_tcp_ingest()) continue;
      agents.push_back(AgentInfo{c.ingest().agent.entries(), c.peer, true, c.connected_s,
                                 now_s - c.last_activity_s});
    }
    for (const Offline& agent : offline_) {
      if (agent.last_activity_s < now_s - kMemory_s) continue;
      agents.push_back(AgentInfo{agent.meta, agent.peer, false, agent.connected_s,
                                 now_s - agent.last_activity_s});
    }
    return agents;
  }

 private:
  struct Offline {
    AgentMeta::Entries meta;
    std::string peer;
    int64_t connected_s = 0;
    int64_t last_activity_s = 0;
  };
  std::deque<Offline> offline_;  // in closing order, oldest first
};

}  // namespace ringstat
