// Line framing for the ingest listeners (docs/protocols.md "Framing"): LineSplitter
// cuts one TCP connection's byte stream into lines, split_datagram cuts a UDP datagram. Pure and
// single-threaded: a LineSplitter and its CarryPool belong to one reactor and are never touched
// from another thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "base/verify.h"
#include "engine/ingest/counter_name.h"
#include "engine/ingest/parsed_line.h"
#include "engine/ingest/reject_reason.h"

namespace ringstat {

// Longest accepted line, not counting its "\r\n". A longer line is discarded up to its '\n' and
// reported once as kLineTooLong; the lines around it are unaffected.
inline constexpr size_t kLineBytesMax = 4096;
// A pending partial line may hold a full line plus the '\r' of its CRLF ending.
inline constexpr size_t kCarryBufferBytes = kLineBytesMax + 1;
static_assert(kLineBytesMax <= kRawNameBytesMax, "a name must fit in a line");
static_assert(kCarryBufferBytes <= UINT16_MAX, "LineSplitter stores the carry length in 16 bits");

// A fixed set of carry buffers shared by every connection of one reactor. Only a connection with
// a partial line pending holds one, so 10 000 mostly idle connections cost 16 bytes each plus the
// pool (design brief: a few hundred bytes per connection at most). All memory is allocated in the
// constructor; acquire and release never allocate.
class CarryPool {
 public:
  explicit CarryPool(size_t buffer_count);
  CarryPool(const CarryPool&) = delete;
  CarryPool& operator=(const CarryPool&) = delete;

  // A buffer of kCarryBufferBytes, or nullptr when every buffer is in use.
  char* acquire();
  // Gives back a buffer from acquire(); VERIFYs that it is one and that it is in use.
  void release(char* buffer);

  size_t capacity() const { return capacity_; }
  size_t in_use() const { return capacity_ - free_.size(); }

 private:
  size_t capacity_;
  std::unique_ptr<char[]> storage_;
  std::unique_ptr<bool[]> taken_;  // per buffer, to catch a double release
  std::vector<char*> free_;        // a stack; reserved to capacity_ up front, so it never grows
};

namespace line_splitter_detail {

template <class OnLine, class OnReject>
void deliver_line(std::string_view line, OnLine& on_line, OnReject& on_reject) {
  line = strip_carriage_return(line);
  if (line.size() > kLineBytesMax) {
    on_reject(RejectReason::kLineTooLong);
  } else {
    on_line(line);
  }
}

}  // namespace line_splitter_detail

// One TCP connection's framing state: 16 bytes, plus a pool buffer only while a partial line is
// pending. Callbacks: on_line(std::string_view line) gets each line without its '\n' and without
// one trailing '\r' (empty lines included; the parsers report them as kEmpty), and
// on_reject(RejectReason) gets kLineTooLong or kCarryExhausted. A line is a view into the chunk
// when it lies inside it, otherwise into the carry buffer; either way it is valid only during
// the call. Callbacks must not call back into this LineSplitter.
class LineSplitter {
 public:
  LineSplitter() = default;
  LineSplitter(const LineSplitter&) = delete;
  LineSplitter& operator=(const LineSplitter&) = delete;
  // Moving hands the pending carry over, so connections can live in a growing container.
  LineSplitter(LineSplitter&& other) noexcept
      : carry_(other.carry_), carry_bytes_(other.carry_bytes_), discarding_(other.discarding_) {
    other.carry_ = nullptr;
    other.carry_bytes_ = 0;
    other.discarding_ = false;
  }
  LineSplitter& operator=(LineSplitter&& other) noexcept {
    VERIFY(carry_ == nullptr || this == &other);
    if (this == &other) return *this;
    carry_ = other.carry_;
    carry_bytes_ = other.carry_bytes_;
    discarding_ = other.discarding_;
    other.carry_ = nullptr;
    other.carry_bytes_ = 0;
    other.discarding_ = false;
    return *this;
  }
  // A splitter holding a carry must give it back with finish() or release() first: otherwise
  // the pool would lose the buffer for good.
  ~LineSplitter() { VERIFY(carry_ == nullptr); }

  // Frames the next received bytes. The chunk may be released as soon as this returns: a partial
  // last line is copied into a carry buffer from `pool`. If the pool is empty, that partial line
  // is dropped up to its '\n' and reported as kCarryExhausted; later lines are unaffected.
  template <class OnLine, class OnReject>
  void feed(std::string_view chunk, CarryPool& pool, OnLine&& on_line, OnReject&& on_reject);

  // End of stream: delivers a pending unterminated last line (same '\r' and length rules), gives
  // the carry back and leaves the splitter ready for reuse.
  template <class OnLine, class OnReject>
  void finish(CarryPool& pool, OnLine&& on_line, OnReject&& on_reject);

  // The connection closed abnormally: drops any partial line and gives the carry back.
  void release(CarryPool& pool);

  bool has_partial_line() const { return carry_ != nullptr; }
  // True while the rest of a dropped line (too long, or no carry) is being skipped.
  bool discarding() const { return discarding_; }

 private:
  void return_carry(CarryPool& pool);

  char* carry_ = nullptr;     // from pool, only while a partial line is pending
  uint16_t carry_bytes_ = 0;  // bytes of that partial line, <= kCarryBufferBytes
  bool discarding_ = false;   // skipping to the next '\n'
};
static_assert(sizeof(LineSplitter) <= 16, "10 000 connections must stay cheap");

template <class OnLine, class OnReject>
void LineSplitter::feed(std::string_view chunk, CarryPool& pool, OnLine&& on_line,
                        OnReject&& on_reject) {
  if (discarding_) {
    const size_t newline = chunk.find('\n');
    if (newline == std::string_view::npos) return;
    chunk.remove_prefix(newline + 1);
    discarding_ = false;
  }
  if (carry_ != nullptr) {
    const size_t newline = chunk.find('\n');
    const size_t take = newline == std::string_view::npos ? chunk.size() : newline;
    if (carry_bytes_ + take > kCarryBufferBytes) {
      // Too long whatever follows: report it now, once, and skip the rest of it.
      return_carry(pool);
      on_reject(RejectReason::kLineTooLong);
      if (newline == std::string_view::npos) {
        discarding_ = true;
        return;
      }
    } else {
      VERIFY(carry_bytes_ + take <= kCarryBufferBytes);
      std::memcpy(carry_ + carry_bytes_, chunk.data(), take);
      carry_bytes_ = static_cast<uint16_t>(carry_bytes_ + take);
      if (newline == std::string_view::npos) return;
      line_splitter_detail::deliver_line(std::string_view(carry_, carry_bytes_), on_line,
                                         on_reject);
      return_carry(pool);
    }
    chunk.remove_prefix(newline + 1);
  }
  for (size_t newline = chunk.find('\n'); newline != std::string_view::npos;
       newline = chunk.find('\n')) {
    line_splitter_detail::deliver_line(chunk.substr(0, newline), on_line, on_reject);
    chunk.remove_prefix(newline + 1);
  }
  if (chunk.empty()) return;
  if (chunk.size() > kCarryBufferBytes) {
    on_reject(RejectReason::kLineTooLong);
    discarding_ = true;
    return;
  }
  carry_ = pool.acquire();
  if (carry_ == nullptr) {
    on_reject(RejectReason::kCarryExhausted);
    discarding_ = true;
    return;
  }
  VERIFY(chunk.size() <= kCarryBufferBytes);
  std::memcpy(carry_, chunk.data(), chunk.size());
  carry_bytes_ = static_cast<uint16_t>(chunk.size());
}

template <class OnLine, class OnReject>
void LineSplitter::finish(CarryPool& pool, OnLine&& on_line, OnReject&& on_reject) {
  if (carry_ != nullptr) {
    line_splitter_detail::deliver_line(std::string_view(carry_, carry_bytes_), on_line, on_reject);
    return_carry(pool);
  }
  discarding_ = false;
}

// Frames one UDP datagram: one or more lines, the last needing no '\n'. Every line is delivered,
// including one-byte lines and a last line without '\n' (istatd glued the former to the next
// line and dropped whole datagrams for the latter). Callbacks as for LineSplitter; lines are
// views into the datagram. A trailing '\n' does not create an empty last line.
template <class OnLine, class OnReject>
void split_datagram(std::string_view datagram, OnLine&& on_line, OnReject&& on_reject) {
  while (!datagram.empty()) {
    const size_t newline = datagram.find('\n');
    if (newline == std::string_view::npos) {
      line_splitter_detail::deliver_line(datagram, on_line, on_reject);
      return;
    }
    line_splitter_detail::deliver_line(datagram.substr(0, newline), on_line, on_reject);
    datagram.remove_prefix(newline + 1);
  }
}

}  // namespace ringstat
