#include "engine/store/counter_table.h"

#include <bit>
#include <cstring>

#include "base/verify.h"

namespace ringstat {

CounterTable::CounterTable(uint32_t counters_max) : counters_max_(counters_max) {
  VERIFY(counters_max > 0);
  const size_t slot_count = std::bit_ceil(size_t{counters_max} * 2);
  slots_.resize(slot_count);
  mask_ = slot_count - 1;
}

uint32_t CounterTable::find(std::string_view name, uint64_t hash) const {
  const auto hash_low = static_cast<uint32_t>(hash);
  for (size_t i = ideal_slot(hash);; i = (i + 1) & mask_) {
    const Slot& slot = slots_[i];
    if (slot.id_plus_one == 0) return kNotFound;
    if (slot.hash_low == hash_low && slot.name_length == name.size() &&
        std::memcmp(arena_.data() + slot.name_offset, name.data(), name.size()) == 0) {
      return slot.id_plus_one - 1;
    }
  }
}

bool CounterTable::insert(std::string_view name, uint64_t hash, uint32_t id) {
  VERIFY(!name.empty() && name.size() <= 255);
  VERIFY(id != kNotFound);
  if (size_ >= counters_max_ || arena_.size() + name.size() > kArenaBytesMax) return false;
  VERIFY(find(name, hash) == kNotFound);
  if (names_.size() <= id) names_.resize(size_t{id} + 1);
  VERIFY(!names_[id].live);
  const auto hash_low = static_cast<uint32_t>(hash);
  const auto offset = static_cast<uint32_t>(arena_.size());
  const auto length = static_cast<uint8_t>(name.size());
  names_[id] = NameRef{offset, hash_low, length, true};
  arena_.insert(arena_.end(), name.begin(), name.end());
  size_t i = ideal_slot(hash);
  while (slots_[i].id_plus_one != 0) i = (i + 1) & mask_;
  slots_[i] = Slot{id + 1, hash_low, offset, length};
  ++size_;
  return true;
}

void CounterTable::erase(uint32_t id) {
  VERIFY(contains_id(id));
  size_t i = names_[id].hash_low & mask_;
  while (slots_[i].id_plus_one != id + 1) {
    VERIFY(slots_[i].id_plus_one != 0);
    i = (i + 1) & mask_;
  }
  // Backward-shift deletion keeps every probe chain unbroken without tombstones.
  for (size_t next = (i + 1) & mask_;; next = (next + 1) & mask_) {
    const Slot& candidate = slots_[next];
    if (candidate.id_plus_one == 0) break;
    const size_t home = candidate.hash_low & mask_;
    const bool movable = ((next - home) & mask_) >= ((next - i) & mask_);
    if (movable) {
      slots_[i] = candidate;
      i = next;
    }
  }
  slots_[i] = Slot{};
  names_[id].live = false;  // the arena bytes are reclaimed when the shard rebuilds the table
  --size_;
}

std::string_view CounterTable::name(uint32_t id) const {
  VERIFY(id < names_.size());
  const NameRef& ref = names_[id];
  return {arena_.data() + ref.offset, ref.length};
}

bool CounterTable::contains_id(uint32_t id) const { return id < names_.size() && names_[id].live; }

size_t CounterTable::memory_bytes() const {
  return slots_.capacity() * sizeof(Slot) + names_.capacity() * sizeof(NameRef) + arena_.capacity();
}

}  // namespace ringstat
