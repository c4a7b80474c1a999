// AdminSession: one admin-port connection (docs/http-api.md "Admin port"). Bytes in, text out:
// it frames lines, runs each command against the AdminService one at a time and in order (so a
// `flush` answers before the `stats` sent after it, and each command sees the effect of the ones
// before), and keeps the reply text until the connection has sent it. Owned by one reactor and
// touched only on its thread; the service's callbacks come back on that thread too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/ingest/line_splitter.h"
#include "net/admin/admin_service.h"

namespace ringstat {

// Longest command line, without its "\r\n": the line framing's own limit. A longer line is
// answered `huh? line too long` in its turn and the connection keeps working.
inline constexpr size_t kAdminLineBytesMax = kLineBytesMax;
// Received command text waiting for earlier commands to finish. Past this, wants_input() turns
// false; one more received chunk may still be queued, so the bound is this plus one chunk.
inline constexpr size_t kAdminQueuedBytesMax = 64 * 1024;
// Commands waiting likewise, however short (a flood of one-letter lines).
inline constexpr size_t kAdminQueuedCommandsMax = 1024;
// Reply text not yet sent past which wants_input() turns false (a client that writes commands but
// never reads). One command's reply can be larger (`delete.pattern *` echoes every name).
inline constexpr size_t kAdminOutputBytesMax = 256 * 1024;
// The reply to a first line that is not an admin command, after which the connection closes.
inline constexpr std::string_view kAdminRejectReply = "huh? not an admin command; closing";
// Every reply line ends with this (istatd wrote "\r\n"; every client splits on '\n').
inline constexpr std::string_view kAdminLineEnd = "\n";
// The most bytes of an unknown command echoed back in its `huh?` line.
inline constexpr size_t kEchoedCommandBytesMax = 64;

class AdminSession {
 public:
  // `wake` is called whenever reply text was added, during feed()/finish_input() or when an
  // asynchronous command finishes, so the connection can start a send. It must not call feed()
  // or finish_input() or destroy the session. After its own calls and after each wake, the
  // connection looks at pending_output() and should_close().
  AdminSession(AdminService& service, std::function<void()> wake);
  // The service may still hold callbacks for this session; they are ignored after destruction.
  ~AdminSession();
  AdminSession(const AdminSession&) = delete;
  AdminSession& operator=(const AdminSession&) = delete;

  // Received bytes: every complete line is queued and run in turn. Bytes after `quit` are
  // ignored. Not allowed after finish_input().
  //
  // The first non-blank line must start with a command name (help, stats, ...): anything else
  // (`GET / HTTP/1.1`, `POST / HTTP/1.1` from a web page's fetch, garbage, an over-long line)
  // runs nothing, neither itself nor any line after it; the session answers kAdminRejectReply
  // and closes, and rejected() turns true. This keeps a browser that can reach the admin port
  // from running the body of an HTTP request as commands.
  void feed(std::string_view bytes);
  // The peer closed its sending side: a last line without '\n' is run as a command, the queued
  // commands finish, and should_close() turns true once every reply has been sent.
  void finish_input();

  // Reply text not yet sent (a view valid until the next call on the session or the next wake),
  // and how much of it the connection has sent.
  std::string_view pending_output() const;
  void consume_output(size_t bytes);

  // False while too much is queued (kAdminQueuedBytesMax, kAdminQueuedCommandsMax) or unsent (stop
  // reading the socket), and after quit or EOF.
  bool wants_input() const;
  // True after `quit` or end of input once every command has finished and every reply has been
  // consumed: close the connection now.
  bool should_close() const;
  // True once the first line was refused (see feed()); the connection counts it.
  bool rejected() const { return rejected_; }

 private:
  struct Command;  // one entry of the command table (admin_session.cc)
  static std::span<const Command> commands();

  struct Pending {
    bool is_reply = false;  // true: `text` is a ready reply (a framing error), not a command
    std::string text;
  };

  void queue(bool is_reply, std::string text);
  // The first line decides whether this is an admin client at all (see feed()).
  bool admit_first_line(bool is_reply, std::string_view text);
  void pump();
  void run(std::string_view line);
  // Starts an asynchronous command; returns the id its completion must present.
  uint64_t begin_async();
  void complete(uint64_t command_id, std::string_view reply);
  void append_reply(std::string_view text);
  std::function<void(std::vector<std::string>)> echo_deleted_names(uint64_t command_id);

  void run_help(std::string_view arguments);
  void run_stats(std::string_view arguments);
  void run_flush(std::string_view arguments);
  void run_faketime(std::string_view arguments);
  void run_delete_counters(std::string_view arguments);
  void run_delete_pattern(std::string_view arguments);
  void run_quit(std::string_view arguments);

  AdminService& service_;
  std::function<void()> wake_;
  // Callbacks handed to the service hold a weak reference to this, so one that arrives after
  // the session is gone (connection closed mid-flush) does nothing.
  std::shared_ptr<AdminSession*> self_;

  CarryPool carry_pool_{1};  // one carry buffer: this connection's only partial line
  LineSplitter splitter_;
  std::deque<Pending> queue_;
  size_t queued_bytes_ = 0;
  bool in_flight_ = false;  // a command is waiting for the service
  uint64_t in_flight_id_ = 0;
  bool pumping_ = false;  // pump() is on the stack; a synchronous completion must not re-enter
  bool output_added_ = false;
  bool quit_ = false;
  bool first_line_seen_ = false;  // a non-blank first line arrived and named a command
  bool rejected_ = false;         // the first line named no command: nothing runs, then close
  bool input_finished_ = false;

  std::string output_;
  size_t output_sent_bytes_ = 0;  // the prefix of output_ already consumed
};

}  // namespace ringstat
