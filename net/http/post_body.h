// The JSON body of `POST /*` (docs/http-api.md "POST /*"): `{"keys":[...],"start":T0,"stop":T1,
// "maxSamples":N,"compact":bool}` read with nlohmann's SAX interface straight into PostBody,
// without a document tree and without exceptions. Single-threaded pure code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace ringstat {

// Most keys one request may ask for; each is a counter query.
inline constexpr size_t kPostKeysMax = 10'000;
// The spec's message for a missing or malformed `keys` member.
inline constexpr std::string_view kMissingKeysMessage = "Missing 'keys' array of keys";

struct PostBody {
  std::vector<std::string> keys;  // as sent, repeats kept (the renderer answers each once)
  std::optional<int64_t> start;
  std::optional<int64_t> stop;
  std::optional<int64_t> samples_max;
  bool compact = false;
};

// Rules (each an error message of one line, answered 400):
// - Invalid JSON: "Invalid JSON body: <parser's reason with line and column>".
// - Not an object, `keys` absent, or not an array of strings: kMissingKeysMessage. More than
//   kPostKeysMax keys: "Too many keys: more than 10000".
// - `start`, `stop`, `maxSamples`: a JSON integer >= 0 (a fraction, exponent, string, bool,
//   array or object is not), e.g. "Invalid 'start' parameter: must be a non-negative integer";
//   null counts as absent, since JSON encoders write null for "no value".
// - `compact`: true or false (null: false).
// - Other members are ignored (istatd's `trailing`); when a member repeats, the last one counts,
//   as in JavaScript's JSON.parse.
Result<PostBody> parse_post_body(std::string_view body);

}  // namespace ringstat
