// IngestRouter without io_uring: two reactors' routers joined by real SPSC queues, shards on a
// SimPageStore. Pins Invariant 9 (docs/architecture.md): back-pressure never drops a sample and
// never blocks the reactor that parsed it; what waits keeps its order.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/ingest/counter_hash.h"
#include "net/daemon/ingest_router.h"
#include "shard_test_support.h"

namespace ringstat {
namespace {

using testing::kTestNow;

constexpr uint32_t kReactors = 2;
constexpr uint32_t kShards = 2;  // shard s is owned by reactor s

// A reactor's share of the test: its shard, its counters and its router.
struct TestReactor {
  TestReactor(uint32_t index, ReactorQueues& queues, SimFaults faults)
      : store(index + 1, faults), clock(kTestNow), router(index, queues, counters) {
    ShardConfig config = testing::small_shard_config(testing::default_retention());
    config.counters_max = 4096;
    shard = std::make_unique<Shard>(config, store, clock);
    shard->start();
    store.deliver_all();
    REQUIRE(shard->ready());
    router.own_shard(index, *shard);
  }
  uint64_t accepted() const {
    uint64_t total = 0;
    for (const IngestCounters& c : counters) total += c.samples_accepted;
    return total;
  }

  SimPageStore store;
  ManualClock clock;
  IngestCountersByListener counters{};
  std::unique_ptr<Shard> shard;
  IngestRouter router;
};

// A name whose hash routes to `shard`, so a test can aim at a reactor.
std::string name_for_shard(uint32_t shard, int serial) {
  for (int attempt = 0;; ++attempt) {
    std::string name = "c" + std::to_string(serial) + "." + std::to_string(attempt);
    if (shard_of_hash(hash_counter_name(name), kShards) == shard) return name;
  }
}

IngestSample sample_named(const std::string& name, double value) {
  return IngestSample{.name = name,
                      .hash = hash_counter_name(name),
                      .time = kTestNow,
                      .bucket = Bucket::of_value(value)};
}

// Samples per queue slot times slots: what one reactor can have in flight to another before
// its samples spill.
constexpr size_t kQueueCapacitySamples = kRemoteBatchSlots * IngestBatch::kSamplesMax;

TEST_CASE("samples for another reactor spill in order when its queue is full, and all arrive") {
  ReactorQueues queues(kReactors);
  TestReactor sender(0, queues, SimFaults{0, 0, false, 1 << 20});
  TestReactor owner(1, queues, SimFaults{0, 0, false, 1 << 20});

  // More than the queue holds, to counters owned by reactor 1; the owner does not drain yet.
  const size_t total = kQueueCapacitySamples + 3000;
  std::vector<std::string> names;
  for (size_t i = 0; i < 1000; ++i) names.push_back(name_for_shard(1, static_cast<int>(i)));
  for (size_t i = 0; i < total; ++i) {
    // Never blocks: take() returns whether or not the sample could move on.
    sender.router.take(sample_named(names[i % names.size()], static_cast<double>(i)), 1,
                       IngestListener::kGraphiteTcp);
  }
  sender.router.hand_on();
  CHECK(sender.router.blocked());  // the reactor must hold its receive buffers now
  CHECK_FALSE(sender.router.spills_empty());
  CHECK(sender.router.take_doorbell(1));
  CHECK_FALSE(sender.router.take_doorbell(1));  // one doorbell per hand-over
  CHECK(sender.router.batches_sent() == kRemoteBatchSlots);

  // Both loops go on: the owner applies what is queued (its shard may congest for a while, and
  // commits and ticks as a reactor does), the sender hands on its spill into the freed slots.
  auto owner_pass = [&] {
    const bool drained = owner.router.drain_inbound();
    owner.shard->commit();
    owner.store.deliver_all();
    owner.shard->tick();
    owner.store.deliver_all();
    return drained;
  };
  for (int round = 0; round < 1000 && !sender.router.spills_empty(); ++round) {
    owner_pass();
    sender.router.hand_on();
  }
  for (int round = 0; round < 1000 && !owner_pass(); ++round) {
  }
  CHECK(sender.router.spills_empty());
  CHECK_FALSE(sender.router.blocked());
  CHECK(owner.accepted() == total);  // nothing dropped, nothing applied twice
  CHECK(owner.counters[static_cast<size_t>(IngestListener::kGraphiteTcp)].samples_accepted ==
        total);
  CHECK(sender.accepted() == 0);
  CHECK(owner.router.batches_received() == sender.router.batches_sent());
}

TEST_CASE("samples reach the owning reactor's queue exactly once and in the order taken") {
  ReactorQueues queues(kReactors);
  TestReactor sender(0, queues, SimFaults{0, 0, false, 1 << 20});
  const std::string name = name_for_shard(1, 3);
  const size_t total = 3 * kQueueCapacitySamples + 17;
  std::vector<double> received;
  auto consume_queue = [&] {  // the owner's side, by hand: read every published slot
    auto& queue = queues.data(0, 1);
    while (RemoteBatch* slot = queue.consumer_peek()) {
      for (const IngestSample& sample : slot->batch.samples()) {
        CHECK(sample.name == name);
        received.push_back(sample.bucket.sum);
      }
      queue.consumer_release();
    }
  };
  for (size_t i = 0; i < total; ++i) {
    sender.router.take(sample_named(name, static_cast<double>(i)), 1, IngestListener::kStatTcp);
    if (i % 5000 == 0) consume_queue();  // the owner drains now and then, mid-stream
  }
  for (int round = 0; round < 10 && !sender.router.spills_empty(); ++round) {
    sender.router.hand_on();
    consume_queue();
  }
  sender.router.hand_on();
  consume_queue();
  REQUIRE(received.size() == total);
  for (size_t i = 0; i < total; ++i) {
    if (received[i] != static_cast<double>(i)) {
      FAIL("sample " << i << " arrived as " << received[i]);
    }
  }
}

TEST_CASE("a spill keeps later samples behind it even when a slot frees up") {
  ReactorQueues queues(kReactors);
  TestReactor sender(0, queues, SimFaults{0, 0, false, 1 << 20});
  TestReactor owner(1, queues, SimFaults{0, 0, false, 1 << 20});
  const std::string name = name_for_shard(1, 7);
  for (size_t i = 0; i < kQueueCapacitySamples + 1; ++i) {
    sender.router.take(sample_named(name, 1), 1, IngestListener::kStatTcp);
  }
  REQUIRE_FALSE(sender.router.spills_empty());
  const std::vector<uint64_t> mark = sender.router.spill_marks();
  // One slot frees up: a new sample must not overtake the spilled one.
  owner.router.drain_inbound();
  owner.store.deliver_all();
  sender.router.take(sample_named(name, 2), 1, IngestListener::kStatTcp);
  CHECK_FALSE(sender.router.handed_on_through(mark));
  sender.router.hand_on();
  CHECK(sender.router.handed_on_through(mark));  // the flush barrier's position is passed
  CHECK(sender.router.spills_empty());
}

TEST_CASE("a congested local shard blocks intake and leaves inbound batches queued") {
  ReactorQueues queues(kReactors);
  TestReactor sender(0, queues, SimFaults{0, 0, false, 1 << 20});
  TestReactor owner(1, queues, SimFaults{0, 0, false, 1 << 20});
  // Owner's shard: its log writes are not completed, so its WAL fills and it congests.
  const std::string local_name = name_for_shard(1, 1);
  int sent_local = 0;
  for (; sent_local < 200000 && !owner.shard->congested(); ++sent_local) {
    owner.router.take(sample_named(local_name + std::to_string(sent_local % 50), 1), 1,
                      IngestListener::kStatUdp);
    owner.router.apply_local();
    owner.shard->commit();
  }
  REQUIRE(owner.shard->congested());
  CHECK(owner.router.blocked());

  // A batch from the other reactor waits in the queue while the shard is congested.
  sender.router.take(sample_named(name_for_shard(1, 2), 5), 1, IngestListener::kStatTcp);
  sender.router.hand_on();
  CHECK_FALSE(owner.router.drain_inbound());
  CHECK(owner.router.batches_received() == 0);

  // The disk catches up: the batch is applied, nothing was lost.
  for (int round = 0; round < 1000 && owner.shard->congested(); ++round) {
    owner.store.deliver_all();
    owner.shard->tick();
  }
  REQUIRE_FALSE(owner.shard->congested());
  CHECK(owner.router.drain_inbound());
  owner.store.deliver_all();
  CHECK(owner.router.batches_received() == 1);
  CHECK(owner.counters[static_cast<size_t>(IngestListener::kStatTcp)].samples_accepted == 1);
  CHECK(owner.counters[static_cast<size_t>(IngestListener::kStatUdp)].samples_accepted ==
        static_cast<uint64_t>(sent_local));
  CHECK_FALSE(owner.router.blocked());
}

}  // namespace
}  // namespace ringstat
