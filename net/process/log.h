// Logger: the daemon's log lines on stderr, one write(2) per line so lines logged by different
// threads never interleave. Thread-safe: any thread may log, change the level or reopen at any
// time. LogRateLimiter, the helper that turns floods of per-line complaints into one summary per
// peer, is single-threaded: one per reactor, never touched from another thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/result.h"

namespace ringstat {

enum class LogLevel : uint8_t { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3 };

// The words of `--log-level` and of the timestamped line format.
inline constexpr std::string_view log_level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kError:
      return "error";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kDebug:
      return "debug";
  }
  return "?";
}

inline constexpr std::optional<LogLevel> parse_log_level(std::string_view word) {
  for (LogLevel level : {LogLevel::kError, LogLevel::kWarn, LogLevel::kInfo, LogLevel::kDebug}) {
    if (word == log_level_name(level)) return level;
  }
  return std::nullopt;
}

// The sd-daemon(3) priority journald reads from a `<N>` prefix: 3 err, 4 warning, 6 info,
// 7 debug (syslog's numbering; 5 "notice" is not used).
inline constexpr int journal_priority(LogLevel level) {
  switch (level) {
    case LogLevel::kError:
      return 3;
    case LogLevel::kWarn:
      return 4;
    case LogLevel::kInfo:
      return 6;
    case LogLevel::kDebug:
      return 7;
  }
  return 6;
}

// kJournal: `<6>message` (journald stamps the time itself). kTimestamped:
// `2026-11-21T05:55:40.123Z info message`, UTC with milliseconds.
enum class LogStyle : uint8_t { kJournal, kTimestamped };

// Longest line written, prefix and '\n' included: PIPE_BUF, so even a write to a pipe shared with
// other processes is atomic. Longer messages are cut and end in "...".
inline constexpr size_t kLogLineBytesMax = 4096;

// One complete line, '\n' included, at most kLogLineBytesMax. Control bytes in the message (a
// peer's garbage quoted in a complaint, a stray newline) are written as `\xNN`, so one call is
// always exactly one line.
std::string format_log_line(LogStyle style, LogLevel level, int64_t unix_ms,
                            std::string_view message);

// sd-daemon's test for "stderr is the journal": $JOURNAL_STREAM holds `<device>:<inode>` of the
// stream systemd connected, and it must be the one `fd` refers to now. A variable inherited by a
// process whose stderr was redirected elsewhere therefore does not count. `journal_stream` is the
// variable's value, or nullptr when unset.
bool is_journal_stream(int fd, const char* journal_stream);

// kJournal when `fd` is the journal stream of $JOURNAL_STREAM, else kTimestamped.
LogStyle detect_log_style(int fd);

class Logger {
 public:
  // Logs to `fd`, which stays open and owned by the caller (the daemon passes 2). When `fd` is a
  // regular file, its path is remembered for reopen().
  Logger(int fd, LogLevel level, LogStyle style);
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  void set_level(LogLevel level) { level_.store(level, std::memory_order_relaxed); }
  LogLevel level() const { return level_.load(std::memory_order_relaxed); }
  bool enabled(LogLevel level) const { return level <= this->level(); }
  LogStyle style() const { return style_; }

  // Writes one line if `level` is enabled, with one write(2) and no lock (a blocking descriptor
  // whose reader stalls can still block it). An interrupted or short write is resumed a few
  // times, then the line is counted in lines_dropped(). The daemon ignores SIGPIPE, so a log
  // reader that went away costs lines, not the process.
  void log(LogLevel level, std::string_view message);
  void error(std::string_view message) { log(LogLevel::kError, message); }
  void warn(std::string_view message) { log(LogLevel::kWarn, message); }
  void info(std::string_view message) { log(LogLevel::kInfo, message); }
  void debug(std::string_view message) { log(LogLevel::kDebug, message); }

  // SIGHUP. The descriptor stays the same (stderr stays stderr): when it was a regular file at
  // start-up, the file is opened again by the path it had then (created if a log rotator moved
  // it away, appended to otherwise) and dup2'd onto the descriptor, so later lines go to the new
  // file. For a pipe, a terminal or the journal there is nothing to reopen and this does nothing.
  // Blocking open(2): call it from the signal-handling thread, never from a reactor.
  Status reopen();

  uint64_t lines_dropped() const { return lines_dropped_.load(std::memory_order_relaxed); }

 private:
  void write_line(std::string_view line);

  const int fd_;
  const LogStyle style_;
  std::string file_path_;  // empty unless fd_ was a regular file at construction; then immutable
  std::atomic<LogLevel> level_;
  std::atomic<uint64_t> lines_dropped_{0};
};

// The daemon's logger on stderr, info level, style from detect_log_style(2). Constructed on first
// use (thread-safe static initialisation).
Logger& process_log();

// Turns a flood of bad lines into a little log: the first bad line from a peer in a window is
// logged in full, the rest are only counted, and when the window ends one summary says
// "N bad lines from <peer> in the last 10 s" (N counts every bad line of the window, the first
// included; no summary when there was only the first). Time is passed in (a monotonic clock in
// milliseconds), so this is pure. Single-threaded: one per reactor.
class LogRateLimiter {
 public:
  static constexpr int64_t kWindow_ms = 10'000;
  // Peers tracked at once; bad lines from further peers in the same period are counted together
  // under kOtherPeers, so a scan from many addresses cannot grow the table.
  static constexpr size_t kTrackedPeersMax = 1024;
  static constexpr std::string_view kOtherPeers = "other peers";
  // Summaries waiting for take_summaries(); further ones are dropped and counted.
  static constexpr size_t kPendingSummariesMax = 1024;

  // Counts one bad line from `peer`. True when the caller should log this line in full.
  bool note(std::string_view peer, int64_t now_ms);

  // The summaries of every window that has ended by `now_ms`, oldest window first; those peers
  // are forgotten. Call it periodically (each tick).
  std::vector<std::string> take_summaries(int64_t now_ms);

  size_t tracked_peers() const { return windows_.size(); }
  uint64_t summaries_dropped() const { return summaries_dropped_; }

 private:
  struct Window {
    int64_t start_ms = 0;
    uint64_t bad_lines = 0;
  };
  // Ends `window` of `peer`: a summary when it counted more than its first line.
  void close_window(const std::string& peer, const Window& window);

  // Lets find() take a string_view, so counting a bad line allocates nothing.
  struct PeerHash {
    using is_transparent = void;
    size_t operator()(std::string_view peer) const { return std::hash<std::string_view>{}(peer); }
  };

  // At most kTrackedPeersMax + 1 entries: the peers, plus kOtherPeers once the table is full.
  std::unordered_map<std::string, Window, PeerHash, std::equal_to<>> windows_;
  std::vector<std::pair<int64_t, std::string>> ended_;  // (window start, summary), not yet taken
  uint64_t summaries_dropped_ = 0;
};

}  // namespace ringstat
