#include <doctest/doctest.h>

#include <cerrno>
#include <cstdlib>
#include <vector>

#include "engine/sim/sim_page_store.h"

namespace ringstat {
namespace {

struct Recorder : IoCompletionSink {
  std::vector<std::pair<uint64_t, int>> completions;
  void on_io_complete(uint64_t tag, int result) override { completions.emplace_back(tag, result); }
};

struct Block {
  Block() : data(static_cast<std::byte*>(std::aligned_alloc(kStoreBlockBytes, kStoreBlockBytes))) {}
  ~Block() { std::free(data); }
  std::span<std::byte> span() { return {data, kStoreBlockBytes}; }
  std::byte* data;
};

TEST_CASE("sim store: nothing completes inside the submitting call") {
  SimPageStore store(1, SimFaults{});
  Recorder recorder;
  store.set_completion_sink(&recorder);
  store.grow(StoreFile::kPages, 4, 1);
  CHECK(recorder.completions.empty());
  CHECK(store.deliver_all() == 1);
  CHECK(recorder.completions.size() == 1);
  CHECK(store.block_count(StoreFile::kPages) == 4);
}

TEST_CASE("sim store: a synced write survives a crash, an unsynced one may not") {
  SimPageStore store(3, SimFaults{0, 0, false, 1 << 20});
  Recorder recorder;
  store.set_completion_sink(&recorder);
  store.grow(StoreFile::kWal, 2, 0);
  store.deliver_all();
  Block block;
  std::fill(block.span().begin(), block.span().end(), std::byte{7});
  store.write(StoreFile::kWal, 0, block.span(), 1);
  store.deliver_all();
  store.sync(StoreFile::kWal, 2);
  store.deliver_all();
  CHECK(store.durable_bytes(StoreFile::kWal)[100] == std::byte{7});
  std::fill(block.span().begin(), block.span().end(), std::byte{9});
  store.write(StoreFile::kWal, 1, block.span(), 3);
  store.deliver_all();
  CHECK(store.durable_bytes(StoreFile::kWal)[kStoreBlockBytes] == std::byte{0});
  store.crash();
  CHECK(store.durable_bytes(StoreFile::kWal)[100] == std::byte{7});
  const SimStats& stats = store.stats();
  CHECK(stats.crash_kept_writes + stats.crash_lost_writes + stats.crash_torn_writes == 1);
}

TEST_CASE("sim store: a sync covers only writes completed before it was called") {
  SimPageStore store(5, SimFaults{0, 0, false, 1 << 20});
  Recorder recorder;
  store.set_completion_sink(&recorder);
  store.grow(StoreFile::kWal, 1, 0);
  store.deliver_all();
  Block block;
  std::fill(block.span().begin(), block.span().end(), std::byte{3});
  store.write(StoreFile::kWal, 0, block.span(), 1);
  store.sync(StoreFile::kWal, 2);  // called while the write is still in flight
  store.deliver_all();
  CHECK(store.durable_bytes(StoreFile::kWal)[0] == std::byte{0});
}

TEST_CASE("sim store: growing beyond capacity fails with ENOSPC") {
  SimPageStore store(1, SimFaults{0, 0, false, 10});
  Recorder recorder;
  store.set_completion_sink(&recorder);
  store.grow(StoreFile::kPages, 11, 9);
  store.deliver_all();
  REQUIRE(recorder.completions.size() == 1);
  CHECK(recorder.completions[0].second == -ENOSPC);
  CHECK(store.block_count(StoreFile::kPages) == 0);
}

TEST_CASE("sim store: injected write errors change nothing") {
  SimPageStore store(1, SimFaults{1.0, 0, false, 1 << 20});
  Recorder recorder;
  store.set_completion_sink(&recorder);
  store.grow(StoreFile::kPages, 1, 0);
  store.deliver_all();
  Block block;
  std::fill(block.span().begin(), block.span().end(), std::byte{1});
  store.write(StoreFile::kPages, 0, block.span(), 1);
  store.deliver_all();
  CHECK(recorder.completions.back().second == -EIO);
  std::fill(block.span().begin(), block.span().end(), std::byte{5});
  store.read(StoreFile::kPages, 0, block.span(), 2);
  store.deliver_all();
  CHECK(block.span()[0] == std::byte{0});
}

}  // namespace
}  // namespace ringstat
