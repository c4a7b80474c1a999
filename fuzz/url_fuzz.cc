// Fuzz target: request target splitting and percent-decoding (net/http/url.h). Checks the limits
// (at most kQueryParametersMax parameters, no decoded NUL byte) and round trips: any byte string
// without NUL survives percent-encoding and decoding, and a parsed URL written back fully encoded
// parses to the same path and parameters.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/verify.h"
#include "fuzz/fuzz_support.h"
#include "net/http/url.h"

using namespace ringstat;

namespace {

// Every byte as %XX: nothing is left for '+', '?', '&' or '=' to mean.
std::string encode_all(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    out.push_back('%');
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0xf]);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input = fuzz::as_text(data, size);

  if (input.find('\0') == std::string_view::npos) {
    for (const bool plus_is_space : {false, true}) {
      const std::optional<std::string> decoded = percent_decode(encode_all(input), plus_is_space);
      VERIFY(decoded && *decoded == input);
    }
  }

  const Result<Url> url = parse_url(input);
  if (!url) {
    VERIFY(!url.error().empty());
    return 0;
  }
  VERIFY(url.value().parameters.size() <= kQueryParametersMax);
  VERIFY(url.value().path.find('\0') == std::string::npos);
  const std::optional<std::string> path = percent_decode(input.substr(0, input.find('?')), false);
  VERIFY(path && *path == url.value().path);

  std::string target = encode_all(url.value().path);
  char separator = '?';
  for (const QueryParameter& parameter : url.value().parameters) {
    VERIFY(parameter.key.find('\0') == std::string::npos);
    VERIFY(parameter.value.find('\0') == std::string::npos);
    target += separator;
    target += encode_all(parameter.key) + "=" + encode_all(parameter.value);
    separator = '&';
  }
  const Result<Url> again = parse_url(target);
  VERIFY(again.ok());
  VERIFY(again.value().path == url.value().path);
  VERIFY(again.value().parameters.size() == url.value().parameters.size());
  for (size_t i = 0; i < url.value().parameters.size(); ++i) {
    VERIFY(again.value().parameters[i].key == url.value().parameters[i].key);
    VERIFY(again.value().parameters[i].value == url.value().parameters[i].value);
  }
  return 0;
}
