// Small text rules of HTTP field syntax (RFC 9110 section 5.6) shared by the request parser and
// the response encoder: ASCII case-insensitive comparison, OWS trimming, comma-separated lists.
// Single-threaded pure code; owned by the HTTP part of net/.
#pragma once

#include <cstddef>
#include <string_view>

namespace ringstat {

inline char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// Field names, tokens and codings compare without regard to ASCII case (never locale-aware).
inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

// Optional whitespace: spaces and horizontal tabs.
inline std::string_view trim_ows(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Calls visit(element) for each non-empty, OWS-trimmed element of a comma-separated list
// (RFC 9110 section 5.6.1: empty elements are ignored).
template <class Visit>
void for_each_list_element(std::string_view list, Visit&& visit) {
  while (true) {
    const size_t comma = list.find(',');
    const std::string_view element = trim_ows(list.substr(0, comma));
    if (!element.empty()) visit(element);
    if (comma == std::string_view::npos) return;
    list.remove_prefix(comma + 1);
  }
}

}  // namespace ringstat
