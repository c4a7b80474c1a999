// JsonWriter: a small streaming JSON writer appending to a caller's std::string, for every HTTP
// response body. It places commas and colons itself and VERIFYs that calls nest properly. It
// allocates nothing beyond the string's own growth. Single-threaded pure code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ringstat {

// Deepest nesting of objects and arrays; the responses use four levels.
inline constexpr size_t kJsonDepthMax = 64;

// Appends `value` in the shortest form that reads back to the same double (std::to_chars):
// 50 -> "50", 11.313708498984761 stays exact, 1e21 -> "1e+21". Negative zero is written "0", since
// the sign of a zero statistic means nothing and "-0" surprises readers. Returns false and
// appends nothing for NaN and infinities, which JSON cannot express.
bool append_shortest_double(std::string& out, double value);

// Appends `text` as a JSON string literal: quotes, `"` and `\` escaped, control bytes below 0x20
// as \u00XX. Other bytes are copied as they are (names are printable ASCII).
void append_json_string(std::string& out, std::string_view text);

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  // Inside an object, before each value.
  JsonWriter& key(std::string_view name);

  JsonWriter& string(std::string_view text);
  JsonWriter& integer(int64_t value);
  JsonWriter& unsigned_integer(uint64_t value);
  JsonWriter& number(double value);  // non-finite -> null
  JsonWriter& boolean(bool value);
  JsonWriter& null();

  // True once one complete top-level value has been written.
  bool complete() const { return depth_ == 0 && wrote_top_level_; }

 private:
  void begin_value();
  void open(char bracket, bool is_object);
  void close(char bracket, bool is_object);

  std::string& out_;
  size_t depth_ = 0;
  uint64_t object_bits_ = 0;     // bit d: the container at depth d + 1 is an object
  uint64_t has_items_bits_ = 0;  // bit d: it already holds an item, so the next needs a comma
  bool after_key_ = false;
  bool wrote_top_level_ = false;
};

}  // namespace ringstat
