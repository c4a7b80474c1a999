#include "net/process/lock_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <climits>
#include <cstdlib>
#include <optional>
#include <string>

#include "tests/cmd_test_support.h"

namespace ringstat {
namespace {

using testing::read_file;
using testing::TempDir;
using testing::write_file;

std::string own_pid_line() { return std::to_string(getpid()) + "\n"; }

std::string in_use_message(const std::string& dir, const std::string& pid) {
  return "store " + dir + " is in use by another ringstat (pid " + pid + ")";
}

// The descriptor flags of this process's open descriptor for `path`, if there is one.
std::optional<int> descriptor_flags_of(const std::string& path) {
  DIR* const dir = opendir("/proc/self/fd");
  REQUIRE(dir != nullptr);
  std::optional<int> flags;
  while (const dirent* const entry = readdir(dir)) {
    const std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    char target[4096];
    const ssize_t bytes = readlink(("/proc/self/fd/" + name).c_str(), target, sizeof(target) - 1);
    if (bytes <= 0 || std::string(target, static_cast<size_t>(bytes)) != path) continue;
    flags = fcntl(std::stoi(name), F_GETFD);
  }
  closedir(dir);
  return flags;
}

TEST_CASE("acquiring a store's lock creates LOCK holding this process's pid") {
  const TempDir store;
  Result<LockFile> lock = LockFile::acquire(store.path());
  REQUIRE_MESSAGE(lock.ok(), lock.error());
  CHECK(lock.value().path() == store.file("LOCK"));
  CHECK(read_file(store.file("LOCK")) == own_pid_line());
}

TEST_CASE("a second acquire of a held store names the holder's pid") {
  const TempDir store;
  Result<LockFile> first = LockFile::acquire(store.path());
  REQUIRE(first.ok());
  // flock conflicts between two opens of the file even inside one process.
  const Result<LockFile> second = LockFile::acquire(store.path());
  REQUIRE_FALSE(second.ok());
  CHECK(second.error() == in_use_message(store.path(), std::to_string(getpid())));
  // The refused attempt left the holder's pid in place.
  CHECK(read_file(store.file("LOCK")) == own_pid_line());
}

TEST_CASE("a store directory given with a trailing slash locks the same file") {
  const TempDir store;
  Result<LockFile> first = LockFile::acquire(store.path() + "/");
  REQUIRE(first.ok());
  CHECK(first.value().path() == store.file("LOCK"));
  CHECK_FALSE(LockFile::acquire(store.path()).ok());
}

TEST_CASE("the lock is released when the LockFile is destroyed, and LOCK stays") {
  const TempDir store;
  {
    Result<LockFile> lock = LockFile::acquire(store.path());
    REQUIRE(lock.ok());
  }
  CHECK(access(store.file("LOCK").c_str(), F_OK) == 0);
  Result<LockFile> again = LockFile::acquire(store.path());
  CHECK(again.ok());
}

TEST_CASE("moving a LockFile keeps the lock held until the last owner goes") {
  const TempDir store;
  std::optional<LockFile> holder;
  {
    Result<LockFile> lock = LockFile::acquire(store.path());
    REQUIRE(lock.ok());
    holder.emplace(std::move(lock.value()));
  }
  CHECK_FALSE(LockFile::acquire(store.path()).ok());
  LockFile moved = std::move(*holder);
  holder.reset();
  CHECK_FALSE(LockFile::acquire(store.path()).ok());
  CHECK(moved.path() == store.file("LOCK"));
}

TEST_CASE("move assignment releases the lock the target held") {
  const TempDir first_store;
  const TempDir second_store;
  Result<LockFile> first = LockFile::acquire(first_store.path());
  Result<LockFile> second = LockFile::acquire(second_store.path());
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  first.value() = std::move(second.value());
  CHECK(LockFile::acquire(first_store.path()).ok());
  CHECK_FALSE(LockFile::acquire(second_store.path()).ok());
}

TEST_CASE("a stale LOCK left by a dead daemon does not block, and its pid is replaced") {
  const TempDir store;
  write_file(store.file("LOCK"), "4194303999\n");
  Result<LockFile> lock = LockFile::acquire(store.path());
  REQUIRE(lock.ok());
  CHECK(read_file(store.file("LOCK")) == own_pid_line());
}

TEST_CASE("a holder that has not written its pid yet is reported as pid unknown") {
  const TempDir store;
  const int fd = open(store.file("LOCK").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  REQUIRE(fd >= 0);
  REQUIRE(flock(fd, LOCK_EX | LOCK_NB) == 0);
  const Result<LockFile> empty = LockFile::acquire(store.path());
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.error() == in_use_message(store.path(), "unknown"));

  REQUIRE(pwrite(fd, "not a pid\n", 10, 0) == 10);
  const Result<LockFile> garbage = LockFile::acquire(store.path());
  REQUIRE_FALSE(garbage.ok());
  CHECK(garbage.error() == in_use_message(store.path(), "unknown"));
  close(fd);
  CHECK(LockFile::acquire(store.path()).ok());
}

TEST_CASE("another process holding the store is refused until it exits") {
  const TempDir store;
  int ready[2];
  int release[2];
  REQUIRE(pipe(ready) == 0);
  REQUIRE(pipe(release) == 0);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // The child holds the lock until the parent says go; _exit skips the test framework.
    Result<LockFile> lock = LockFile::acquire(store.path());
    const char status = lock.ok() ? 'y' : 'n';
    if (write(ready[1], &status, 1) != 1) _exit(2);
    char go = 0;
    if (read(release[0], &go, 1) != 1) _exit(3);
    _exit(0);
  }
  char status = 0;
  REQUIRE(read(ready[0], &status, 1) == 1);
  REQUIRE(status == 'y');
  const Result<LockFile> refused = LockFile::acquire(store.path());
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error() == in_use_message(store.path(), std::to_string(child)));
  REQUIRE(write(release[1], "g", 1) == 1);
  int child_status = 0;
  REQUIRE(waitpid(child, &child_status, 0) == child);
  CHECK(WIFEXITED(child_status));
  CHECK(WEXITSTATUS(child_status) == 0);
  for (int fd : {ready[0], ready[1], release[0], release[1]}) close(fd);
  // The kernel dropped the lock with the process, without any cleanup by it.
  Result<LockFile> after = LockFile::acquire(store.path());
  CHECK(after.ok());
}

TEST_CASE("a missing store directory is an error naming the lock path") {
  const TempDir parent;
  const std::string missing = parent.file("no-such-store");
  const Result<LockFile> lock = LockFile::acquire(missing);
  REQUIRE_FALSE(lock.ok());
  CHECK(lock.error().find(missing + "/LOCK") != std::string::npos);
  CHECK(lock.error().find("No such file or directory") != std::string::npos);
}

TEST_CASE("the lock descriptor is close-on-exec, so a spawned child never inherits the lock") {
  const TempDir store;
  Result<LockFile> lock = LockFile::acquire(store.path());
  REQUIRE(lock.ok());
  char resolved[4096];
  REQUIRE(realpath(store.file("LOCK").c_str(), resolved) != nullptr);
  const std::optional<int> flags = descriptor_flags_of(resolved);
  REQUIRE(flags.has_value());
  CHECK((*flags & FD_CLOEXEC) != 0);
}

}  // namespace
}  // namespace ringstat
