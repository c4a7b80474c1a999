// IngestLoad: the open-loop ingest generator of ringstat-bench. C sender threads, one socket each
// (TCP or connected UDP), send the shared workload (perf/bench/workload.h) on the schedule
// `rate * elapsed`; a server that pushes back does not slow the schedule, it shows as lag.
// Owned by main's thread: start a phase, poll progress() from that thread while it runs, then
// finish_phase(). Each sender thread touches only its own state and atomics.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/result.h"
#include "perf/bench/line_batch.h"
#include "perf/bench/workload.h"

namespace ringstat {

enum class Transport { kTcp, kUdp };

// TCP writes of about this size; UDP datagrams of at most this size, with whole lines.
inline constexpr size_t kTcpChunkBytes = 64 * 1024;
inline constexpr size_t kUdpDatagramBytes = 1400;
// At a low rate a chunk holds at most about this much of one connection's schedule, so pacing
// stays smooth; never below one line.
inline constexpr double kPacingSlice_s = 0.005;
// Lines formatted ahead per connection per batch.
inline constexpr size_t kFormatBatchBytes = 4 * 1024 * 1024;
inline constexpr uint32_t kConnectionsMax = 1024;
// After the schedule ends, a sender blocked by a stalled server gives up after this long; the
// lines it could not send whole are not in the ledger.
inline constexpr double kDrainGrace_s = 10;

struct IngestConfig {
  WorkloadPlan plan;
  std::string host = "127.0.0.1";
  std::string port = "8111";
  Transport transport = Transport::kTcp;
  double rate_per_s = 0;  // 0 sends as fast as the transport allows
  uint32_t connections = 4;
  double duration_s = 20;
  std::vector<int> cpus;  // sender c runs on cpus[c % size]; empty: not pinned
  // With explicit timestamps, no connection sends rounds at or past this (they would lie in the
  // server's future); reaching it ends that sender early and is reported.
  uint32_t rounds_max = UINT32_MAX;
};

struct IngestProgress {
  uint64_t lines_sent = 0;  // this phase, whole lines, all connections
  double due_lines = 0;     // what the schedule asked for by now (0 at rate max)
  double elapsed_s = 0;
};

struct PhaseResult {
  uint64_t lines_sent = 0;
  double elapsed_s = 0;  // phase start until the last sender stopped
  double achieved_per_s = 0;
  // Behind schedule at the scheduled end (samples, and seconds at the offered rate); 0 at max.
  uint64_t lag_lines = 0;
  double lag_s = 0;
  bool rounds_exhausted = false;
  uint32_t failed_connections = 0;
  std::string first_error;
};

class IngestLoad {
 public:
  explicit IngestLoad(IngestConfig config);
  ~IngestLoad();
  IngestLoad(const IngestLoad&) = delete;
  IngestLoad& operator=(const IngestLoad&) = delete;

  // Resolves the target and opens one socket per connection; formats each first batch.
  Status connect();
  // One full round of every counter (lines [0, owned) of each connection) at the configured
  // rate, with no deadline.
  void start_warmup();
  // Everything after the warmup (or from line 0 without one) until duration_s has passed.
  void start_timed();
  // True while any sender of the current phase is still running.
  bool running() const;
  IngestProgress progress() const;
  // Joins the senders of the current phase and returns its figures.
  PhaseResult finish_phase();
  // Closes the sockets (TCP: the server reads everything sent before the FIN).
  void close();

  // Whole lines sent per connection over every phase, and the ledger they make.
  std::vector<uint64_t> lines_sent_per_connection() const;
  SentLedger ledger() const;
  const IngestConfig& config() const { return config_; }

 private:
  struct Sender;
  struct Phase {
    std::chrono::steady_clock::time_point start;
    bool has_deadline = false;
    std::chrono::steady_clock::time_point deadline;
    bool warmup = false;
    double rate_per_connection = 0;
  };

  void start_phase(bool warmup);
  void run_sender(Sender& sender);
  bool send_chunk(Sender& sender, const char* data, size_t bytes,
                  std::chrono::steady_clock::time_point give_up);

  IngestConfig config_;
  size_t chunk_bytes_;
  size_t batch_bytes_;
  std::vector<std::unique_ptr<Sender>> senders_;
  std::vector<std::thread> threads_;
  Phase phase_;
  std::atomic<uint32_t> running_{0};
};

}  // namespace ringstat
