// Counter names at ingest and query (docs/protocols.md section 1 "Names"): caret fan-out,
// normalisation and the rejection rules. Single-threaded pure code on the per-sample hot path:
// no allocation; names are handed out from a small stack buffer. Owned by the ingest parsers;
// the shard and the query layer call it. Safe to call from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>

#include "engine/ingest/reject_reason.h"

namespace ringstat {

// Longest stored name, in bytes after expansion and normalisation (spec rule 4).
inline constexpr size_t kNameBytesMax = 255;

// Longest raw name (before expansion) accepted at all. A raw name comes from one line, and no
// line is longer than this (engine/ingest/line_splitter.h kLineBytesMax), so a longer one is
// rejected as kNameTooLong; the bound keeps the fan-out's work and stack space fixed.
inline constexpr size_t kRawNameBytesMax = 4096;

// How a raw name becomes stored names. istatd names fan out at carets; Graphite paths do not (the
// caret is istatd syntax, so in a Graphite path `^` is an ordinary character). A leading `*` is
// never part of the raw name: the istatd parser strips it as the event marker.
enum class NameSyntax : uint8_t {
  kCaretFanOut,  // istatd: `base^a^b` -> `base.a`, `base.b`
  kLiteral,      // Graphite: exactly one name
};

// Checks every name the raw name expands to, in expansion order (caret segments left to right,
// then the base for a trailing caret), and returns the first problem: kEmptyName, kNameTooLong,
// or kEmptyPathComponent, checked in that order for each name. nullopt: every name is valid.
// Fan-out rules: the base is the text before the first caret; each non-empty segment between
// carets yields `base.segment` (just `segment` when the base is empty); a trailing caret also
// yields the base itself. So `a^` -> `a`; `a^^b` -> `a.b`; `^a^b` -> `a`, `b`; `^`, `^^` and
// `^a^` each yield an empty name and are rejected (a line is rejected as a whole when any of its
// names is bad).
std::optional<RejectReason> validate_counter_names(std::string_view raw_name, NameSyntax syntax);

// Writes the normalised form of `raw` (lower-cased; bytes outside 33..126 and each of / : \ " '
// become '_') into `out` and returns it as a view of `out`. No caret expansion and no
// validation; nullopt when `raw` is longer than kNameBytesMax (no such counter can exist).
std::optional<std::string_view> normalize_name(std::string_view raw,
                                               std::span<char, kNameBytesMax> out);

// The same for a name in a query path, where a leading `*` (the event marker) is ignored.
std::optional<std::string_view> normalize_query_name(std::string_view raw,
                                                     std::span<char, kNameBytesMax> out);

// Type-erased visitor so the fan-out itself lives in counter_name.cc, out of every caller.
struct CounterNameVisitor {
  void* context;
  void (*visit)(void* context, std::string_view name);
};

// Calls visitor.visit once per distinct normalised name. Precondition (VERIFY where it guards
// memory): validate_counter_names(raw_name, syntax) returned nullopt.
void visit_counter_names(std::string_view raw_name, NameSyntax syntax, CounterNameVisitor visitor);

// Calls visit(std::string_view name) once for every distinct normalised name `raw_name` expands
// to, in expansion order; a name repeated in one expansion (`a^b^b`, `a^B^b`) is visited once.
// The view points into a buffer that lives only for the duration of that call: copy it to keep
// it. Validate first (see visit_counter_names).
template <class Visit>
void for_each_counter_name(std::string_view raw_name, NameSyntax syntax, Visit&& visit) {
  using VisitType = std::remove_reference_t<Visit>;
  const CounterNameVisitor visitor{
      const_cast<void*>(static_cast<const void*>(std::addressof(visit))),
      [](void* context, std::string_view name) { (*static_cast<VisitType*>(context))(name); }};
  visit_counter_names(raw_name, syntax, visitor);
}

}  // namespace ringstat
