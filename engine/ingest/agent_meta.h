// AgentMeta: what a TCP agent said about itself in `#key value` lines (docs/protocols.md section
// 1), listed by GET /?a=. Bounded so an agent cannot grow a connection without end: at most
// kEntriesMax keys, values cut to kValueBytesMax bytes. Owned by one connection, touched only by
// its reactor's thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ringstat {

class AgentMeta {
 public:
  using Entries = std::vector<std::pair<std::string, std::string>>;

  static constexpr size_t kEntriesMax = 32;
  static constexpr size_t kValueBytesMax = 256;

  // Sets `key` to `value` cut to kValueBytesMax bytes, as docs/protocols.md "Meta lines" says:
  // an existing key keeps its place and takes the new value; a new key beyond kEntriesMax is
  // dropped, so what an agent said first stays listed.
  void set(std::string_view key, std::string_view value);

  // In the order the keys first arrived; keys unique.
  const Entries& entries() const { return entries_; }

  // Hands the entries over (a closed agent is remembered for GET /?a=) and leaves this empty.
  Entries take_entries() { return std::exchange(entries_, Entries{}); }

 private:
  Entries entries_;
};

}  // namespace ringstat
