#include "engine/ingest/line_splitter.h"

#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace ringstat {
namespace {

struct Collected {
  std::vector<std::string> lines;
  std::vector<RejectReason> rejects;

  auto on_line() {
    return [this](std::string_view line) { lines.emplace_back(line); };
  }
  auto on_reject() {
    return [this](RejectReason reason) { rejects.push_back(reason); };
  }
};

using Lines = std::vector<std::string>;
using Rejects = std::vector<RejectReason>;

// Feeds `chunks` in order, then finishes; the pool must be empty again afterwards.
Collected feed_all(const std::vector<std::string>& chunks, size_t pool_buffers = 4) {
  CarryPool pool(pool_buffers);
  LineSplitter splitter;
  Collected got;
  for (const std::string& chunk : chunks)
    splitter.feed(chunk, pool, got.on_line(), got.on_reject());
  splitter.finish(pool, got.on_line(), got.on_reject());
  CHECK(pool.in_use() == 0);
  return got;
}

Collected split(std::string_view datagram) {
  Collected got;
  split_datagram(datagram, got.on_line(), got.on_reject());
  return got;
}

TEST_CASE("lines inside one chunk are delivered in order without copying") {
  CarryPool pool(1);
  LineSplitter splitter;
  const std::string chunk = "a 1\nb 2\n";
  std::vector<const char*> starts;
  Lines lines;
  splitter.feed(
      chunk, pool,
      [&](std::string_view line) {
        starts.push_back(line.data());
        lines.emplace_back(line);
      },
      [](RejectReason) { FAIL("no reject expected"); });
  CHECK(lines == Lines{"a 1", "b 2"});
  CHECK(starts == std::vector<const char*>{chunk.data(), chunk.data() + 4});
  CHECK(pool.in_use() == 0);
  CHECK_FALSE(splitter.has_partial_line());
}

TEST_CASE("a partial last line holds a carry until its newline arrives") {
  CarryPool pool(2);
  LineSplitter splitter;
  Collected got;
  splitter.feed("a 1\nb", pool, got.on_line(), got.on_reject());
  CHECK(got.lines == Lines{"a 1"});
  CHECK(splitter.has_partial_line());
  CHECK(pool.in_use() == 1);
  splitter.feed(" 2", pool, got.on_line(), got.on_reject());
  CHECK(pool.in_use() == 1);
  splitter.feed("\nc 3\n", pool, got.on_line(), got.on_reject());
  CHECK(got.lines == Lines{"a 1", "b 2", "c 3"});
  CHECK(pool.in_use() == 0);
  CHECK_FALSE(splitter.has_partial_line());
  CHECK(got.rejects.empty());
}

TEST_CASE("a line split across two chunks at every byte position") {
  const std::string stream = "web.latency 42\r\n*web.hits 1795241204 1\n\nlast 7\n";
  const Lines expected{"web.latency 42", "*web.hits 1795241204 1", "", "last 7"};
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    CAPTURE(cut);
    const Collected got = feed_all({stream.substr(0, cut), stream.substr(cut)});
    CHECK(got.lines == expected);
    CHECK(got.rejects.empty());
  }
}

TEST_CASE("a stream fed one byte at a time gives the same lines") {
  const std::string stream = "a 1\r\nbb 2\n\r\nccc 3\nd";
  std::vector<std::string> chunks;
  for (char c : stream) chunks.emplace_back(1, c);
  const Collected got = feed_all(chunks);
  CHECK(got.lines == Lines{"a 1", "bb 2", "", "ccc 3", "d"});
  CHECK(got.rejects.empty());
}

TEST_CASE("crlf endings lose only the carriage return before the newline") {
  const Collected got = feed_all({"a 1\r\nb\r2\r\n\r\n"});
  CHECK(got.lines == Lines{"a 1", "b\r2", ""});
}

TEST_CASE("a carriage return split from its newline is still stripped") {
  const Collected got = feed_all({"a 1\r", "\nb 2\n"});
  CHECK(got.lines == Lines{"a 1", "b 2"});
}

TEST_CASE("a line of exactly the limit is delivered, one byte more is rejected") {
  const std::string longest(kLineBytesMax, 'x');
  const std::string too_long(kLineBytesMax + 1, 'x');
  CHECK(feed_all({longest + "\n"}).lines == Lines{longest});
  CHECK(feed_all({longest + "\r\n"}).lines == Lines{longest});
  const Collected got = feed_all({too_long + "\nok 1\n"});
  CHECK(got.lines == Lines{"ok 1"});
  CHECK(got.rejects == Rejects{RejectReason::kLineTooLong});
}

TEST_CASE("the line limit holds when the line is split across chunks at every position") {
  const std::string longest(kLineBytesMax, 'x');
  const std::string too_long(kLineBytesMax + 1, 'y');
  const std::string stream = longest + "\r\n" + too_long + "\r\nok 1\n";
  for (size_t cut :
       {size_t{1}, kLineBytesMax - 1, kLineBytesMax, kLineBytesMax + 1, kLineBytesMax + 2,
        kLineBytesMax + 3, 2 * kLineBytesMax + 2, 2 * kLineBytesMax + 3, 2 * kLineBytesMax + 4,
        2 * kLineBytesMax + 5, stream.size() - 1}) {
    CAPTURE(cut);
    const Collected got = feed_all({stream.substr(0, cut), stream.substr(cut)});
    CHECK(got.lines == Lines{longest, "ok 1"});
    CHECK(got.rejects == Rejects{RejectReason::kLineTooLong});
  }
}

TEST_CASE("a 1 MiB line is reported once and the next line still arrives") {
  const std::string huge(1 << 20, 'h');
  SUBCASE("in one chunk") {
    const Collected got = feed_all({"before 1\n" + huge + "\ngood 2\n"});
    CHECK(got.lines == Lines{"before 1", "good 2"});
    CHECK(got.rejects == Rejects{RejectReason::kLineTooLong});
  }
  SUBCASE("in 16 KiB chunks") {
    const std::string stream = "before 1\n" + huge + "\ngood 2\n";
    std::vector<std::string> chunks;
    for (size_t at = 0; at < stream.size(); at += 16384) chunks.push_back(stream.substr(at, 16384));
    CarryPool pool(1);
    LineSplitter splitter;
    Collected got;
    for (const std::string& chunk : chunks) {
      splitter.feed(chunk, pool, got.on_line(), got.on_reject());
      // While the huge line is skipped it holds no carry buffer.
      if (splitter.discarding()) CHECK(pool.in_use() == 0);
    }
    splitter.finish(pool, got.on_line(), got.on_reject());
    CHECK(got.lines == Lines{"before 1", "good 2"});
    CHECK(got.rejects == Rejects{RejectReason::kLineTooLong});
  }
}

TEST_CASE("an empty pool drops only the partial line and reports it") {
  CarryPool pool(0);
  LineSplitter splitter;
  Collected got;
  splitter.feed("a 1\nb", pool, got.on_line(), got.on_reject());
  CHECK(got.rejects == Rejects{RejectReason::kCarryExhausted});
  CHECK(splitter.discarding());
  // The rest of `b`'s line is skipped, not parsed as a line of its own.
  splitter.feed(" 2", pool, got.on_line(), got.on_reject());
  splitter.feed("\nc 3\n", pool, got.on_line(), got.on_reject());
  splitter.finish(pool, got.on_line(), got.on_reject());
  CHECK(got.lines == Lines{"a 1", "c 3"});
  CHECK(got.rejects == Rejects{RejectReason::kCarryExhausted});
}

TEST_CASE("connections share the carry pool and give buffers back as lines complete") {
  CarryPool pool(1);
  LineSplitter first;
  LineSplitter second;
  Collected got_first;
  Collected got_second;
  first.feed("x 1", pool, got_first.on_line(), got_first.on_reject());
  CHECK(pool.in_use() == 1);
  second.feed("y 2", pool, got_second.on_line(), got_second.on_reject());
  CHECK(got_second.rejects == Rejects{RejectReason::kCarryExhausted});
  first.feed("0\n", pool, got_first.on_line(), got_first.on_reject());
  CHECK(pool.in_use() == 0);
  second.feed("0\nz 3", pool, got_second.on_line(), got_second.on_reject());
  CHECK(pool.in_use() == 1);
  second.finish(pool, got_second.on_line(), got_second.on_reject());
  first.finish(pool, got_first.on_line(), got_first.on_reject());
  CHECK(got_first.lines == Lines{"x 10"});
  CHECK(got_second.lines == Lines{"z 3"});
  CHECK(pool.in_use() == 0);
}

TEST_CASE("a long line in one carry never touches another connection's carry") {
  CarryPool pool(2);
  LineSplitter first;
  LineSplitter second;
  Collected got;
  // `first` takes the lower buffer, so an overflow would land in `second`'s.
  first.feed("f", pool, got.on_line(), got.on_reject());
  second.feed("second", pool, got.on_line(), got.on_reject());
  for (size_t pending = 1; pending < kCarryBufferBytes + 8; pending += 3) {
    first.feed("fff", pool, got.on_line(), got.on_reject());
  }
  first.feed("\r\n", pool, got.on_line(), got.on_reject());
  second.feed(" 2\n", pool, got.on_line(), got.on_reject());
  CHECK(got.lines == Lines{"second 2"});
  CHECK(got.rejects == Rejects{RejectReason::kLineTooLong});
  CHECK(pool.in_use() == 0);
}

TEST_CASE("finish delivers an unterminated last line") {
  CHECK(feed_all({"a 1\nb 2"}).lines == Lines{"a 1", "b 2"});
  CHECK(feed_all({"a 1\nb 2\r"}).lines == Lines{"a 1", "b 2"});
  CHECK(feed_all({"b", " 2"}).lines == Lines{"b 2"});
  CHECK(feed_all({}).lines.empty());
}

TEST_CASE("finish while skipping a long line delivers nothing more") {
  const Collected got = feed_all({"ok 1\n" + std::string(kLineBytesMax + 10, 'z')});
  CHECK(got.lines == Lines{"ok 1"});
  CHECK(got.rejects == Rejects{RejectReason::kLineTooLong});
}

TEST_CASE("finish rejects a carried last line over the limit") {
  const std::string almost(kLineBytesMax, 'x');
  const Collected got = feed_all({almost, "y"});
  CHECK(got.lines.empty());
  CHECK(got.rejects == Rejects{RejectReason::kLineTooLong});
}

TEST_CASE("release drops the partial line and gives the carry back") {
  CarryPool pool(1);
  LineSplitter splitter;
  Collected got;
  splitter.feed("partial", pool, got.on_line(), got.on_reject());
  CHECK(pool.in_use() == 1);
  splitter.release(pool);
  CHECK(pool.in_use() == 0);
  CHECK_FALSE(splitter.has_partial_line());
  // The splitter is reusable for a new connection.
  splitter.feed("fresh 1\n", pool, got.on_line(), got.on_reject());
  CHECK(got.lines == Lines{"fresh 1"});
}

TEST_CASE("moving a splitter moves its carry") {
  CarryPool pool(1);
  LineSplitter first;
  Collected got;
  first.feed("a ", pool, got.on_line(), got.on_reject());
  LineSplitter second(std::move(first));
  CHECK_FALSE(first.has_partial_line());
  CHECK(second.has_partial_line());
  std::vector<LineSplitter> splitters;
  splitters.push_back(std::move(second));
  splitters.emplace_back();  // may reallocate: the carry must follow
  splitters[0].feed("1\n", pool, got.on_line(), got.on_reject());
  CHECK(got.lines == Lines{"a 1"});
  CHECK(pool.in_use() == 0);
}

TEST_CASE("the carry pool hands out distinct buffers up to its capacity") {
  CarryPool pool(3);
  CHECK(pool.capacity() == 3);
  char* a = pool.acquire();
  char* b = pool.acquire();
  char* c = pool.acquire();
  REQUIRE(a != nullptr);
  REQUIRE(b != nullptr);
  REQUIRE(c != nullptr);
  CHECK(a != b);
  CHECK(b != c);
  CHECK(pool.in_use() == 3);
  CHECK(pool.acquire() == nullptr);
  // Each buffer holds a full line plus its carriage return.
  std::memset(a, 'a', kCarryBufferBytes);
  std::memset(b, 'b', kCarryBufferBytes);
  CHECK(c[0] != 'b');
  pool.release(b);
  CHECK(pool.in_use() == 2);
  CHECK(pool.acquire() == b);
  pool.release(a);
  pool.release(b);
  pool.release(c);
  CHECK(pool.in_use() == 0);
}

TEST_CASE("a datagram's one-byte line is not glued to the next line") {
  const Collected got = split("a 1\nx\nb 2\n");
  CHECK(got.lines == Lines{"a 1", "x", "b 2"});
}

TEST_CASE("a datagram's last line needs no trailing newline") {
  CHECK(split("edge.e 1\nedge.f 2").lines == Lines{"edge.e 1", "edge.f 2"});
  CHECK(split("a 1").lines == Lines{"a 1"});
  CHECK(split("x").lines == Lines{"x"});
}

TEST_CASE("a datagram keeps its empty lines and strips carriage returns") {
  CHECK(split("a 1\r\n\nb 2\r").lines == Lines{"a 1", "", "b 2"});
  CHECK(split("\n").lines == Lines{""});
  CHECK(split("").lines.empty());
  CHECK(split("a 1\n").lines == Lines{"a 1"});
}

TEST_CASE("a datagram line over the limit is rejected alone") {
  const std::string too_long(kLineBytesMax + 1, 'x');
  const Collected got = split("a 1\n" + too_long + "\nb 2\n" + too_long);
  CHECK(got.lines == Lines{"a 1", "b 2"});
  CHECK(got.rejects == Rejects{RejectReason::kLineTooLong, RejectReason::kLineTooLong});
  CHECK(split(std::string(kLineBytesMax, 'y') + "\r").lines.size() == 1);
}

TEST_CASE("datagram lines are views into the datagram") {
  const std::string datagram = "a 1\nb 2";
  std::vector<const char*> starts;
  split_datagram(
      datagram, [&](std::string_view line) { starts.push_back(line.data()); }, [](RejectReason) {});
  CHECK(starts == std::vector<const char*>{datagram.data(), datagram.data() + 4});
}

}  // namespace
}  // namespace ringstat
