// The request target of the HTTP API split into a percent-decoded path and query parameters
// (docs/http-api.md "Decoding and output": "percent-decoded (`%XX`); in the query string `+` is a
// space"). Single-threaded pure code; the HTTP handler calls it once per request.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace ringstat {

// Most `key=value` pairs one query string may carry; the API uses at most four.
inline constexpr size_t kQueryParametersMax = 64;

struct QueryParameter {
  std::string key;
  std::string value;
};

struct Url {
  std::string path;                        // decoded; starts with '/' (or is "*" for OPTIONS *)
  std::vector<QueryParameter> parameters;  // in target order, repeats kept

  // The value of the first parameter named `key`: when a key repeats, the first one wins, as in
  // most web frameworks' single-value accessors. `?a` without '=' has the empty value.
  std::optional<std::string_view> find(std::string_view key) const;
};

// Splits at the first '?'; parameters are separated by '&' (empty ones skipped) and split at
// their first '='. `%XX` is decoded in the path, keys and values; `+` becomes a space in keys and
// values only. Errors (400): a '%' not followed by two hex digits, a decoded NUL byte, more than
// kQueryParametersMax parameters.
Result<Url> parse_url(std::string_view target);

// Percent-decodes `text`, with `+` as a space when `plus_is_space`. nullopt on a bad escape or a
// decoded NUL byte.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);

}  // namespace ringstat
