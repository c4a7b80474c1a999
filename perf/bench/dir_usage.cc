#include "perf/bench/dir_usage.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace ringstat {

namespace {

// st_blocks is in units of 512 bytes whatever the file system's block size (stat(2)).
constexpr uint64_t kStatBlockBytes = 512;

// A server may remove a file between the listing and the lstat (a merged part, a rotated
// log): `vanished_ok` counts such a file as empty instead of failing the whole sum.
Result<uint64_t> allocated_bytes(const std::filesystem::path& path, bool vanished_ok) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0) {
    if (errno == ENOENT && vanished_ok) return uint64_t{0};
    return Error{path.string() + ": " + std::strerror(errno)};
  }
  return static_cast<uint64_t>(info.st_blocks) * kStatBlockBytes;
}

}  // namespace

Result<uint64_t> allocated_bytes_under(const std::string& dir) {
  Result<uint64_t> total = allocated_bytes(dir, false);
  if (!total.ok()) return total;
  uint64_t bytes = total.value();
  std::error_code error;
  std::filesystem::recursive_directory_iterator it(dir, error);
  for (; !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    Result<uint64_t> entry = allocated_bytes(it->path(), true);
    if (!entry.ok()) return entry;
    bytes += entry.value();
  }
  if (error) return Error{dir + ": " + error.message()};
  return bytes;
}

}  // namespace ringstat
