#include "engine/ingest/agent_meta.h"

#include <algorithm>

#include "base/verify.h"

namespace ringstat {

void AgentMeta::set(std::string_view key, std::string_view value) {
  value = value.substr(0, kValueBytesMax);
  const auto it = std::find_if(entries_.begin(), entries_.end(),
                               [&](const auto& entry) { return entry.first == key; });
  if (it != entries_.end()) {
    it->second.assign(value);
    return;
  }
  if (entries_.size() == kEntriesMax) return;
  entries_.emplace_back(std::string(key), std::string(value));
  VERIFY(entries_.size() <= kEntriesMax);
}

}  // namespace ringstat
