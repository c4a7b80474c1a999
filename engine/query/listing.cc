#include "engine/query/listing.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <string>

namespace ringstat {
namespace {

// What one scan learned about one name; several candidates with the same name are merged.
struct Candidate {
  std::string_view name;
  bool is_counter = false;    // a stored counter has this name
  bool has_children = false;  // it is a dotted prefix of a stored counter
  CounterKind kind = CounterKind::kGauge;
};

// A set of strings with open addressing, a word-at-a-time hash and its own copy of every member
// in one arena. A listing looks up one parent per name per matching level, a million times for
// `?.?`; std::unordered_set made that the slowest step, because confirming a hit read the first
// name with that parent, a cache miss somewhere in the caller's million names. Here a hit reads
// only the table and the small arena.
class ParentSet {
 public:
  // A hint that `hash` will be inserted soon, so that a batch of lookups waits for memory once
  // instead of once per lookup.
  void prefetch(uint64_t hash) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[hash & mask_]);
  }

  // Returns true when `name`, whose hash_of is `hash`, was not in the set yet.
  bool insert(std::string_view name, uint64_t hash) {
    if ((size_ + 1) * 4 > slots_.size() * 3) grow();
    const uint32_t tag = static_cast<uint32_t>(hash >> 32);
    for (size_t i = hash & mask_;; i = (i + 1) & mask_) {
      Slot& slot = slots_[i];
      if (slot.size == kFree) {
        slot = Slot{tag, static_cast<uint32_t>(name.size()), arena_.size()};
        arena_.append(name);
        ++size_;
        return true;
      }
      if (slot.tag == tag && slot.size == name.size() &&
          std::memcmp(arena_.data() + slot.offset, name.data(), name.size()) == 0) {
        return false;
      }
    }
  }

  static uint64_t hash_of(std::string_view name) {
    uint64_t hash = 0x9e3779b97f4a7c15ull ^ name.size();
    const char* bytes = name.data();
    size_t left = name.size();
    for (; left >= 8; left -= 8, bytes += 8) {
      uint64_t word = 0;
      std::memcpy(&word, bytes, 8);
      hash = (hash ^ word) * 0xbf58476d1ce4e5b9ull;
      hash ^= hash >> 31;
    }
    uint64_t word = 0;
    std::memcpy(&word, bytes, left);
    hash = (hash ^ word) * 0x94d049bb133111ebull;
    return hash ^ (hash >> 29);
  }

 private:
  static constexpr uint32_t kFree = ~uint32_t{0};

  // Sixteen bytes, everything a probe needs; the high half of the hash as a tag spares most
  // mismatches a look at the arena.
  struct Slot {
    uint32_t tag = 0;
    uint32_t size = kFree;  // bytes; names are far shorter than kFree
    size_t offset = 0;      // into arena_
  };

  void grow() {
    const std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 1024 : old.size() * 2, Slot{});
    mask_ = slots_.size() - 1;
    for (const Slot& slot : old) {
      if (slot.size == kFree) continue;
      const std::string_view member(arena_.data() + slot.offset, slot.size);
      size_t i = hash_of(member) & mask_;
      while (slots_[i].size != kFree) i = (i + 1) & mask_;
      slots_[i] = slot;
    }
  }

  std::vector<Slot> slots_;
  std::string arena_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

// Parents hashed and prefetched together; enough to overlap a handful of cache misses.
constexpr size_t kParentBatch = 16;

ListingType type_of(CounterKind kind) {
  return kind == CounterKind::kEvent ? ListingType::kCounter : ListingType::kGauge;
}

}  // namespace

Listing list_counters(std::span<const NamedCounter> counters, const Glob& glob,
                      size_t entries_max) {
  // Whatever matches, the name itself or one of its parents, starts with the literal prefix and
  // contains the longest literal run, and then so does the name: two cheap tests that spare most
  // names the automaton.
  const std::string_view literal_prefix = glob.literal_prefix();
  const std::string_view required = glob.longest_literal();
  const bool check_required = required.size() > literal_prefix.size();
  std::vector<Candidate> found;
  std::vector<size_t> lengths;
  ParentSet parents_found;
  // Parents wait here in small batches: their set lookups miss the cache when the set is large,
  // and prefetching a batch overlaps those misses.
  struct PendingParent {
    std::string_view name;
    uint64_t hash = 0;
  };
  std::array<PendingParent, kParentBatch> pending;
  size_t pending_count = 0;
  auto flush_pending = [&] {
    for (size_t p = 0; p < pending_count; ++p) parents_found.prefetch(pending[p].hash);
    for (size_t p = 0; p < pending_count; ++p) {
      if (parents_found.insert(pending[p].name, pending[p].hash)) {
        found.push_back(Candidate{pending[p].name, false, true, CounterKind::kGauge});
      }
    }
    pending_count = 0;
  };
  std::string_view previous;
  for (const NamedCounter& counter : counters) {
    const std::string_view name = counter.name;
    if (!name.starts_with(literal_prefix)) continue;
    if (check_required && name.find(required) == std::string_view::npos) continue;
    glob.matching_prefix_lengths(name, lengths);
    for (const size_t length : lengths) {
      if (length == name.size()) {
        found.push_back(Candidate{name, true, false, counter.kind});
        continue;
      }
      const std::string_view parent = name.substr(0, length);
      // Many names share each parent (`?` lists a handful of roots of a million names), so
      // parents are made unique before the sort: cheaply when the previous name shares it,
      // else through a set of the parents found.
      if (previous.size() > length && previous[length] == '.' && previous.starts_with(parent)) {
        continue;
      }
      pending[pending_count++] = PendingParent{parent, ParentSet::hash_of(parent)};
      if (pending_count == kParentBatch) flush_pending();
    }
    previous = name;
  }
  flush_pending();

  std::sort(found.begin(), found.end(),
            [](const Candidate& left, const Candidate& right) { return left.name < right.name; });

  Listing listing;
  for (size_t i = 0; i < found.size();) {
    Candidate merged = found[i];
    size_t j = i + 1;
    for (; j < found.size() && found[j].name == merged.name; ++j) {
      if (found[j].is_counter && !merged.is_counter) merged.kind = found[j].kind;
      merged.is_counter = merged.is_counter || found[j].is_counter;
      merged.has_children = merged.has_children || found[j].has_children;
    }
    i = j;
    if (listing.entries.size() == entries_max) {
      listing.truncated = true;
      break;
    }
    listing.entries.push_back(ListingEntry{
        merged.name, merged.is_counter ? type_of(merged.kind) : ListingType::kAggregate,
        merged.is_counter && !merged.has_children});
  }
  return listing;
}

}  // namespace ringstat
