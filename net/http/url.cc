#include "net/http/url.h"

namespace ringstat {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string_view> Url::find(std::string_view key) const {
  for (const QueryParameter& parameter : parameters) {
    if (parameter.key == key) return std::string_view(parameter.value);
  }
  return std::nullopt;
}

std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (text.size() - i < 3) return std::nullopt;
      const int high = hex_value(text[i + 1]);
      const int low = hex_value(text[i + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      const char decoded = static_cast<char>(high * 16 + low);
      if (decoded == '\0') return std::nullopt;
      out.push_back(decoded);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else if (c == '\0') {
      return std::nullopt;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Result<Url> parse_url(std::string_view target) {
  Url url;
  const size_t question = target.find('?');
  std::optional<std::string> path = percent_decode(target.substr(0, question), false);
  if (!path) return Error{"Bad percent-encoding in path"};
  url.path = std::move(*path);
  if (question == std::string_view::npos) return url;

  std::string_view query = target.substr(question + 1);
  while (true) {
    const size_t ampersand = query.find('&');
    const std::string_view pair = query.substr(0, ampersand);
    if (!pair.empty()) {
      if (url.parameters.size() == kQueryParametersMax) {
        return Error{"More than " + std::to_string(kQueryParametersMax) + " query parameters"};
      }
      const size_t equals = pair.find('=');
      std::optional<std::string> key = percent_decode(pair.substr(0, equals), true);
      const std::string_view raw_value =
          equals == std::string_view::npos ? std::string_view() : pair.substr(equals + 1);
      std::optional<std::string> value = percent_decode(raw_value, true);
      if (!key || !value) return Error{"Bad percent-encoding in query string"};
      url.parameters.push_back(QueryParameter{std::move(*key), std::move(*value)});
    }
    if (ampersand == std::string_view::npos) break;
    query.remove_prefix(ampersand + 1);
  }
  return url;
}

}  // namespace ringstat
