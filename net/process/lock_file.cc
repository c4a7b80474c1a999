#include "net/process/lock_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>
#include <utility>

namespace ringstat {
namespace {

// A pid is at most 7 digits on Linux (pid_max <= 4194304); anything longer is not one.
constexpr size_t kPidTextBytesMax = 32;

std::string system_error(std::string_view what, const std::string& path, int error_number) {
  return std::string(what) + " " + path + ": " + std::strerror(error_number);
}

// The pid the holder wrote, or "unknown" when the file is empty (the holder is between its
// flock and its write) or holds anything else.
std::string read_holder_pid(int fd) {
  char text[kPidTextBytesMax];
  const ssize_t bytes = ::pread(fd, text, sizeof(text), 0);
  if (bytes <= 0) return "unknown";
  std::string_view pid(text, static_cast<size_t>(bytes));
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.remove_suffix(1);
  if (pid.empty() || pid.size() >= kPidTextBytesMax) return "unknown";
  for (const char c : pid) {
    if (c < '0' || c > '9') return "unknown";
  }
  return std::string(pid);
}

}  // namespace

Result<LockFile> LockFile::acquire(std::string store_dir) {
  std::string path = store_dir;
  if (path.empty() || path.back() != '/') path += '/';
  path += kLockFileName;
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Error{system_error("cannot open lock file", path, errno)};
  LockFile lock(fd, path);
  int result = 0;
  do {
    result = ::flock(fd, LOCK_EX | LOCK_NB);
  } while (result != 0 && errno == EINTR);
  if (result != 0) {
    if (errno == EWOULDBLOCK) {
      return Error{"store " + store_dir + " is in use by another ringstat (pid " +
                   read_holder_pid(fd) + ")"};
    }
    return Error{system_error("cannot lock", path, errno)};
  }
  // Written with one pwrite after truncating, so a reader sees either nothing or the whole pid.
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0) return Error{system_error("cannot write", path, errno)};
  const ssize_t written = ::pwrite(fd, pid.data(), pid.size(), 0);
  if (written < 0) return Error{system_error("cannot write", path, errno)};
  if (static_cast<size_t>(written) != pid.size()) {
    return Error{"cannot write " + path + ": short write"};
  }
  return lock;
}

LockFile::LockFile(LockFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

LockFile& LockFile::operator=(LockFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
  }
  return *this;
}

LockFile::~LockFile() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace ringstat
