#include "engine/ingest/line_pipeline.h"

#include <doctest/doctest.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/ingest/counter_hash.h"

namespace ringstat {
namespace {

constexpr uint32_t kShards = 7;

// What the sink saw: a copy, since sample.name is valid only during take().
struct Taken {
  std::string name;
  uint64_t hash = 0;
  uint32_t shard = 0;
  IngestListener listener = IngestListener::kCount;
  std::optional<int64_t> time;
  Bucket bucket;
  CounterKind kind = CounterKind::kGauge;
  bool aggregated = false;
};

class RecordingSink final : public SampleSink {
 public:
  void take(const IngestSample& sample, uint32_t shard, IngestListener listener) override {
    taken.push_back(Taken{std::string(sample.name), sample.hash, shard, listener, sample.time,
                          sample.bucket, sample.kind, sample.aggregated});
  }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const Taken& t : taken) out.push_back(t.name);
    return out;
  }
  std::vector<Taken> taken;
};

using Names = std::vector<std::string>;

struct Harness {
  explicit Harness(size_t carry_buffers = 4) : pipeline(kShards, counters, carry_buffers) {}

  // Feeds `chunks` as one TCP connection's receive buffers, then ends the stream.
  void stream(IngestListener listener, const std::vector<std::string>& chunks,
              AgentMeta* agent = nullptr) {
    LineSplitter splitter;
    for (const std::string& chunk : chunks)
      pipeline.feed_stream(listener, splitter, agent, chunk, sink);
    pipeline.finish_stream(listener, splitter, agent, sink);
    CHECK_FALSE(splitter.has_partial_line());
  }
  const IngestCounters& of(IngestListener listener) const {
    return counters[static_cast<size_t>(listener)];
  }
  uint64_t rejected(IngestListener listener, RejectReason reason) const {
    return of(listener).rejected[static_cast<size_t>(reason)];
  }

  IngestCountersByListener counters{};
  LinePipeline pipeline;
  RecordingSink sink;
};

TEST_CASE("an istatd line becomes one sample with its hash and its shard") {
  Harness h;
  h.stream(IngestListener::kStatTcp, {"Web.Latency 42\n"});
  REQUIRE(h.sink.taken.size() == 1);
  const Taken& t = h.sink.taken[0];
  CHECK(t.name == "web.latency");  // normalised
  CHECK(t.hash == hash_counter_name("web.latency"));
  CHECK(t.shard == shard_of_hash(t.hash, kShards));
  CHECK(t.listener == IngestListener::kStatTcp);
  CHECK_FALSE(t.time.has_value());
  CHECK(t.bucket.count == 1);
  CHECK(t.bucket.sum == 42);
  CHECK(t.kind == CounterKind::kGauge);
  CHECK_FALSE(t.aggregated);
  CHECK(h.of(IngestListener::kStatTcp).lines == 1);
  CHECK(h.of(IngestListener::kGraphiteTcp).lines == 0);
  // Whether the shard takes it is the shard's answer, counted where the batch is applied.
  CHECK(h.of(IngestListener::kStatTcp).samples_accepted == 0);
}

TEST_CASE("istatd timed, event and pre-aggregated lines keep their fields") {
  Harness h;
  // The pre-aggregated form is `name time sum sumsq min max count`.
  h.stream(IngestListener::kStatTcp,
           {"a.timed 1700000000 5\n*an.event 1\nagg 1700000000 40 400 1 7 10\n"});
  REQUIRE(h.sink.taken.size() == 3);
  CHECK(h.sink.taken[0].time == std::optional<int64_t>(1'700'000'000));
  CHECK(h.sink.taken[1].name == "an.event");
  CHECK(h.sink.taken[1].kind == CounterKind::kEvent);
  CHECK(h.sink.taken[2].aggregated);
  CHECK(h.sink.taken[2].bucket.count == 10);
  CHECK(h.sink.taken[2].bucket.sum == 40);
  CHECK(h.sink.taken[2].bucket.max == 7);
}

TEST_CASE("Graphite listeners parse Graphite: a caret is literal and '#' starts a path") {
  Harness h;
  h.stream(IngestListener::kGraphiteTcp, {"a^b 1 1700000000\n#x 2\n"});
  CHECK(h.sink.names() == Names{"a^b", "#x"});
  CHECK(h.sink.taken[0].time == std::optional<int64_t>(1'700'000'000));
  CHECK(h.sink.taken[0].listener == IngestListener::kGraphiteTcp);
  CHECK(h.of(IngestListener::kGraphiteTcp).lines == 2);
  CHECK(h.of(IngestListener::kGraphiteTcp).meta_lines == 0);
  CHECK(h.of(IngestListener::kStatTcp).lines == 0);
  // The same bytes on the stat port are istatd: fan-out, and a meta line.
  AgentMeta agent;
  h.stream(IngestListener::kStatTcp, {"a^b 1 1700000000\n#x 2\n"}, &agent);
  CHECK(h.sink.names() == Names{"a^b", "#x", "a.b"});
  CHECK(h.of(IngestListener::kStatTcp).meta_lines == 1);
}

TEST_CASE("a line split across two receive buffers is delivered whole") {
  Harness h(1);
  h.stream(IngestListener::kStatTcp, {"first 1\nweb.lat", "ency 42\nnext 1\n"});
  CHECK(h.sink.names() == Names{"first", "web.latency", "next"});
  CHECK(h.sink.taken[1].bucket.sum == 42);
  CHECK(h.of(IngestListener::kStatTcp).lines == 3);
}

TEST_CASE("the end of a stream delivers its unterminated last line") {
  Harness h;
  h.stream(IngestListener::kStatTcp, {"a 1\nb 2"});
  CHECK(h.sink.names() == Names{"a", "b"});
}

TEST_CASE("caret fan-out yields one sample per name, each with its own hash and shard") {
  Harness h;
  h.stream(IngestListener::kStatTcp, {"base^a^b^c^d^e^f^g^h 3\n"});
  REQUIRE(h.sink.names() ==
          Names{"base.a", "base.b", "base.c", "base.d", "base.e", "base.f", "base.g", "base.h"});
  std::set<uint64_t> hashes;
  std::set<uint32_t> shards;
  for (const Taken& t : h.sink.taken) {
    CHECK(t.hash == hash_counter_name(t.name));
    CHECK(t.shard == static_cast<uint32_t>((t.hash >> 32) % kShards));
    CHECK(t.bucket.sum == 3);
    hashes.insert(t.hash);
    shards.insert(t.shard);
  }
  CHECK(hashes.size() == 8);
  CHECK(shards.size() > 1);  // eight names on seven shards do not all land on one
  CHECK(h.of(IngestListener::kStatTcp).lines == 1);
}

TEST_CASE("meta lines reach the connection's AgentMeta within its bounds") {
  Harness h;
  AgentMeta agent;
  const std::string long_value(AgentMeta::kValueBytesMax + 10, 'v');
  h.stream(IngestListener::kStatTcp,
           {"#host web1\n#version 1.2\nx 1\n#host web2\n#plugin cpu 0\n#long " + long_value + "\n"},
           &agent);
  CHECK(h.sink.names() == Names{"x"});
  CHECK(h.of(IngestListener::kStatTcp).meta_lines == 5);
  REQUIRE(agent.entries().size() == 4);
  CHECK(agent.entries()[0] == std::pair<std::string, std::string>{"host", "web2"});
  CHECK(agent.entries()[2] == std::pair<std::string, std::string>{"plugin", "cpu 0"});
  CHECK(agent.entries()[3].second == long_value.substr(0, AgentMeta::kValueBytesMax));

  std::string many;
  for (size_t i = 0; i < AgentMeta::kEntriesMax + 5; ++i) many += "#k" + std::to_string(i) + " v\n";
  AgentMeta full;
  h.stream(IngestListener::kStatTcp, {many}, &full);
  CHECK(full.entries().size() == AgentMeta::kEntriesMax);
}

TEST_CASE("meta lines without an agent are counted and dropped") {
  Harness h;
  h.stream(IngestListener::kStatTcp, {"#host web1\n"}, nullptr);
  CHECK(h.of(IngestListener::kStatTcp).meta_lines == 1);
  h.pipeline.feed_datagram(IngestListener::kStatUdp, "#host web1\na 1", h.sink);
  CHECK(h.of(IngestListener::kStatUdp).meta_lines == 1);
  CHECK(h.sink.names() == Names{"a"});
}

TEST_CASE("a UDP datagram is split into lines, the last needing no newline") {
  Harness h;
  h.pipeline.feed_datagram(IngestListener::kStatUdp, "a 1\nb 2\r\nc^x^y 3", h.sink);
  CHECK(h.sink.names() == Names{"a", "b", "c.x", "c.y"});
  for (const Taken& t : h.sink.taken) CHECK(t.listener == IngestListener::kStatUdp);
  CHECK(h.of(IngestListener::kStatUdp).lines == 3);
  CHECK(h.of(IngestListener::kStatTcp).lines == 0);

  h.pipeline.feed_datagram(IngestListener::kGraphiteUdp, "g.path 4 1700000000\n", h.sink);
  REQUIRE(h.sink.taken.size() == 5);
  CHECK(h.sink.taken[4].name == "g.path");
  CHECK(h.sink.taken[4].listener == IngestListener::kGraphiteUdp);
  CHECK(h.sink.taken[4].time == std::optional<int64_t>(1'700'000'000));
  CHECK(h.of(IngestListener::kGraphiteUdp).lines == 1);
}

TEST_CASE("rejected lines are counted by reason and their neighbours still arrive") {
  Harness h;
  h.stream(IngestListener::kStatTcp,
           {"good.one 1\nbad 1 2 3 4\n..dots 1\nnot.a.number x\n@reserved line\n\n   \n#\nok 2\n"
            "bad^^a^..b 1\n"});
  CHECK(h.sink.names() == Names{"good.one", "ok"});
  const IngestListener l = IngestListener::kStatTcp;
  CHECK(h.of(l).lines == 10);
  CHECK(h.rejected(l, RejectReason::kBadFieldCount) == 1);
  CHECK(h.rejected(l, RejectReason::kEmptyPathComponent) == 2);  // a bad fan-out stores nothing
  CHECK(h.rejected(l, RejectReason::kBadValue) == 1);
  CHECK(h.rejected(l, RejectReason::kBadMeta) == 1);
  CHECK(h.of(l).reserved_lines == 1);

  h.stream(IngestListener::kGraphiteTcp, {"a;tag=1 1\nfine 1\n"});
  CHECK(h.rejected(IngestListener::kGraphiteTcp, RejectReason::kTaggedName) == 1);
  CHECK(h.sink.names().back() == "fine");
}

TEST_CASE("a too-long line is rejected once, in one buffer or across several") {
  const std::string too_long(kLineBytesMax + 1, 'x');
  Harness h;
  h.stream(IngestListener::kStatTcp, {"a 1\n" + too_long + " 1\nb 2\n"});
  CHECK(h.sink.names() == Names{"a", "b"});
  CHECK(h.rejected(IngestListener::kStatTcp, RejectReason::kLineTooLong) == 1);
  CHECK(h.of(IngestListener::kStatTcp).lines == 2);  // framing rejections are not lines

  h.stream(IngestListener::kStatTcp, {"c 1\nxx", too_long, too_long, " 1\nd 2\n"});
  CHECK(h.sink.names() == Names{"a", "b", "c", "d"});
  CHECK(h.rejected(IngestListener::kStatTcp, RejectReason::kLineTooLong) == 2);

  // The longest line accepted is kLineBytesMax bytes, and its CRLF does not count.
  std::string longest = "n " + std::string(kLineBytesMax - 2, '1');
  h.stream(IngestListener::kStatTcp, {longest.substr(0, 100), longest.substr(100) + "\r\n"});
  CHECK(h.rejected(IngestListener::kStatTcp, RejectReason::kLineTooLong) == 2);
  CHECK(h.of(IngestListener::kStatTcp).lines == 5);
}

TEST_CASE("CRLF line endings are accepted, even with the CR and LF in different buffers") {
  Harness h;
  h.stream(IngestListener::kStatTcp, {"a 1\r\nb 2\r", "\nc 3\r\n"});
  CHECK(h.sink.names() == Names{"a", "b", "c"});
  CHECK(h.sink.taken[1].bucket.sum == 2);
  CHECK(h.rejected(IngestListener::kStatTcp, RejectReason::kBadValue) == 0);
  h.stream(IngestListener::kGraphiteTcp, {"g 1 1700000000\r\n"});
  CHECK(h.sink.taken.back().time == std::optional<int64_t>(1'700'000'000));
}

TEST_CASE("a released connection gives its carry buffer back for the next one") {
  Harness h(1);
  const IngestListener l = IngestListener::kStatTcp;
  LineSplitter first;
  LineSplitter second;
  h.pipeline.feed_stream(l, first, nullptr, "a 1\npart", h.sink);  // holds the only carry
  h.pipeline.feed_stream(l, second, nullptr, "b 2\nlost 1", h.sink);
  CHECK(h.rejected(l, RejectReason::kCarryExhausted) == 1);
  h.pipeline.release_stream(first);  // closed abnormally: "part" is dropped, not delivered
  CHECK_FALSE(first.has_partial_line());
  h.pipeline.feed_stream(l, second, nullptr, "\nc 3\nd", h.sink);
  h.pipeline.feed_stream(l, second, nullptr, " 4", h.sink);
  CHECK(second.has_partial_line());
  h.pipeline.finish_stream(l, second, nullptr, h.sink);
  CHECK(h.sink.names() == Names{"a", "b", "c", "d"});
  CHECK(h.rejected(l, RejectReason::kCarryExhausted) == 1);
  CHECK(h.of(l).lines == 4);
}

}  // namespace
}  // namespace ringstat
