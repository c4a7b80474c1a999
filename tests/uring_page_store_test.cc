// UringPageStore on real files under fresh temporary directories: every operation round-trips,
// O_DIRECT where the filesystem has it and buffered where asked or where it does not (tmpfs),
// completions exactly once (linked grows, a full op table), short transfers as -EIO, fixed files
// and buffers, and a real Shard that stops, reopens on a new ring and finds every bucket.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/store/counter_table.h"
#include "engine/store/shard.h"
#include "net/uring/io_user_data.h"
#include "net/uring/ring.h"
#include "net/uring/uring_page_store.h"
#include "tests/shard_test_support.h"

namespace ringstat {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr int kRoundsMax = 2000;  // bounds a test that would otherwise hang

// A fresh directory, removed with everything in it at the end. /var/tmp is disk-backed by
// convention (unlike /tmp on some systems), so O_DIRECT is expected to work there.
class TempDir {
 public:
  explicit TempDir(const std::string& parent = "/var/tmp") {
    std::string pattern = parent + "/ringstat-uring-XXXXXX";
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path_ = fs::canonical(pattern).string();
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }
  std::string shard() const { return path_ + "/shard0"; }

 private:
  std::string path_;
};

class Blocks {
 public:
  explicit Blocks(size_t count)
      : bytes_(count * kStoreBlockBytes),
        memory_(static_cast<std::byte*>(std::aligned_alloc(kStoreBlockBytes, bytes_)), &std::free) {
    std::memset(memory_.get(), 0, bytes_);
  }
  std::span<std::byte> span() { return {memory_.get(), bytes_}; }
  std::span<std::byte> block(size_t index) {
    return {memory_.get() + index * kStoreBlockBytes, kStoreBlockBytes};
  }
  void fill(uint8_t seed) {
    for (size_t i = 0; i < bytes_; ++i)
      memory_.get()[i] = std::byte(static_cast<uint8_t>(seed + i * 7));
  }
  bool operator==(const Blocks& other) const {
    return bytes_ == other.bytes_ && std::memcmp(memory_.get(), other.memory_.get(), bytes_) == 0;
  }

 private:
  size_t bytes_;
  std::unique_ptr<std::byte, decltype(&std::free)> memory_;
};

struct Recorder final : IoCompletionSink {
  void on_io_complete(uint64_t tag, int result) override { done.emplace_back(tag, result); }
  size_t count(uint64_t tag) const {
    return static_cast<size_t>(std::count_if(
        done.begin(), done.end(), [&](const auto& entry) { return entry.first == tag; }));
  }
  std::optional<int> result(uint64_t tag) const {
    for (const auto& [t, r] : done) {
      if (t == tag) return r;
    }
    return std::nullopt;
  }
  std::vector<std::pair<uint64_t, int>> done;
};

std::unique_ptr<Ring> make_ring(RingOptions options = {}) {
  auto ring = Ring::create(options);
  REQUIRE_MESSAGE(ring.ok(), (ring.ok() ? "" : ring.error()));
  return std::move(ring.value());
}

std::unique_ptr<UringPageStore> open_store(
    Ring& ring, const std::string& directory, DirectIoMode mode = DirectIoMode::kAuto,
    uint16_t index = 0, uint32_t in_flight_max = UringPageStore::kDefaultMaxInFlight) {
  auto store = UringPageStore::open(ring, directory, mode, index, in_flight_max);
  REQUIRE_MESSAGE(store.ok(), (store.ok() ? "" : store.error()));
  return std::move(store.value());
}

// The reactor's job in miniature: submit, wait, and route kStore CQEs to their store.
class Loop {
 public:
  explicit Loop(Ring& ring) : ring_(ring) {}
  void add(UringPageStore& store) { stores_.push_back(&store); }
  void pass(std::chrono::microseconds timeout) {
    REQUIRE(ring_.submit_and_wait(timeout) >= 0);
    ring_.drain([&](const io_uring_cqe& cqe) {
      const DecodedUserData decoded = decode_user_data(cqe.user_data);
      REQUIRE(decoded.owner == IoOwner::kStore);
      for (UringPageStore* store : stores_) {
        if (store->store_index() == decoded.index) return store->complete(cqe.user_data, cqe.res);
      }
      FAIL("a CQE for an unknown store");
    });
  }
  template <class Done>
  bool run_until(Done done) {
    for (int round = 0; round < kRoundsMax && !done(); ++round) pass(20ms);
    return done();
  }
  bool idle() {
    return run_until([&] {
      return std::all_of(stores_.begin(), stores_.end(),
                         [](UringPageStore* store) { return store->in_flight() == 0; });
    });
  }

 private:
  Ring& ring_;
  std::vector<UringPageStore*> stores_;
};

// Whether this process has `path` open with O_DIRECT (from /proc/self/fdinfo).
std::optional<bool> opened_with_direct_io(const std::string& path) {
  for (const auto& entry : fs::directory_iterator("/proc/self/fd")) {
    std::error_code error;
    if (fs::read_symlink(entry.path(), error) != path || error) continue;
    std::ifstream info("/proc/self/fdinfo/" + entry.path().filename().string());
    std::string key;
    while (info >> key) {
      if (key != "flags:") continue;
      std::string octal;
      info >> octal;
      return (std::stoul(octal, nullptr, 8) & O_DIRECT) != 0;
    }
  }
  return std::nullopt;
}

// One store in a fresh directory on its own ring, with a recording sink and a loop.
struct StoreFixture {
  explicit StoreFixture(DirectIoMode mode = DirectIoMode::kAuto, RingOptions options = {},
                        uint32_t in_flight_max = UringPageStore::kDefaultMaxInFlight,
                        const std::string& parent = "/var/tmp")
      : dir(parent),
        ring(make_ring(options)),
        store(open_store(*ring, dir.shard(), mode, 0, in_flight_max)),
        loop(*ring) {
    store->set_completion_sink(&recorder);
    loop.add(*store);
  }
  // Waits for the completion of `tag` and returns its result.
  int wait(uint64_t tag) {
    REQUIRE(loop.run_until([&] { return recorder.count(tag) == 1; }));
    return *recorder.result(tag);
  }
  void grow(StoreFile file, uint64_t blocks, uint64_t tag) {
    store->grow(file, blocks, tag);
    REQUIRE(wait(tag) == 0);
  }
  std::string path(StoreFile file) const {
    return dir.shard() + "/" + std::string(store_file_name(file));
  }

  TempDir dir;
  std::unique_ptr<Ring> ring;
  std::unique_ptr<UringPageStore> store;
  Recorder recorder;
  Loop loop;
};

TEST_CASE("open creates the five empty files of a fresh shard directory, with O_DIRECT on disk") {
  StoreFixture f;
  CHECK(f.store->direct_io());
  CHECK(f.store->direct_io_note().empty());
  for (size_t i = 0; i < kStoreFileCount; ++i) {
    const auto file = static_cast<StoreFile>(i);
    CHECK(fs::is_regular_file(f.path(file)));
    CHECK(f.store->block_count(file) == 0);
    CHECK(opened_with_direct_io(f.path(file)) == true);
  }
  CHECK(f.store->in_flight() == 0);
}

TEST_CASE("grow sizes a file when its completion arrives, durably allocated, never shrinking") {
  StoreFixture f;
  f.store->grow(StoreFile::kPages, 8, 1);
  CHECK(f.store->block_count(StoreFile::kPages) == 0);  // not before the completion
  CHECK(f.recorder.done.empty());                       // never from inside the call
  CHECK(f.store->in_flight() == 1);
  CHECK(f.wait(1) == 0);
  CHECK(f.store->block_count(StoreFile::kPages) == 8);
  struct stat info {};
  REQUIRE(stat(f.path(StoreFile::kPages).c_str(), &info) == 0);
  CHECK(info.st_size == 8 * 4096);
  CHECK(info.st_blocks * 512 >= 8 * 4096);  // allocated, not a sparse hole

  f.store->grow(StoreFile::kPages, 4, 2);
  CHECK(f.recorder.done.size() == 1);
  CHECK(f.wait(2) == 0);
  CHECK(f.store->block_count(StoreFile::kPages) == 8);
  REQUIRE(stat(f.path(StoreFile::kPages).c_str(), &info) == 0);
  CHECK(info.st_size == 8 * 4096);
  CHECK(f.store->stats().grows == 2);
  CHECK(f.loop.idle());
}

TEST_CASE("a multi-block write, a sync and a read round-trip through O_DIRECT") {
  StoreFixture f;
  f.grow(StoreFile::kWal, 16, 1);
  Blocks written(3);
  written.fill(11);
  f.store->write(StoreFile::kWal, 5, written.span(), 2);
  CHECK(f.wait(2) == 0);
  f.store->sync(StoreFile::kWal, 3);
  CHECK(f.wait(3) == 0);
  Blocks read_back(3);
  f.store->read(StoreFile::kWal, 5, read_back.span(), 4);
  CHECK(f.wait(4) == 0);
  CHECK(read_back == written);

  Blocks untouched(1);
  untouched.fill(1);
  f.store->read(StoreFile::kWal, 4, untouched.span(), 5);
  CHECK(f.wait(5) == 0);
  CHECK(untouched == Blocks(1));  // preallocated space reads as zeros
  CHECK(f.store->stats().reads == 2);
  CHECK(f.store->stats().writes == 1);
  CHECK(f.store->stats().syncs == 1);
  CHECK(f.store->stats().errors == 0);
}

TEST_CASE("many requests in flight each complete exactly once with their own tag") {
  StoreFixture f;
  f.grow(StoreFile::kPages, 64, 1000);
  Blocks data(64);
  data.fill(3);
  for (uint64_t i = 0; i < 64; ++i) f.store->write(StoreFile::kPages, i, data.block(i), i);
  f.store->sync(StoreFile::kPages, 500);
  f.store->sync(StoreFile::kSuper, 501);
  CHECK(f.store->in_flight() == 66);
  REQUIRE(f.loop.idle());
  CHECK(f.recorder.done.size() == 67);
  for (uint64_t i = 0; i < 64; ++i) CHECK(f.recorder.count(i) == 1);
  CHECK(f.recorder.count(500) == 1);
  CHECK(f.recorder.count(501) == 1);
  for (const auto& entry : f.recorder.done) CHECK(entry.second == 0);
  Blocks read_back(64);
  f.store->read(StoreFile::kPages, 0, read_back.span(), 600);
  CHECK(f.wait(600) == 0);
  CHECK(read_back == data);
}

TEST_CASE("a full op table queues requests, starts them in order and completes each once") {
  StoreFixture f(DirectIoMode::kAuto, {}, 2);
  f.grow(StoreFile::kPages, 10, 1000);
  Blocks data(10);
  data.fill(5);
  for (uint64_t i = 0; i < 10; ++i) f.store->write(StoreFile::kPages, i, data.block(i), i);
  CHECK(f.store->in_flight() == 10);
  CHECK(f.store->stats().deferred == 8);
  REQUIRE(f.loop.idle());
  for (uint64_t i = 0; i < 10; ++i) CHECK(f.recorder.result(i) == 0);
  CHECK(f.recorder.done.size() == 11);
  Blocks read_back(10);
  f.store->read(StoreFile::kPages, 0, read_back.span(), 100);
  CHECK(f.wait(100) == 0);
  CHECK(read_back == data);
}

TEST_CASE("--direct-io=off opens every file buffered and still round-trips") {
  StoreFixture f(DirectIoMode::kOff);
  CHECK_FALSE(f.store->direct_io());
  CHECK(f.store->direct_io_note().empty());
  CHECK(opened_with_direct_io(f.path(StoreFile::kWal)) == false);
  f.grow(StoreFile::kWal, 4, 1);
  Blocks data(2);
  data.fill(9);
  f.store->write(StoreFile::kWal, 2, data.span(), 2);
  f.store->sync(StoreFile::kWal, 3);
  REQUIRE(f.loop.idle());
  CHECK(f.recorder.result(2) == 0);
  CHECK(f.recorder.result(3) == 0);
  Blocks read_back(2);
  f.store->read(StoreFile::kWal, 2, read_back.span(), 4);
  CHECK(f.wait(4) == 0);
  CHECK(read_back == data);
}

TEST_CASE("--direct-io=on on tmpfs fails naming the directory; auto falls back and says why") {
  if (!fs::is_directory("/dev/shm")) return;
  {
    TempDir dir("/dev/shm");
    auto ring = make_ring();
    auto refused = UringPageStore::open(*ring, dir.shard(), DirectIoMode::kOn, 0);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().find(dir.shard()) != std::string::npos);
    CHECK(refused.error().find("--direct-io=on") != std::string::npos);
    CHECK(refused.error().find("tmpfs") != std::string::npos);
  }
  StoreFixture f(DirectIoMode::kAuto, {}, UringPageStore::kDefaultMaxInFlight, "/dev/shm");
  CHECK_FALSE(f.store->direct_io());
  CHECK(f.store->direct_io_note().find(f.dir.shard()) != std::string::npos);
  CHECK(f.store->direct_io_note().find("buffered") != std::string::npos);
  CHECK(opened_with_direct_io(f.path(StoreFile::kPages)) == false);
  f.grow(StoreFile::kPages, 2, 1);
  Blocks data(1);
  data.fill(21);
  f.store->write(StoreFile::kPages, 1, data.span(), 2);
  f.store->sync(StoreFile::kPages, 3);
  REQUIRE(f.loop.idle());
  Blocks read_back(1);
  f.store->read(StoreFile::kPages, 1, read_back.span(), 4);
  CHECK(f.wait(4) == 0);
  CHECK(read_back == data);
}

TEST_CASE("direct_io_problem accepts a disk filesystem and names tmpfs") {
  TempDir disk;
  const int disk_fd = ::open(disk.path().c_str(), O_RDONLY | O_DIRECTORY);
  REQUIRE(disk_fd >= 0);
  CHECK(direct_io_problem(disk_fd).empty());
  ::close(disk_fd);
  if (!fs::is_directory("/dev/shm")) return;
  const int shm_fd = ::open("/dev/shm", O_RDONLY | O_DIRECTORY);
  REQUIRE(shm_fd >= 0);
  CHECK(direct_io_problem(shm_fd).find("tmpfs") != std::string::npos);
  ::close(shm_fd);
}

TEST_CASE("reopening a store on a new ring finds the sizes and bytes written before") {
  StoreFixture f;
  Blocks data(2);
  data.fill(77);
  f.grow(StoreFile::kCheckpoint1, 6, 1);
  f.store->write(StoreFile::kCheckpoint1, 4, data.span(), 2);
  f.store->sync(StoreFile::kCheckpoint1, 3);
  REQUIRE(f.loop.idle());
  f.store.reset();

  auto ring = make_ring();
  auto store = open_store(*ring, f.dir.shard(), DirectIoMode::kAuto, 7);
  CHECK(store->block_count(StoreFile::kCheckpoint1) == 6);
  CHECK(store->block_count(StoreFile::kCheckpoint0) == 0);
  Recorder recorder;
  store->set_completion_sink(&recorder);
  Loop loop(*ring);
  loop.add(*store);
  Blocks read_back(2);
  store->read(StoreFile::kCheckpoint1, 4, read_back.span(), 1);
  REQUIRE(loop.run_until([&] { return recorder.count(1) == 1; }));
  CHECK(recorder.result(1) == 0);
  CHECK(read_back == data);
}

TEST_CASE("a short read from a file truncated behind the store's back is reported as -EIO") {
  StoreFixture f;
  f.grow(StoreFile::kPages, 4, 1);
  REQUIRE(truncate(f.path(StoreFile::kPages).c_str(), 4096) == 0);
  Blocks straddling(2);
  f.store->read(StoreFile::kPages, 0, straddling.span(), 2);  // half of it is gone
  Blocks beyond(1);
  f.store->read(StoreFile::kPages, 3, beyond.span(), 3);  // all of it is gone
  REQUIRE(f.loop.idle());
  CHECK(f.recorder.result(2) == -EIO);
  CHECK(f.recorder.result(3) == -EIO);
  CHECK(f.store->stats().short_transfers == 2);
  CHECK(f.store->stats().errors == 2);
}

TEST_CASE("a failing fallocate completes the grow once with its own error, not -ECANCELED") {
  StoreFixture f;
  // 4 PiB: past ext4's largest file, so fallocate fails and its linked fdatasync is cancelled.
  f.store->grow(StoreFile::kPages, uint64_t{1} << 40, 1);
  REQUIRE(f.loop.idle());
  REQUIRE(f.recorder.done.size() == 1);
  const int result = *f.recorder.result(1);
  CHECK(result < 0);
  CHECK(result != -ECANCELED);
  CHECK(f.store->block_count(StoreFile::kPages) == 0);
  CHECK(f.store->stats().errors == 1);
  f.grow(StoreFile::kPages, 2, 2);  // the store carries on
  CHECK(f.store->block_count(StoreFile::kPages) == 2);
}

TEST_CASE("registered pool buffers go through read/write_fixed, other buffers through plain I/O") {
  StoreFixture f;
  f.grow(StoreFile::kPages, 4, 1);
  Blocks pool(4);
  REQUIRE(f.store->register_buffers(pool.span()).ok());
  pool.fill(33);
  f.store->write(StoreFile::kPages, 0, pool.block(1), 2);
  CHECK(f.wait(2) == 0);
  CHECK(f.store->stats().fixed_buffer_ops == 1);

  Blocks outside(1);
  f.store->read(StoreFile::kPages, 0, outside.span(), 3);
  CHECK(f.wait(3) == 0);
  CHECK(f.store->stats().fixed_buffer_ops == 1);
  CHECK(std::memcmp(outside.span().data(), pool.block(1).data(), kStoreBlockBytes) == 0);

  f.store->read(StoreFile::kPages, 0, pool.block(3), 4);
  CHECK(f.wait(4) == 0);
  CHECK(f.store->stats().fixed_buffer_ops == 2);
  CHECK(std::memcmp(pool.block(3).data(), pool.block(1).data(), kStoreBlockBytes) == 0);
}

TEST_CASE("without a fixed-buffer table registration fails and the store keeps working") {
  RingOptions options;
  options.buffer_slots = 0;
  StoreFixture f(DirectIoMode::kAuto, options);
  Blocks pool(2);
  const Status status = f.store->register_buffers(pool.span());
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().find(f.dir.shard()) != std::string::npos);
  f.grow(StoreFile::kSuper, 2, 1);
  pool.fill(8);
  f.store->write(StoreFile::kSuper, 1, pool.block(0), 2);
  CHECK(f.wait(2) == 0);
  CHECK(f.store->stats().fixed_buffer_ops == 0);
}

TEST_CASE("store files take reserved fixed-file slots and give them back on close") {
  RingOptions options;
  options.file_slots = 64;
  options.reserved_file_slots = 5;
  StoreFixture f(DirectIoMode::kAuto, options);
  int pipe_fds[2];
  REQUIRE(pipe(pipe_fds) == 0);
  CHECK_FALSE(f.ring->install_file(pipe_fds[0]).has_value());  // all five are the store's
  f.store.reset();
  const auto slot = f.ring->install_file(pipe_fds[0]);
  CHECK(slot.has_value());
  if (slot) f.ring->remove_file(*slot);
  close(pipe_fds[0]);
  close(pipe_fds[1]);
}

TEST_CASE("a store on a ring without a file table falls back to plain fds") {
  RingOptions options;
  options.file_slots = 0;
  StoreFixture f(DirectIoMode::kAuto, options);
  f.grow(StoreFile::kWal, 2, 1);
  Blocks data(1);
  data.fill(4);
  f.store->write(StoreFile::kWal, 1, data.span(), 2);
  CHECK(f.wait(2) == 0);
  Blocks read_back(1);
  f.store->read(StoreFile::kWal, 1, read_back.span(), 3);
  CHECK(f.wait(3) == 0);
  CHECK(read_back == data);
}

// Drives a Shard on the io_uring store the way the reactor will: ticks between loop passes.
bool run_shard_until(Loop& loop, Shard& shard, const std::function<bool()>& done) {
  for (int round = 0; round < kRoundsMax && !done(); ++round) {
    loop.pass(5ms);
    shard.tick();
  }
  return done();
}

LevelRead read_level(Loop& loop, Shard& shard, const std::string& name, size_t level) {
  std::optional<LevelRead> result;
  shard.read_level(name, CounterTable::hash_name(name), level, INT64_MIN / 4, INT64_MAX / 4,
                   [&](LevelRead read) { result = std::move(read); });
  REQUIRE(loop.run_until([&] { return result.has_value(); }));
  return std::move(*result);
}

TEST_CASE("a shard on the io_uring store keeps every bucket across a stop and a new ring") {
  TempDir dir;
  const ShardConfig config = testing::small_shard_config(testing::default_retention());
  constexpr int64_t kSamples = 600;  // 10 s apart: 100 minutes, several pages per counter
  ManualClock clock(testing::kTestNow + 10 * kSamples);
  const std::vector<std::string> names = {"web.latency", "cpu.idle.web13", "disk.used"};
  std::map<std::pair<std::string, size_t>, LevelRead> before;
  {
    auto ring = make_ring();
    auto store = open_store(*ring, dir.shard());
    Loop loop(*ring);
    loop.add(*store);
    Shard shard(config, *store, clock);
    REQUIRE(store->register_buffers(shard.io_buffer_memory()).ok());
    shard.start();
    REQUIRE(run_shard_until(loop, shard,
                            [&] { return shard.ready() || !shard.start_error().empty(); }));
    REQUIRE_MESSAGE(shard.ready(), shard.start_error());
    for (int64_t i = 0; i < kSamples; ++i) {
      for (size_t n = 0; n < names.size(); ++n) {
        const double value = static_cast<double>(i * 3 + static_cast<int64_t>(n));
        const auto rejected = shard.add_sample({.name = names[n],
                                                .hash = CounterTable::hash_name(names[n]),
                                                .time = testing::kTestNow + 10 * i,
                                                .bucket = Bucket::of_value(value)});
        REQUIRE_FALSE(rejected.has_value());
      }
      if (i % 50 == 49) loop.pass(0us);
    }
    bool flushed = false;
    shard.flush_all([&] { flushed = true; });
    REQUIRE(run_shard_until(loop, shard, [&] { return flushed; }));
    CHECK(shard.stats().page_writes > 0);
    CHECK(store->stats().fixed_buffer_ops > 0);
    CHECK(store->stats().errors == 0);
    for (const std::string& name : names) {
      for (size_t level = 0; level < 3; ++level) {
        before[{name, level}] = read_level(loop, shard, name, level);
      }
    }
    CHECK(before[{"web.latency", 0}].buckets.size() == kSamples);
    CHECK(before[{"web.latency", 1}].buckets.size() == kSamples * 10 / 300);
    REQUIRE(run_shard_until(loop, shard, [&] { return shard.idle() && store->in_flight() == 0; }));
  }

  auto ring = make_ring();
  auto store = open_store(*ring, dir.shard(), DirectIoMode::kAuto, 3);
  Loop loop(*ring);
  loop.add(*store);
  Shard shard(config, *store, clock);  // this time with plain buffers
  shard.start();
  REQUIRE(
      run_shard_until(loop, shard, [&] { return shard.ready() || !shard.start_error().empty(); }));
  REQUIRE_MESSAGE(shard.ready(), shard.start_error());
  CHECK(shard.counter_count() == names.size());
  for (const std::string& name : names) {
    for (size_t level = 0; level < 3; ++level) {
      const LevelRead after = read_level(loop, shard, name, level);
      const LevelRead& expected = before[{name, level}];
      CHECK(after.status == LevelRead::Status::kOk);
      CHECK(after.corrupt_pages == 0);
      CHECK(after.buckets == expected.buckets);
    }
  }
  CHECK(shard.stats().page_reads > 0);  // the buckets came back from pages, not only the WAL
  CHECK(store->stats().errors == 0);
  CHECK(store->stats().fixed_buffer_ops == 0);
  REQUIRE(run_shard_until(loop, shard, [&] { return shard.idle() && store->in_flight() == 0; }));
}

}  // namespace
}  // namespace ringstat
