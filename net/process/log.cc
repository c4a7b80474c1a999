#include "net/process/log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include "base/integer_math.h"
#include "base/iso_time.h"

namespace ringstat {
namespace {

// A write interrupted by a signal or cut short is resumed this many times before the line is
// given up (a full pipe with O_NONBLOCK would otherwise spin).
constexpr int kWriteAttemptsMax = 4;
constexpr std::string_view kCutMarker = "...";

void append_escaped_message(std::string& out, std::string_view message, size_t limit_bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  // Length at which the cut marker still fits, so a cut never splits an escape sequence.
  size_t last_safe_bytes = out.size();
  bool cut = false;
  for (const char c : message) {
    const auto byte = static_cast<unsigned char>(c);
    const bool control = (byte < 0x20 && c != '\t') || byte == 0x7f;
    const size_t piece_bytes = control ? 4 : 1;
    if (out.size() + piece_bytes > limit_bytes) {
      cut = true;
      break;
    }
    if (control) {
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    } else {
      out += c;
    }
    if (out.size() + kCutMarker.size() <= limit_bytes) last_safe_bytes = out.size();
  }
  if (cut) {
    out.resize(last_safe_bytes);
    out += kCutMarker;
  }
}

int64_t realtime_now_ms() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<int64_t>(now.tv_sec) * 1000 + now.tv_nsec / 1'000'000;
}

}  // namespace

std::string format_log_line(LogStyle style, LogLevel level, int64_t unix_ms,
                            std::string_view message) {
  std::string line;
  line.reserve(std::min(kLogLineBytesMax, message.size() + 40));
  if (style == LogStyle::kJournal) {
    line += '<';
    line += static_cast<char>('0' + journal_priority(level));
    line += '>';
  } else {
    const int64_t unix_s = floor_div(unix_ms, int64_t{1000});
    const int64_t millis = unix_ms - unix_s * 1000;
    append_iso8601_utc(line, unix_s);
    VERIFY(!line.empty() && line.back() == 'Z');
    line.pop_back();
    line += '.';
    line += static_cast<char>('0' + millis / 100);
    line += static_cast<char>('0' + millis / 10 % 10);
    line += static_cast<char>('0' + millis % 10);
    line += "Z ";
    line += log_level_name(level);
    line += ' ';
  }
  append_escaped_message(line, message, kLogLineBytesMax - 1);
  line += '\n';
  VERIFY(line.size() <= kLogLineBytesMax);
  return line;
}

bool is_journal_stream(int fd, const char* journal_stream) {
  if (journal_stream == nullptr) return false;
  const std::string_view text(journal_stream);
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos) return false;
  uint64_t device = 0;
  uint64_t inode = 0;
  const char* const device_end = text.data() + colon;
  const auto device_parse = std::from_chars(text.data(), device_end, device);
  if (device_parse.ec != std::errc() || device_parse.ptr != device_end || colon == 0) return false;
  const char* const inode_begin = device_end + 1;
  const char* const inode_end = text.data() + text.size();
  const auto inode_parse = std::from_chars(inode_begin, inode_end, inode);
  if (inode_parse.ec != std::errc() || inode_parse.ptr != inode_end || inode_begin == inode_end) {
    return false;
  }
  struct stat status {};
  if (fstat(fd, &status) != 0) return false;
  return static_cast<uint64_t>(status.st_dev) == device &&
         static_cast<uint64_t>(status.st_ino) == inode;
}

LogStyle detect_log_style(int fd) {
  return is_journal_stream(fd, std::getenv("JOURNAL_STREAM")) ? LogStyle::kJournal
                                                              : LogStyle::kTimestamped;
}

Logger::Logger(int fd, LogLevel level, LogStyle style) : fd_(fd), style_(style), level_(level) {
  struct stat status {};
  if (fstat(fd_, &status) != 0 || !S_ISREG(status.st_mode)) return;
  // The path the file has now; a rotator renames it later, and reopen() wants this name back.
  const std::string link = "/proc/self/fd/" + std::to_string(fd_);
  char path[4096];
  const ssize_t path_bytes = readlink(link.c_str(), path, sizeof(path));
  if (path_bytes <= 0 || static_cast<size_t>(path_bytes) >= sizeof(path)) return;
  const std::string_view target(path, static_cast<size_t>(path_bytes));
  // Already unlinked: there is no name to reopen.
  if (target.front() != '/' || target.ends_with(" (deleted)")) return;
  file_path_ = std::string(target);
}

void Logger::log(LogLevel level, std::string_view message) {
  if (!enabled(level)) return;
  write_line(format_log_line(style_, level, realtime_now_ms(), message));
}

void Logger::write_line(std::string_view line) {
  for (int attempt = 0; attempt < kWriteAttemptsMax && !line.empty(); ++attempt) {
    const ssize_t written = ::write(fd_, line.data(), line.size());
    if (written > 0) line.remove_prefix(static_cast<size_t>(written));
    if (written < 0 && errno != EINTR) break;
  }
  if (!line.empty()) lines_dropped_.fetch_add(1, std::memory_order_relaxed);
}

Status Logger::reopen() {
  if (file_path_.empty()) return Ok{};
  const int file_fd = ::open(file_path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (file_fd < 0) {
    return Error{"cannot reopen log file " + file_path_ + ": " + std::strerror(errno)};
  }
  // dup2 swaps the file under the descriptor atomically: a concurrent log line goes wholly to
  // the old file or wholly to the new one.
  const int dup_result = ::dup2(file_fd, fd_);
  const int dup_errno = errno;
  ::close(file_fd);
  if (dup_result < 0) {
    return Error{"cannot reopen log file " + file_path_ + ": " + std::strerror(dup_errno)};
  }
  return Ok{};
}

Logger& process_log() {
  static Logger logger(STDERR_FILENO, LogLevel::kInfo, detect_log_style(STDERR_FILENO));
  return logger;
}

bool LogRateLimiter::note(std::string_view peer, int64_t now_ms) {
  std::string_view key = peer;
  auto it = windows_.find(key);
  if (it == windows_.end() && windows_.size() >= kTrackedPeersMax) {
    key = kOtherPeers;
    it = windows_.find(key);
  }
  if (it != windows_.end() && now_ms - it->second.start_ms >= kWindow_ms) {
    close_window(it->first, it->second);
    windows_.erase(it);
    it = windows_.end();
  }
  if (it == windows_.end()) {
    windows_.emplace(std::string(key), Window{now_ms, 1});
    VERIFY(windows_.size() <= kTrackedPeersMax + 1);
    return true;
  }
  ++it->second.bad_lines;
  return false;
}

std::vector<std::string> LogRateLimiter::take_summaries(int64_t now_ms) {
  for (auto it = windows_.begin(); it != windows_.end();) {
    if (now_ms - it->second.start_ms >= kWindow_ms) {
      close_window(it->first, it->second);
      it = windows_.erase(it);
    } else {
      ++it;
    }
  }
  std::sort(ended_.begin(), ended_.end());
  std::vector<std::string> summaries;
  summaries.reserve(ended_.size());
  for (auto& [start_ms, summary] : ended_) summaries.push_back(std::move(summary));
  ended_.clear();
  return summaries;
}

void LogRateLimiter::close_window(const std::string& peer, const Window& window) {
  if (window.bad_lines <= 1) return;
  if (ended_.size() >= kPendingSummariesMax) {
    ++summaries_dropped_;
    return;
  }
  ended_.emplace_back(window.start_ms, std::to_string(window.bad_lines) + " bad lines from " +
                                           peer + " in the last " +
                                           std::to_string(kWindow_ms / 1000) + " s");
}

}  // namespace ringstat
