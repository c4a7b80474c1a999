// LockFile: one daemon per store. `<store>/LOCK` is held with flock(2) for the life of the
// process and names the holder's pid, so a second `ringstat serve` on the same store is refused
// with a message naming the first. Used by the start-up thread only; no shared state.
#pragma once

#include <string>
#include <utility>

#include "base/result.h"

namespace ringstat {

inline constexpr const char* kLockFileName = "LOCK";

class LockFile {
 public:
  // Opens (creating it if needed) `<store_dir>/LOCK` in an existing directory and takes an
  // exclusive, non-blocking flock on it, then writes this process's pid into it. Fails with
  // "store <dir> is in use by another ringstat (pid N)" when another open of the file holds the
  // lock (the pid is whatever the holder wrote, "unknown" if nothing yet), or with the system
  // error for any other problem. The caller exits 1 in either case.
  static Result<LockFile> acquire(std::string store_dir);

  LockFile(LockFile&& other) noexcept;
  LockFile& operator=(LockFile&& other) noexcept;
  LockFile(const LockFile&) = delete;
  LockFile& operator=(const LockFile&) = delete;
  // Releases the lock by closing the file. The file itself stays: unlinking it would let a third
  // process lock a new LOCK while a second still waits on the old inode. The kernel also releases
  // the lock when the process dies, so a crash never leaves a store locked.
  ~LockFile();

  const std::string& path() const { return path_; }

 private:
  LockFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}

  int fd_ = -1;
  std::string path_;
};

}  // namespace ringstat
