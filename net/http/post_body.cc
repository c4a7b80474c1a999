#include "net/http/post_body.h"

#include <nlohmann/json.hpp>

#include <limits>
#include <utility>

namespace ringstat {
namespace {

using Json = nlohmann::json;

enum class Member : uint8_t { kKeys, kStart, kStop, kSamplesMax, kCompact, kOther };

Member member_named(std::string_view name) {
  if (name == "keys") return Member::kKeys;
  if (name == "start") return Member::kStart;
  if (name == "stop") return Member::kStop;
  if (name == "maxSamples") return Member::kSamplesMax;
  if (name == "compact") return Member::kCompact;
  return Member::kOther;
}

// A numeric member as the parser saw it; judged after the whole body parsed, so a syntax error
// anywhere wins over a bad value.
struct NumberMember {
  enum class State : uint8_t { kAbsent, kValue, kNotInteger, kOutOfRange };
  State state = State::kAbsent;
  int64_t value = 0;
};

// Receives nlohmann's SAX events. Depth 1 is the top-level object's members, depth 2 the
// elements of `keys`; anything deeper is only counted.
class PostBodySax {
 public:
  bool null() {
    return scalar([](NumberMember& n) { n.state = NumberMember::State::kAbsent; },
                  ScalarKind::kNull);
  }
  bool boolean(bool value) {
    if (depth_ == 1 && member_ == Member::kCompact) {
      compact_ = value;
      compact_valid_ = true;
      return true;
    }
    return scalar([](NumberMember& n) { n.state = NumberMember::State::kNotInteger; },
                  ScalarKind::kOther);
  }
  bool number_integer(Json::number_integer_t value) {
    return scalar(
        [value](NumberMember& n) {
          n.state = value < 0 ? NumberMember::State::kNotInteger : NumberMember::State::kValue;
          n.value = value;
        },
        ScalarKind::kOther);
  }
  bool number_unsigned(Json::number_unsigned_t value) {
    return scalar(
        [value](NumberMember& n) {
          if (value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
            n.state = NumberMember::State::kOutOfRange;
          } else {
            n.state = NumberMember::State::kValue;
            n.value = static_cast<int64_t>(value);
          }
        },
        ScalarKind::kOther);
  }
  bool number_float(Json::number_float_t /*value*/, const Json::string_t& /*text*/) {
    return scalar([](NumberMember& n) { n.state = NumberMember::State::kNotInteger; },
                  ScalarKind::kOther);
  }
  bool string(Json::string_t& value) {
    if (depth_ == 2 && in_keys_) {
      if (body_.keys.size() == kPostKeysMax) {
        too_many_keys_ = true;
      } else {
        body_.keys.push_back(std::move(value));
      }
      return true;
    }
    return scalar([](NumberMember& n) { n.state = NumberMember::State::kNotInteger; },
                  ScalarKind::kOther);
  }
  bool binary(Json::binary_t& /*value*/) { return true; }  // never produced by JSON text

  bool start_object(std::size_t /*elements*/) {
    if (depth_ == 0) top_is_object_ = true;
    open_container();
    return true;
  }
  bool key(Json::string_t& name) {
    if (depth_ == 1) member_ = member_named(name);
    return true;
  }
  bool end_object() {
    --depth_;
    return true;
  }
  bool start_array(std::size_t /*elements*/) {
    if (depth_ == 1 && member_ == Member::kKeys) {
      keys_valid_ = true;
      too_many_keys_ = false;
      body_.keys.clear();
      in_keys_ = true;
      ++depth_;
      return true;
    }
    open_container();
    return true;
  }
  bool end_array() {
    --depth_;
    if (depth_ == 1) in_keys_ = false;
    return true;
  }

  bool parse_error(std::size_t /*position*/, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& ex) {
    // what() is "[json.exception.parse_error.101] parse error at line 1, column 9: ..."; the
    // bracketed id means nothing to a client.
    std::string_view what = ex.what();
    if (const size_t bracket = what.find("] ");
        !what.empty() && what.front() == '[' && bracket != std::string_view::npos) {
      what.remove_prefix(bracket + 2);
    }
    syntax_error_ = "Invalid JSON body: ";
    // The message quotes the bytes last read, which may be any bytes at all; keep it printable.
    for (const char c : what) {
      const auto byte = static_cast<unsigned char>(c);
      syntax_error_.push_back(byte >= 0x20 && byte < 0x7f ? c : '?');
    }
    return false;
  }

  Result<PostBody> finish() {
    if (!syntax_error_.empty()) return Error{syntax_error_};
    if (!top_is_object_ || !keys_valid_) return Error{std::string(kMissingKeysMessage)};
    if (too_many_keys_) return Error{"Too many keys: more than " + std::to_string(kPostKeysMax)};
    const std::pair<const NumberMember*, std::string_view> numbers[] = {
        {&start_, "start"}, {&stop_, "stop"}, {&samples_max_, "maxSamples"}};
    for (const auto& [number, name] : numbers) {
      if (number->state == NumberMember::State::kNotInteger) {
        return Error{"Invalid '" + std::string(name) +
                     "' parameter: must be a non-negative integer"};
      }
      if (number->state == NumberMember::State::kOutOfRange) {
        return Error{"Invalid '" + std::string(name) + "' parameter: out of range"};
      }
    }
    if (!compact_valid_) return Error{"Invalid 'compact' parameter: must be true or false"};
    auto value_of = [](const NumberMember& n) {
      return n.state == NumberMember::State::kValue ? std::optional<int64_t>(n.value)
                                                    : std::nullopt;
    };
    body_.start = value_of(start_);
    body_.stop = value_of(stop_);
    body_.samples_max = value_of(samples_max_);
    body_.compact = compact_;
    return std::move(body_);
  }

 private:
  enum class ScalarKind : uint8_t { kNull, kOther };

  // A scalar that is not a string inside `keys` and not compact's bool: it sets a numeric member,
  // breaks `keys` (as a member or an element), or resets `compact`.
  template <class SetNumber>
  bool scalar(SetNumber&& set_number, ScalarKind kind) {
    if (depth_ == 2 && in_keys_) {
      keys_valid_ = false;
    } else if (depth_ == 1) {
      switch (member_) {
        case Member::kKeys:
          keys_valid_ = false;
          break;
        case Member::kStart:
          set_number(start_);
          break;
        case Member::kStop:
          set_number(stop_);
          break;
        case Member::kSamplesMax:
          set_number(samples_max_);
          break;
        case Member::kCompact:
          compact_ = false;
          compact_valid_ = kind == ScalarKind::kNull;
          break;
        case Member::kOther:
          break;
      }
    }
    return true;
  }

  // An object or array as a value: the wrong type for every member it can be.
  void open_container() {
    if (depth_ == 2 && in_keys_) keys_valid_ = false;
    if (depth_ == 1) {
      switch (member_) {
        case Member::kKeys:
          keys_valid_ = false;
          break;
        case Member::kStart:
          start_.state = NumberMember::State::kNotInteger;
          break;
        case Member::kStop:
          stop_.state = NumberMember::State::kNotInteger;
          break;
        case Member::kSamplesMax:
          samples_max_.state = NumberMember::State::kNotInteger;
          break;
        case Member::kCompact:
          compact_valid_ = false;
          break;
        case Member::kOther:
          break;
      }
    }
    ++depth_;
  }

  PostBody body_;
  size_t depth_ = 0;
  Member member_ = Member::kOther;
  bool top_is_object_ = false;
  bool keys_valid_ = false;  // a `keys` array of strings was seen (the last `keys` member)
  bool in_keys_ = false;
  bool too_many_keys_ = false;
  NumberMember start_;
  NumberMember stop_;
  NumberMember samples_max_;
  bool compact_ = false;
  bool compact_valid_ = true;
  std::string syntax_error_;
};

}  // namespace

Result<PostBody> parse_post_body(std::string_view body) {
  PostBodySax sax;
  // Strict: nothing but whitespace may follow the value. The SAX interface reports errors through
  // parse_error() and never throws.
  Json::sax_parse(body, &sax, nlohmann::detail::input_format_t::json, true, false);
  return sax.finish();
}

}  // namespace ringstat
