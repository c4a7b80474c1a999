#include "engine/query/json_writer.h"

#include <charconv>
#include <cmath>

#include "base/verify.h"

namespace ringstat {
namespace {

// std::to_chars needs at most 24 characters for a double's shortest form, 20 for a uint64_t.
constexpr size_t kNumberChars = 32;

template <class Number>
void append_chars(std::string& out, Number value) {
  char buffer[kNumberChars];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  VERIFY(ec == std::errc());
  out.append(buffer, end);
}

static_assert(kJsonDepthMax <= 64, "the depth bits are one uint64_t");

}  // namespace

bool append_shortest_double(std::string& out, double value) {
  if (!std::isfinite(value)) return false;
  if (value == 0) {
    out.push_back('0');  // both zeros
    return true;
  }
  append_chars(out, value);
  return true;
}

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  size_t run_start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char byte = static_cast<unsigned char>(text[i]);
    if (byte >= 0x20 && byte != '"' && byte != '\\') continue;
    out.append(text.data() + run_start, i - run_start);
    run_start = i + 1;
    if (byte == '"' || byte == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(byte));
    } else {
      const char escape[] = {'\\', 'u', '0', '0', kHex[byte >> 4], kHex[byte & 0xf]};
      out.append(escape, sizeof(escape));
    }
  }
  out.append(text.data() + run_start, text.size() - run_start);
  out.push_back('"');
}

void JsonWriter::begin_value() {
  if (depth_ == 0) {
    VERIFY(!wrote_top_level_);
    wrote_top_level_ = true;
    return;
  }
  const uint64_t bit = uint64_t{1} << (depth_ - 1);
  if ((object_bits_ & bit) != 0) {
    VERIFY(after_key_);
    after_key_ = false;
    return;
  }
  if ((has_items_bits_ & bit) != 0) out_.push_back(',');
  has_items_bits_ |= bit;
}

void JsonWriter::open(char bracket, bool is_object) {
  begin_value();
  VERIFY(depth_ < kJsonDepthMax);
  const uint64_t bit = uint64_t{1} << depth_;
  if (is_object) {
    object_bits_ |= bit;
  } else {
    object_bits_ &= ~bit;
  }
  has_items_bits_ &= ~bit;
  ++depth_;
  out_.push_back(bracket);
}

void JsonWriter::close(char bracket, bool is_object) {
  VERIFY(depth_ > 0);
  VERIFY(!after_key_);
  const uint64_t bit = uint64_t{1} << (depth_ - 1);
  VERIFY(((object_bits_ & bit) != 0) == is_object);
  --depth_;
  out_.push_back(bracket);
}

JsonWriter& JsonWriter::begin_object() {
  open('{', true);
  return *this;
}

JsonWriter& JsonWriter::end_object() {
  close('}', true);
  return *this;
}

JsonWriter& JsonWriter::begin_array() {
  open('[', false);
  return *this;
}

JsonWriter& JsonWriter::end_array() {
  close(']', false);
  return *this;
}

JsonWriter& JsonWriter::key(std::string_view name) {
  VERIFY(depth_ > 0);
  const uint64_t bit = uint64_t{1} << (depth_ - 1);
  VERIFY((object_bits_ & bit) != 0);
  VERIFY(!after_key_);
  if ((has_items_bits_ & bit) != 0) out_.push_back(',');
  has_items_bits_ |= bit;
  append_json_string(out_, name);
  out_.push_back(':');
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::string(std::string_view text) {
  begin_value();
  append_json_string(out_, text);
  return *this;
}

JsonWriter& JsonWriter::integer(int64_t value) {
  begin_value();
  append_chars(out_, value);
  return *this;
}

JsonWriter& JsonWriter::unsigned_integer(uint64_t value) {
  begin_value();
  append_chars(out_, value);
  return *this;
}

JsonWriter& JsonWriter::number(double value) {
  begin_value();
  if (!append_shortest_double(out_, value)) out_.append("null");
  return *this;
}

JsonWriter& JsonWriter::boolean(bool value) {
  begin_value();
  out_.append(value ? "true" : "false");
  return *this;
}

JsonWriter& JsonWriter::null() {
  begin_value();
  out_.append("null");
  return *this;
}

}  // namespace ringstat
