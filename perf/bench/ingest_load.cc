#include "perf/bench/ingest_load.h"

#include <netdb.h>
#include <pthread.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>

#include "base/verify.h"

namespace ringstat {

namespace {

using Clock = std::chrono::steady_clock;

// Every connection's two batches together stay under this, however many connections there are.
constexpr size_t kFormatBudgetBytes = 256 * 1024 * 1024;
// A blocking send wakes up this often to check whether it should give up.
constexpr int kSendTimeout_ms = 200;
// Without a deadline (the warmup), a chunk the server does not take for this long ends its
// connection: the server is stuck.
constexpr double kStallLimit_s = 60;

Clock::duration seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

double seconds_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

}  // namespace

struct IngestLoad::Sender {
  Sender(const WorkloadPlan& plan, uint32_t connections, uint32_t index)
      : connection(index), formatter(plan, connections, index) {}

  // Where formatting continues: after the next batch when it is ready, else after the current.
  uint64_t formatted_end() const {
    return next_ready ? next.first_line + next.lines : current.first_line + current.lines;
  }

  uint32_t connection;
  int fd = -1;
  LineFormatter formatter;
  // Invariant: lines_sent == current.first_line + the lines of chunks [0, cursor).
  LineBatch current;
  size_t cursor = 0;
  uint32_t cursor_offset = 0;  // byte offset of chunks[cursor]
  LineBatch next;
  bool next_ready = false;
  std::atomic<uint64_t> lines_sent{0};
  uint64_t phase_start_lines = 0;
  uint64_t stop_line = 0;
  bool failed = false;
  bool rounds_exhausted = false;
  std::string error;
  Clock::time_point finished_at;
};

IngestLoad::IngestLoad(IngestConfig config) : config_(std::move(config)) {
  VERIFY(config_.connections > 0);
  VERIFY(config_.connections <= kConnectionsMax);
  VERIFY(config_.plan.counters > 0);
  const size_t batch_bytes = std::max<size_t>(
      kLineBytesMax * 16,
      std::min(kFormatBatchBytes, kFormatBudgetBytes / (2 * size_t{config_.connections})));
  size_t chunk = config_.transport == Transport::kTcp ? kTcpChunkBytes : kUdpDatagramBytes;
  if (config_.rate_per_s > 0) {
    // Each chunk is at most a pacing slice of its connection's schedule.
    const double slice_bytes = config_.rate_per_s / config_.connections * kPacingSlice_s *
                               static_cast<double>(kLineBytesMax);
    chunk = std::min(chunk, static_cast<size_t>(std::max(slice_bytes, 0.0)));
  }
  chunk_bytes_ = std::clamp(chunk, kLineBytesMax, batch_bytes);
  for (uint32_t c = 0; c < config_.connections; ++c) {
    senders_.push_back(std::make_unique<Sender>(config_.plan, config_.connections, c));
  }
  batch_bytes_ = batch_bytes;
}

IngestLoad::~IngestLoad() {
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
  close();
}

Status IngestLoad::connect() {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = config_.transport == Transport::kTcp ? SOCK_STREAM : SOCK_DGRAM;
  addrinfo* found = nullptr;
  const int rc = getaddrinfo(config_.host.c_str(), config_.port.c_str(), &hints, &found);
  if (rc != 0) {
    return Error{"cannot resolve " + config_.host + ":" + config_.port + ": " + gai_strerror(rc)};
  }
  std::string error;
  for (auto& sender : senders_) {
    if (sender->fd >= 0) continue;
    for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
      const int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
      if (fd < 0) continue;
      if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
        timeval timeout{0, kSendTimeout_ms * 1000};
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
        sender->fd = fd;
        break;
      }
      error = std::strerror(errno);
      ::close(fd);
    }
    if (sender->fd < 0) break;
  }
  freeaddrinfo(found);
  for (auto& sender : senders_) {
    if (sender->fd < 0) {
      close();
      return Error{"cannot connect to " + config_.host + ":" + config_.port + ": " + error};
    }
  }
  return Ok{};
}

void IngestLoad::start_warmup() { start_phase(true); }
void IngestLoad::start_timed() { start_phase(false); }

void IngestLoad::start_phase(bool warmup) {
  VERIFY(threads_.empty());
  const double rate_per_connection = config_.rate_per_s / config_.connections;
  for (auto& owned_sender : senders_) {
    Sender& s = *owned_sender;
    VERIFY(s.fd >= 0);
    const uint64_t owned = s.formatter.owned();
    const uint64_t round_limit = uint64_t{config_.rounds_max} * owned;
    s.stop_line = warmup ? std::min(owned, round_limit) : round_limit;
    s.phase_start_lines = s.lines_sent.load(std::memory_order_relaxed);
    // The first batch of the phase is formatted here, off the clock.
    if (owned > 0 && s.cursor == s.current.chunks.size() && !s.next_ready) {
      s.formatter.format(s.formatted_end(), s.stop_line, chunk_bytes_, batch_bytes_, s.next);
      s.next_ready = true;
    }
  }
  phase_ = Phase{};
  phase_.warmup = warmup;
  phase_.rate_per_connection = rate_per_connection;
  phase_.start = Clock::now();
  if (!warmup) {
    phase_.has_deadline = true;
    phase_.deadline = phase_.start + seconds(config_.duration_s);
  }
  running_.store(config_.connections);
  for (auto& owned_sender : senders_) {
    threads_.emplace_back([this, s = owned_sender.get()] { run_sender(*s); });
  }
}

bool IngestLoad::running() const { return running_.load() > 0; }

IngestProgress IngestLoad::progress() const {
  IngestProgress progress;
  for (const auto& s : senders_) {
    progress.lines_sent += s->lines_sent.load(std::memory_order_relaxed) - s->phase_start_lines;
  }
  progress.elapsed_s = seconds_between(phase_.start, Clock::now());
  if (phase_.has_deadline) progress.elapsed_s = std::min(progress.elapsed_s, config_.duration_s);
  progress.due_lines = config_.rate_per_s * progress.elapsed_s;
  return progress;
}

PhaseResult IngestLoad::finish_phase() {
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
  PhaseResult result;
  Clock::time_point last_finish = phase_.start;
  for (const auto& s : senders_) {
    result.lines_sent += s->lines_sent.load() - s->phase_start_lines;
    last_finish = std::max(last_finish, s->finished_at);
    if (s->rounds_exhausted) result.rounds_exhausted = true;
    if (s->failed) {
      ++result.failed_connections;
      if (result.first_error.empty()) result.first_error = s->error;
    }
  }
  result.elapsed_s = seconds_between(phase_.start, last_finish);
  if (result.elapsed_s > 0) {
    result.achieved_per_s = static_cast<double>(result.lines_sent) / result.elapsed_s;
  }
  if (phase_.has_deadline && config_.rate_per_s > 0) {
    const double due = config_.rate_per_s * config_.duration_s;
    const double behind = due - static_cast<double>(result.lines_sent);
    if (behind >= 1) {
      result.lag_lines = static_cast<uint64_t>(behind);
      result.lag_s = behind / config_.rate_per_s;
    }
  }
  return result;
}

void IngestLoad::close() {
  VERIFY(threads_.empty());
  for (auto& s : senders_) {
    if (s->fd < 0) continue;
    if (config_.transport == Transport::kTcp) shutdown(s->fd, SHUT_WR);
    ::close(s->fd);
    s->fd = -1;
  }
}

std::vector<uint64_t> IngestLoad::lines_sent_per_connection() const {
  std::vector<uint64_t> lines;
  for (const auto& s : senders_) lines.push_back(s->lines_sent.load());
  return lines;
}

SentLedger IngestLoad::ledger() const {
  return ledger_from_progress(config_.plan.counters, lines_sent_per_connection());
}

void IngestLoad::run_sender(Sender& s) {
  if (!config_.cpus.empty()) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(config_.cpus[s.connection % config_.cpus.size()], &set);
    // A CPU that does not exist leaves the thread unpinned rather than failing the run.
    pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
  }
  const Phase& phase = phase_;
  const double rate = phase.rate_per_connection;
  while (!s.failed) {
    const uint64_t sent = s.lines_sent.load(std::memory_order_relaxed);
    if (sent >= s.stop_line) {
      s.rounds_exhausted = !phase.warmup && s.stop_line > 0;
      break;
    }
    const Clock::time_point now = Clock::now();
    if (phase.has_deadline && now >= phase.deadline) break;
    if (s.cursor == s.current.chunks.size()) {
      if (!s.next_ready) {
        s.formatter.format(s.formatted_end(), s.stop_line, chunk_bytes_, batch_bytes_, s.next);
      }
      std::swap(s.current, s.next);
      s.next_ready = false;
      s.cursor = 0;
      s.cursor_offset = 0;
      VERIFY(s.current.first_line == sent);
      if (s.current.chunks.empty()) break;
      continue;
    }
    const LineChunk chunk = s.current.chunks[s.cursor];
    if (rate > 0) {
      const double due = seconds_between(phase.start, now) * rate;
      const double need = static_cast<double>(sent - s.phase_start_lines + chunk.lines);
      if (need > due) {
        // Ahead of the schedule: format the next batch now rather than on the clock later.
        if (!s.next_ready && s.formatted_end() < s.stop_line) {
          s.formatter.format(s.formatted_end(), s.stop_line, chunk_bytes_, batch_bytes_, s.next);
          s.next_ready = true;
          continue;
        }
        Clock::time_point wake = phase.start + seconds(need / rate);
        if (phase.has_deadline) wake = std::min(wake, phase.deadline);
        std::this_thread::sleep_until(wake);
        continue;
      }
    }
    const Clock::time_point give_up =
        phase.has_deadline ? phase.deadline + seconds(kDrainGrace_s) : now + seconds(kStallLimit_s);
    const char* data = s.current.bytes.data() + s.cursor_offset;
    if (!send_chunk(s, data, chunk.end_offset - s.cursor_offset, give_up)) break;
    s.lines_sent.store(sent + chunk.lines, std::memory_order_relaxed);
    s.cursor_offset = chunk.end_offset;
    ++s.cursor;
  }
  s.finished_at = Clock::now();
  running_.fetch_sub(1);
}

bool IngestLoad::send_chunk(Sender& s, const char* data, size_t bytes, Clock::time_point give_up) {
  size_t done = 0;
  while (done < bytes) {
    const ssize_t n = ::send(s.fd, data + done, bytes - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    const int error = errno;
    // A full socket buffer (TCP push-back, ENOBUFS for UDP) or a refused UDP datagram reported
    // late: try again until the give-up time. A UDP datagram goes out whole or not at all.
    const bool retry =
        n < 0 && (error == EAGAIN || error == EWOULDBLOCK || error == EINTR || error == ENOBUFS ||
                  (config_.transport == Transport::kUdp && error == ECONNREFUSED));
    if (retry && Clock::now() < give_up) {
      if (config_.transport == Transport::kUdp) sched_yield();
      continue;
    }
    s.failed = true;
    s.error =
        retry ? "gave up: the server took nothing until the give-up time" : std::strerror(error);
    if (n == 0) s.error = "connection closed";
    // The whole lines of a partly sent TCP chunk did reach the socket; they count as sent.
    const auto whole_lines = static_cast<uint64_t>(std::count(data, data + done, '\n'));
    s.lines_sent.fetch_add(whole_lines, std::memory_order_relaxed);
    return false;
  }
  return true;
}

}  // namespace ringstat
