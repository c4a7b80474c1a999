// Listing: the entries of `GET /?q=<pattern>` (docs/http-api.md): every stored counter and every
// dotted prefix of one, once each, sorted by name, filtered by a Glob. Single-threaded pure code;
// the storage layer gathers the names from every shard and calls it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "engine/query/glob.h"
#include "fileformat/counter_kind.h"

namespace ringstat {

// Most entries one listing returns; the rest are cut (sorted order kept) and reported. Each name
// yields at most 128 entries (255 bytes), so this only binds for a `*` over millions of counters,
// whose JSON would already be hundreds of megabytes.
inline constexpr size_t kListingEntriesMax = 4'000'000;

// The JSON `type` of an entry (istatd's numbering).
enum class ListingType : uint8_t { kGauge = 0, kCounter = 1, kAggregate = 2 };

struct NamedCounter {
  std::string_view name;  // a stored, normalised counter name
  CounterKind kind = CounterKind::kGauge;
};

struct ListingEntry {
  std::string_view name;  // points into a NamedCounter's name: valid while the input is
  ListingType type = ListingType::kAggregate;
  bool is_leaf = false;
  friend bool operator==(const ListingEntry&, const ListingEntry&) = default;
};

struct Listing {
  std::vector<ListingEntry> entries;  // sorted by name (bytewise), names unique
  bool truncated = false;
};

// A prefix that is not itself a counter has type kAggregate and is_leaf false; a counter with
// children keeps its own type and has is_leaf false; a counter without children is a leaf. Input
// names may come in any order (duplicates are merged). Cost: a prefix test and a substring search
// per name, one automaton pass per name that survives them, one hash-set lookup per matching
// parent, then one sort of the distinct matches only.
Listing list_counters(std::span<const NamedCounter> counters, const Glob& glob,
                      size_t entries_max = kListingEntriesMax);

}  // namespace ringstat
