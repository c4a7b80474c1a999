// CounterTable: a shard's index from normalised counter name to counter id. Open addressing with
// linear probing and backward-shift deletion: no per-entry allocation, 16 bytes a slot, names in
// one arena. A slot carries the name's arena offset, so a lookup costs the slot and the name
// bytes, and both can be prefetched for a batch (prefetch_slot, prefetch_name). Owned by one
// shard and touched only from its reactor thread.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "engine/ingest/counter_hash.h"

namespace ringstat {

class CounterTable {
 public:
  static constexpr uint32_t kNotFound = UINT32_MAX;
  // Names are addressed with 32-bit offsets: 16 M names of 255 bytes at most.
  static constexpr uint64_t kArenaBytesMax = uint64_t{1} << 32;

  // `counters_max` live names at most; the slot array is sized so it never exceeds half full.
  explicit CounterTable(uint32_t counters_max);

  // The hash every layer uses for a normalised name (engine/ingest/counter_hash.h): shard
  // routing takes its high bits, this table its low bits.
  static uint64_t hash_name(std::string_view name) { return hash_counter_name(name); }

  uint32_t find(std::string_view name, uint64_t hash) const;
  // Adds `name` for `id` (ids are dense and chosen by the caller). False when full.
  bool insert(std::string_view name, uint64_t hash, uint32_t id);
  // Removes the live name of `id`.
  void erase(uint32_t id);

  // Batch lookups: first prefetch every slot, then every name the slots point at, then find().
  void prefetch_slot(uint64_t hash) const { __builtin_prefetch(&slots_[ideal_slot(hash)]); }
  void prefetch_name(uint64_t hash) const {
    const Slot& slot = slots_[ideal_slot(hash)];
    if (slot.id_plus_one != 0) __builtin_prefetch(arena_.data() + slot.name_offset);
  }
  // The id in the first slot probed for `hash`, unverified (kNotFound if empty): lets a batch
  // prefetch the counter's state before the name is compared.
  uint32_t likely_id(uint64_t hash) const { return slots_[ideal_slot(hash)].id_plus_one - 1; }

  std::string_view name(uint32_t id) const;
  bool contains_id(uint32_t id) const;
  uint32_t size() const { return size_; }
  uint32_t counters_max() const { return counters_max_; }
  size_t memory_bytes() const;

 private:
  struct Slot {
    uint32_t id_plus_one = 0;  // 0 = empty
    uint32_t hash_low = 0;
    uint32_t name_offset = 0;
    uint8_t name_length = 0;
  };
  struct NameRef {
    uint32_t offset = 0;
    uint32_t hash_low = 0;
    uint8_t length = 0;
    bool live = false;
  };

  size_t ideal_slot(uint64_t hash) const { return static_cast<uint32_t>(hash) & mask_; }

  std::vector<Slot> slots_;
  std::vector<NameRef> names_;  // indexed by id
  std::vector<char> arena_;
  size_t mask_ = 0;
  uint32_t size_ = 0;
  uint32_t counters_max_ = 0;
};

}  // namespace ringstat
