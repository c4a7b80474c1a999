#include "perf/bench/server_probe.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <string>

namespace ringstat {

namespace {

// /proc files are small; a longer one is not what we expect and is refused.
constexpr size_t kProcFileBytesMax = 64 * 1024;
// After the last ')' of /proc/PID/stat the first field is field 3 (state); utime is field 14.
constexpr int kStatUtimeIndex = 14 - 3;

// The whole of `text` as a decimal number.
std::optional<uint64_t> parse_u64(std::string_view text) {
  uint64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || text.empty()) return std::nullopt;
  return value;
}

std::string_view trim_blanks(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\n')) {
    text.remove_suffix(1);
  }
  return text;
}

// The rest of the line that starts with `key:` (key must start a line).
std::optional<std::string_view> field_after_key(std::string_view text, std::string_view key) {
  size_t line_start = 0;
  while (line_start < text.size()) {
    size_t line_end = text.find('\n', line_start);
    if (line_end == std::string_view::npos) line_end = text.size();
    std::string_view line = text.substr(line_start, line_end - line_start);
    if (line.size() > key.size() && line.substr(0, key.size()) == key && line[key.size()] == ':') {
      return trim_blanks(line.substr(key.size() + 1));
    }
    line_start = line_end + 1;
  }
  return std::nullopt;
}

std::optional<std::string> read_small_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string text(kProcFileBytesMax, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) return std::nullopt;
  const auto got = static_cast<size_t>(in.gcount());
  if (got == 0 || got == kProcFileBytesMax) return std::nullopt;
  text.resize(got);
  return text;
}

}  // namespace

std::optional<uint64_t> parse_proc_stat_cpu_ticks(std::string_view stat) {
  const size_t paren = stat.rfind(')');
  if (paren == std::string_view::npos) return std::nullopt;
  std::string_view rest = stat.substr(paren + 1);
  std::optional<uint64_t> utime;
  int index = 0;
  while (true) {
    rest = trim_blanks(rest);
    if (rest.empty()) return std::nullopt;
    const size_t end = std::min(rest.find(' '), rest.size());
    const std::string_view field = rest.substr(0, end);
    if (index == kStatUtimeIndex) {
      utime = parse_u64(field);
      if (!utime) return std::nullopt;
    } else if (index == kStatUtimeIndex + 1) {
      const std::optional<uint64_t> stime = parse_u64(field);
      if (!stime) return std::nullopt;
      return *utime + *stime;
    }
    rest.remove_prefix(end);
    ++index;
  }
}

std::optional<uint64_t> parse_proc_status_bytes(std::string_view status, std::string_view key) {
  const std::optional<std::string_view> field = field_after_key(status, key);
  if (!field) return std::nullopt;
  const size_t space = field->find(' ');
  const std::optional<uint64_t> kib = parse_u64(field->substr(0, space));
  if (!kib || space == std::string_view::npos || trim_blanks(field->substr(space)) != "kB") {
    return std::nullopt;
  }
  return *kib * 1024;
}

std::optional<uint64_t> parse_proc_io_field(std::string_view io, std::string_view key) {
  const std::optional<std::string_view> field = field_after_key(io, key);
  if (!field) return std::nullopt;
  return parse_u64(*field);
}

std::optional<ProcSample> read_proc_sample(int pid) {
  const std::string dir = "/proc/" + std::to_string(pid) + "/";
  const std::optional<std::string> stat = read_small_file(dir + "stat");
  const std::optional<std::string> status = read_small_file(dir + "status");
  if (!stat || !status) return std::nullopt;
  const std::optional<uint64_t> ticks = parse_proc_stat_cpu_ticks(*stat);
  const std::optional<uint64_t> rss = parse_proc_status_bytes(*status, "VmRSS");
  // A zombie has no VmRSS; it is as good as gone.
  if (!ticks || !rss) return std::nullopt;
  static const long ticks_per_s = sysconf(_SC_CLK_TCK);
  ProcSample reading;
  reading.cpu_s = static_cast<double>(*ticks) / static_cast<double>(ticks_per_s);
  reading.rss_bytes = *rss;
  reading.hwm_bytes = parse_proc_status_bytes(*status, "VmHWM").value_or(*rss);
  if (const std::optional<std::string> io = read_small_file(dir + "io")) {
    reading.write_bytes = parse_proc_io_field(*io, "write_bytes");
    reading.read_bytes = parse_proc_io_field(*io, "read_bytes");
  }
  return reading;
}

std::optional<double> cpu_ns_per_sample(const ProbeFigures& figures, uint64_t samples) {
  if (samples == 0) return std::nullopt;
  return figures.cpu_s * 1e9 / static_cast<double>(samples);
}

std::optional<double> rss_bytes_per_counter(const ProbeFigures& figures, uint32_t counters) {
  if (counters == 0) return std::nullopt;
  const uint64_t growth = figures.rss_peak_bytes > figures.rss_start_bytes
                              ? figures.rss_peak_bytes - figures.rss_start_bytes
                              : 0;
  return static_cast<double>(growth) / counters;
}

bool ServerProbe::start() {
  figures_ = ProbeFigures();
  first_ = read_proc_sample(pid_);
  last_ = first_;
  if (!first_) {
    figures_.lost_process = true;
    return false;
  }
  if (!life_start_rss_bytes_) life_start_rss_bytes_ = first_->rss_bytes;
  figures_.rss_start_bytes = *life_start_rss_bytes_;
  take(*first_);
  return true;
}

std::optional<ProcSample> ServerProbe::sample() {
  if (!first_) return std::nullopt;
  std::optional<ProcSample> reading = read_proc_sample(pid_);
  if (!reading) {
    figures_.lost_process = true;
    return std::nullopt;
  }
  take(*reading);
  return reading;
}

void ServerProbe::finish() { sample(); }

double ServerProbe::cpu_s_so_far() const {
  if (!first_ || !last_) return 0;
  return last_->cpu_s - first_->cpu_s;
}

void ServerProbe::take(const ProcSample& reading) {
  last_ = reading;
  ++figures_.samples_taken;
  figures_.cpu_s = reading.cpu_s - first_->cpu_s;
  life_peak_rss_bytes_ = std::max(life_peak_rss_bytes_, reading.rss_bytes);
  figures_.rss_peak_bytes = life_peak_rss_bytes_;
  figures_.hwm_end_bytes = reading.hwm_bytes;
  // Disk figures exist only when /proc/PID/io was readable at both ends.
  if (first_->write_bytes && reading.write_bytes && *reading.write_bytes >= *first_->write_bytes) {
    figures_.write_bytes = *reading.write_bytes - *first_->write_bytes;
  } else {
    figures_.write_bytes.reset();
  }
  if (first_->read_bytes && reading.read_bytes && *reading.read_bytes >= *first_->read_bytes) {
    figures_.read_bytes = *reading.read_bytes - *first_->read_bytes;
  } else {
    figures_.read_bytes.reset();
  }
}

}  // namespace ringstat
