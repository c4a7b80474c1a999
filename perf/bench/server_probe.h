// ServerProbe: measures any server process from outside through /proc/PID (CPU time, RSS, disk
// I/O), so the same run measures ringstat and its peers. Only the given pid is measured, not its
// children (none of the measured servers runs any). Owned by ringstat-bench's main thread; the
// parsers are single-threaded pure code, exposed for tests.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace ringstat {

// /proc/PID/stat fields 14 and 15 (utime + stime), in clock ticks. The command name in
// parentheses may hold spaces and parentheses, so fields are counted after the last ')'.
std::optional<uint64_t> parse_proc_stat_cpu_ticks(std::string_view stat);
// A `Key:   123 kB` line of /proc/PID/status, in bytes.
std::optional<uint64_t> parse_proc_status_bytes(std::string_view status, std::string_view key);
// A `key: 123` line of /proc/PID/io.
std::optional<uint64_t> parse_proc_io_field(std::string_view io, std::string_view key);

// One reading of the process. io is absent when /proc/PID/io is unreadable (another user's
// process without CAP_SYS_PTRACE).
struct ProcSample {
  double cpu_s = 0;
  uint64_t rss_bytes = 0;
  uint64_t hwm_bytes = 0;
  std::optional<uint64_t> write_bytes;
  std::optional<uint64_t> read_bytes;
};

// std::nullopt when the process is gone or its stat/status cannot be read.
std::optional<ProcSample> read_proc_sample(int pid);

// The figures of one window (start() to finish()). CPU and disk cover the window only; the RSS
// figures cover the probe's whole life, so a warmup window does not hide the memory of the
// counters it created from the timed window.
struct ProbeFigures {
  double cpu_s = 0;
  uint64_t rss_start_bytes = 0;  // VmRSS at the probe's first reading, before any load
  // The highest VmRSS seen by the 1 Hz samples and at window ends since the first reading.
  // VmHWM is reported separately because it covers the whole life of the process, including
  // what came before the probe.
  uint64_t rss_peak_bytes = 0;
  uint64_t hwm_end_bytes = 0;
  std::optional<uint64_t> write_bytes;
  std::optional<uint64_t> read_bytes;
  uint32_t samples_taken = 0;
  bool lost_process = false;  // the process could not be read at some point
};

// Derived figures; the per-unit ones are absent when their denominator is 0.
std::optional<double> cpu_ns_per_sample(const ProbeFigures& figures, uint64_t samples);
// (peak - start) / counters; negative growth reads as 0.
std::optional<double> rss_bytes_per_counter(const ProbeFigures& figures, uint32_t counters);

class ServerProbe {
 public:
  explicit ServerProbe(int pid) : pid_(pid) {}

  // Opens a window with a reading; false when the process cannot be read.
  bool start();
  // A reading during the window (call about once a second); returns it for progress lines.
  std::optional<ProcSample> sample();
  // The last reading; the window's figures are complete after this.
  void finish();

  const ProbeFigures& figures() const { return figures_; }
  const std::optional<ProcSample>& last() const { return last_; }
  // CPU seconds since start(), as of the last reading.
  double cpu_s_so_far() const;
  int pid() const { return pid_; }

 private:
  void take(const ProcSample& reading);

  int pid_;
  std::optional<ProcSample> first_;  // of the current window
  std::optional<uint64_t> life_start_rss_bytes_;
  uint64_t life_peak_rss_bytes_ = 0;
  std::optional<ProcSample> last_;
  ProbeFigures figures_;
};

}  // namespace ringstat
