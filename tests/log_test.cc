#include "net/process/log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/cmd_test_support.h"

namespace ringstat {
namespace {

using testing::read_file;
using testing::TempDir;

constexpr int64_t kSpecTime_ms = 1'795'240'540'123;  // 2026-11-21T05:55:40.123Z

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// An append-only temporary log file and its descriptor.
struct LogFile {
  explicit LogFile(const std::string& file_path)
      : path(file_path),
        fd(open(file_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) {
    REQUIRE(fd >= 0);
  }
  ~LogFile() { close(fd); }
  std::string path;
  int fd;
};

std::string device_and_inode(int fd) {
  struct stat status {};
  REQUIRE(fstat(fd, &status) == 0);
  return std::to_string(status.st_dev) + ":" + std::to_string(status.st_ino);
}

TEST_CASE("log level words round-trip and nothing else parses") {
  for (LogLevel level : {LogLevel::kError, LogLevel::kWarn, LogLevel::kInfo, LogLevel::kDebug}) {
    CHECK(parse_log_level(log_level_name(level)) == level);
  }
  CHECK_FALSE(parse_log_level("warning").has_value());
  CHECK_FALSE(parse_log_level("Info").has_value());
  CHECK_FALSE(parse_log_level("").has_value());
}

TEST_CASE("journal lines carry the sd-daemon priority of their level") {
  CHECK(format_log_line(LogStyle::kJournal, LogLevel::kError, kSpecTime_ms, "disk full") ==
        "<3>disk full\n");
  CHECK(format_log_line(LogStyle::kJournal, LogLevel::kWarn, 0, "w") == "<4>w\n");
  CHECK(format_log_line(LogStyle::kJournal, LogLevel::kInfo, 0, "ready") == "<6>ready\n");
  CHECK(format_log_line(LogStyle::kJournal, LogLevel::kDebug, 0, "d") == "<7>d\n");
}

TEST_CASE("timestamped lines start with UTC milliseconds and the level word") {
  CHECK(format_log_line(LogStyle::kTimestamped, LogLevel::kInfo, kSpecTime_ms, "ready") ==
        "2026-11-21T05:55:40.123Z info ready\n");
  CHECK(format_log_line(LogStyle::kTimestamped, LogLevel::kWarn, 5, "w") ==
        "1970-01-01T00:00:00.005Z warn w\n");
  CHECK(format_log_line(LogStyle::kTimestamped, LogLevel::kError, 1'000'040, "e") ==
        "1970-01-01T00:16:40.040Z error e\n");
  CHECK(format_log_line(LogStyle::kTimestamped, LogLevel::kDebug, 999, "") ==
        "1970-01-01T00:00:00.999Z debug \n");
}

TEST_CASE("a time before 1970 floors to the earlier millisecond") {
  CHECK(format_log_line(LogStyle::kTimestamped, LogLevel::kInfo, -1, "x") ==
        "1969-12-31T23:59:59.999Z info x\n");
}

TEST_CASE("control bytes in a message are escaped so one call is one line") {
  CHECK(format_log_line(LogStyle::kJournal, LogLevel::kWarn, 0, "bad line \"a\nb\r\x01\x7f\"") ==
        "<4>bad line \"a\\x0ab\\x0d\\x01\\x7f\"\n");
  CHECK(format_log_line(LogStyle::kJournal, LogLevel::kWarn, 0, std::string("nul\0!", 5)) ==
        "<4>nul\\x00!\n");
  // Tabs and UTF-8 are printable as they are.
  CHECK(format_log_line(LogStyle::kJournal, LogLevel::kInfo, 0, "a\tb caf\xc3\xa9") ==
        "<6>a\tb caf\xc3\xa9\n");
}

TEST_CASE("a message that fits exactly is not cut") {
  const std::string message(kLogLineBytesMax - 4, 'm');  // "<6>" + message + "\n"
  const std::string line = format_log_line(LogStyle::kJournal, LogLevel::kInfo, 0, message);
  CHECK(line.size() == kLogLineBytesMax);
  CHECK(line == "<6>" + message + "\n");
}

TEST_CASE("a long message is cut to the line limit and ends in ...") {
  const std::string message(kLogLineBytesMax, 'm');
  for (LogStyle style : {LogStyle::kJournal, LogStyle::kTimestamped}) {
    const std::string line = format_log_line(style, LogLevel::kInfo, kSpecTime_ms, message);
    CHECK(line.size() == kLogLineBytesMax);
    CHECK(line.ends_with("mmm...\n"));
    CHECK(line.find('\n') == line.size() - 1);
  }
}

TEST_CASE("a cut never splits an escape sequence") {
  const std::string message(kLogLineBytesMax, '\x01');
  const std::string line = format_log_line(LogStyle::kJournal, LogLevel::kInfo, 0, message);
  CHECK(line.size() <= kLogLineBytesMax);
  CHECK(line.ends_with("\\x01...\n"));
  // Everything between the prefix and the marker is whole escapes.
  const std::string body = line.substr(3, line.size() - 3 - 4);
  CHECK(body.size() % 4 == 0);
}

TEST_CASE("the logger writes enabled levels only, one line per call") {
  const TempDir dir;
  const LogFile file(dir.file("log"));
  Logger logger(file.fd, LogLevel::kInfo, LogStyle::kJournal);
  CHECK(logger.enabled(LogLevel::kError));
  CHECK(logger.enabled(LogLevel::kInfo));
  CHECK_FALSE(logger.enabled(LogLevel::kDebug));
  logger.error("e");
  logger.warn("w");
  logger.info("i");
  logger.debug("d");
  logger.set_level(LogLevel::kError);
  CHECK(logger.level() == LogLevel::kError);
  logger.warn("w2");
  logger.error("e2");
  logger.set_level(LogLevel::kDebug);
  logger.debug("d2");
  logger.log(LogLevel::kInfo, "i2");
  CHECK(read_file(file.path) == "<3>e\n<4>w\n<6>i\n<3>e2\n<7>d2\n<6>i2\n");
  CHECK(logger.lines_dropped() == 0);
}

TEST_CASE("the timestamped logger stamps each line with the real clock") {
  const TempDir dir;
  const LogFile file(dir.file("log"));
  Logger logger(file.fd, LogLevel::kInfo, LogStyle::kTimestamped);
  CHECK(logger.style() == LogStyle::kTimestamped);
  logger.info("ready");
  const std::string text = read_file(file.path);
  // `YYYY-MM-DDTHH:MM:SS.mmmZ info ready\n`, in this millennium.
  REQUIRE(text.size() == 24 + 11 + 1);
  CHECK(text.starts_with("2"));
  CHECK(text[10] == 'T');
  CHECK(text[19] == '.');
  CHECK(text.substr(23) == "Z info ready\n");
}

TEST_CASE("lines logged from several threads never interleave") {
  const TempDir dir;
  const LogFile file(dir.file("log"));
  Logger logger(file.fd, LogLevel::kInfo, LogStyle::kJournal);
  constexpr int kThreads = 4;
  constexpr int kLinesPerThread = 500;
  const std::string padding(200, 'p');
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&logger, &padding, t] {
      for (int i = 0; i < kLinesPerThread; ++i) {
        logger.info("thread " + std::to_string(t) + " line " + std::to_string(i) + " " + padding);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  const std::vector<std::string> lines = lines_of(read_file(file.path));
  REQUIRE(lines.size() == kThreads * kLinesPerThread);
  std::vector<int> next(kThreads, 0);
  for (const std::string& line : lines) {
    REQUIRE(line.starts_with("<6>thread "));
    REQUIRE(line.ends_with(" " + padding));
    const int t = line[10] - '0';
    REQUIRE(t >= 0);
    REQUIRE(t < kThreads);
    // Each thread's own lines stay in its order.
    CHECK(line.substr(11, line.size() - 11 - padding.size() - 1) ==
          " line " + std::to_string(next[static_cast<size_t>(t)]));
    ++next[static_cast<size_t>(t)];
  }
}

TEST_CASE("a line that cannot be written is counted as dropped") {
  const int read_only = open("/dev/null", O_RDONLY | O_CLOEXEC);
  REQUIRE(read_only >= 0);
  Logger logger(read_only, LogLevel::kInfo, LogStyle::kJournal);
  logger.info("lost");
  logger.debug("filtered, not dropped");
  CHECK(logger.lines_dropped() == 1);
  close(read_only);
}

TEST_CASE("JOURNAL_STREAM counts only when it names the descriptor's own stream") {
  const TempDir dir;
  const LogFile file(dir.file("log"));
  const LogFile other(dir.file("other"));
  const std::string own = device_and_inode(file.fd);
  CHECK(is_journal_stream(file.fd, own.c_str()));
  CHECK_FALSE(is_journal_stream(other.fd, own.c_str()));
  CHECK_FALSE(is_journal_stream(file.fd, nullptr));
  for (const char* bad : {"", ":", "1:", ":2", "abc", "1:2:3", "-1:5", " 1:2"}) {
    CAPTURE(bad);
    CHECK_FALSE(is_journal_stream(file.fd, bad));
  }
  const std::string trailing = own + "x";
  CHECK_FALSE(is_journal_stream(file.fd, trailing.c_str()));
}

TEST_CASE("detect_log_style follows $JOURNAL_STREAM for the given descriptor") {
  const TempDir dir;
  const LogFile file(dir.file("log"));
  std::optional<std::string> old;
  if (const char* value = std::getenv("JOURNAL_STREAM")) old = value;
  setenv("JOURNAL_STREAM", device_and_inode(file.fd).c_str(), 1);
  CHECK(detect_log_style(file.fd) == LogStyle::kJournal);
  unsetenv("JOURNAL_STREAM");
  CHECK(detect_log_style(file.fd) == LogStyle::kTimestamped);
  if (old) setenv("JOURNAL_STREAM", old->c_str(), 1);
}

TEST_CASE("reopen after a rotation writes to a new file at the original path") {
  const TempDir dir;
  const std::string path = dir.file("ringstat.log");
  const int original = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  REQUIRE(original >= 0);
  // The logger's descriptor is a duplicate, as stderr would be.
  const int fd = dup(original);
  close(original);
  Logger logger(fd, LogLevel::kInfo, LogStyle::kJournal);
  logger.info("before");
  REQUIRE(rename(path.c_str(), dir.file("ringstat.log.1").c_str()) == 0);
  logger.info("still old");
  const Status reopened = logger.reopen();
  REQUIRE_MESSAGE(reopened.ok(), reopened.error());
  logger.info("after");
  CHECK(read_file(dir.file("ringstat.log.1")) == "<6>before\n<6>still old\n");
  CHECK(read_file(path) == "<6>after\n");
  // Reopening again appends to the current file instead of truncating it.
  REQUIRE(logger.reopen().ok());
  logger.info("again");
  CHECK(read_file(path) == "<6>after\n<6>again\n");
  close(fd);
}

TEST_CASE("reopen of a pipe does nothing and logging carries on") {
  int ends[2];
  REQUIRE(pipe(ends) == 0);
  Logger logger(ends[1], LogLevel::kInfo, LogStyle::kJournal);
  CHECK(logger.reopen().ok());
  logger.info("x");
  char buffer[16];
  CHECK(read(ends[0], buffer, sizeof(buffer)) == 5);
  CHECK(std::string(buffer, 5) == "<6>x\n");
  close(ends[0]);
  close(ends[1]);
}

TEST_CASE("reopen reports a file that can no longer be created and keeps the old one") {
  const TempDir dir;
  const std::string sub = dir.file("logs");
  REQUIRE(mkdir(sub.c_str(), 0755) == 0);
  const std::string path = sub + "/ringstat.log";
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  REQUIRE(fd >= 0);
  Logger logger(fd, LogLevel::kInfo, LogStyle::kJournal);
  REQUIRE(unlink(path.c_str()) == 0);
  REQUIRE(rmdir(sub.c_str()) == 0);
  // The file was deleted with its directory: reopen cannot recreate it and says why.
  const Status reopened = logger.reopen();
  REQUIRE_FALSE(reopened.ok());
  CHECK(reopened.error().find("ringstat.log") != std::string::npos);
  CHECK(reopened.error().find("No such file or directory") != std::string::npos);
  logger.info("still writable");
  CHECK(logger.lines_dropped() == 0);
  close(fd);
}

TEST_CASE("the first bad line from a peer is logged in full, the rest only counted") {
  LogRateLimiter limiter;
  CHECK(limiter.note("10.0.0.5:4000", 1000));
  CHECK_FALSE(limiter.note("10.0.0.5:4000", 1001));
  CHECK_FALSE(limiter.note("10.0.0.5:4000", 5000));
  CHECK(limiter.note("10.0.0.6:4000", 5000));  // peers are independent
  CHECK(limiter.tracked_peers() == 2);
  CHECK(limiter.take_summaries(5000).empty());
}

TEST_CASE("a window's summary counts every bad line and appears once the window ends") {
  LogRateLimiter limiter;
  limiter.note("10.0.0.5:4000", 1000);
  limiter.note("10.0.0.5:4000", 2000);
  limiter.note("10.0.0.5:4000", 10'999);
  CHECK(limiter.take_summaries(10'999).empty());
  const std::vector<std::string> summaries = limiter.take_summaries(11'000);
  REQUIRE(summaries.size() == 1);
  CHECK(summaries[0] == "3 bad lines from 10.0.0.5:4000 in the last 10 s");
  CHECK(limiter.tracked_peers() == 0);
  CHECK(limiter.take_summaries(50'000).empty());
  // After the window, the next bad line is logged in full again.
  CHECK(limiter.note("10.0.0.5:4000", 50'000));
}

TEST_CASE("a window with only its first bad line ends without a summary") {
  LogRateLimiter limiter;
  limiter.note("peer", 0);
  CHECK(limiter.take_summaries(LogRateLimiter::kWindow_ms).empty());
  CHECK(limiter.tracked_peers() == 0);
}

TEST_CASE("a bad line after the window ends starts a new one and keeps the old summary") {
  LogRateLimiter limiter;
  limiter.note("peer", 0);
  limiter.note("peer", 1);
  CHECK(limiter.note("peer", 10'000));  // new window, logged in full
  limiter.note("peer", 10'001);
  limiter.note("peer", 10'002);
  const std::vector<std::string> summaries = limiter.take_summaries(20'000);
  REQUIRE(summaries.size() == 2);
  CHECK(summaries[0] == "2 bad lines from peer in the last 10 s");
  CHECK(summaries[1] == "3 bad lines from peer in the last 10 s");
}

TEST_CASE("summaries come out oldest window first") {
  LogRateLimiter limiter;
  for (const auto& [peer, start_ms] :
       {std::pair<const char*, int64_t>{"c", 300}, {"a", 100}, {"b", 200}}) {
    limiter.note(peer, start_ms);
    limiter.note(peer, start_ms + 1);
  }
  const std::vector<std::string> summaries = limiter.take_summaries(100'000);
  REQUIRE(summaries.size() == 3);
  CHECK(summaries[0].find(" from a ") != std::string::npos);
  CHECK(summaries[1].find(" from b ") != std::string::npos);
  CHECK(summaries[2].find(" from c ") != std::string::npos);
}

TEST_CASE("peers beyond the table's bound are counted together as other peers") {
  LogRateLimiter limiter;
  for (size_t i = 0; i < LogRateLimiter::kTrackedPeersMax; ++i) {
    CHECK(limiter.note("peer" + std::to_string(i), 0));
  }
  CHECK(limiter.tracked_peers() == LogRateLimiter::kTrackedPeersMax);
  CHECK(limiter.note("late-1", 5));
  CHECK_FALSE(limiter.note("late-2", 6));
  CHECK_FALSE(limiter.note("late-3", 7));
  CHECK_FALSE(limiter.note("peer0", 8));  // a tracked peer is still itself
  CHECK(limiter.tracked_peers() == LogRateLimiter::kTrackedPeersMax + 1);
  const std::vector<std::string> summaries = limiter.take_summaries(20'000);
  REQUIRE(summaries.size() == 2);
  CHECK(summaries[0] == "2 bad lines from peer0 in the last 10 s");
  CHECK(summaries[1] == "3 bad lines from other peers in the last 10 s");
  CHECK(limiter.tracked_peers() == 0);
}

TEST_CASE("summaries nobody takes are bounded and the excess is counted") {
  LogRateLimiter limiter;
  const size_t windows = LogRateLimiter::kPendingSummariesMax + 10;
  for (size_t w = 0; w < windows; ++w) {
    const auto start_ms = static_cast<int64_t>(w) * LogRateLimiter::kWindow_ms;
    limiter.note("flood", start_ms);
    limiter.note("flood", start_ms + 1);
  }
  // The last window is still open; every earlier one ended when the next began.
  CHECK(limiter.summaries_dropped() == windows - 1 - LogRateLimiter::kPendingSummariesMax);
  const std::vector<std::string> summaries = limiter.take_summaries(INT64_MAX / 2);
  CHECK(summaries.size() == LogRateLimiter::kPendingSummariesMax);
}

}  // namespace
}  // namespace ringstat
