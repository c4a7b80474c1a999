#include "net/admin/admin_session.h"

#include <charconv>
#include <optional>
#include <span>
#include <unordered_set>
#include <utility>
#include <vector>

#include "base/verify.h"
#include "engine/ingest/counter_name.h"
#include "engine/query/glob.h"
#include "engine/query/query_plan.h"

namespace ringstat {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// The comma-separated arguments, each trimmed; empty ones (`a,,b`, a trailing comma) are skipped.
std::vector<std::string_view> split_arguments(std::string_view arguments) {
  std::vector<std::string_view> parts;
  while (!arguments.empty()) {
    const size_t comma = arguments.find(',');
    const std::string_view part = trim(arguments.substr(0, comma));
    if (!part.empty()) parts.push_back(part);
    if (comma == std::string_view::npos) break;
    arguments.remove_prefix(comma + 1);
  }
  return parts;
}

// A client's bytes quoted in a reply: printable ASCII only, so the reply stays one line.
std::string printable(std::string_view text) {
  std::string out;
  for (const char c : text.substr(0, kEchoedCommandBytesMax)) {
    out += (c >= ' ' && c <= '~') ? c : '?';
  }
  if (text.size() > kEchoedCommandBytesMax) out += "...";
  return out;
}

std::string reply_line(std::string_view text) {
  std::string line(text);
  line += kAdminLineEnd;
  return line;
}

const std::string& ok_line() {
  static const std::string line = reply_line("ok");
  return line;
}

}  // namespace

struct AdminSession::Command {
  std::string_view name;
  std::string_view usage;
  std::string_view description;
  void (AdminSession::*run)(std::string_view arguments);
};

std::span<const AdminSession::Command> AdminSession::commands() {
  static constexpr Command kCommands[] = {
      {"help", "help", "list the commands", &AdminSession::run_help},
      {"stats", "stats", "print key=value statistics", &AdminSession::run_stats},
      {"flush", "flush", "answer ok once everything read before is durable and queryable",
       &AdminSession::run_flush},
      {"faketime", "faketime T",
       "set the clock to unix time T (only when started with --fake-time)",
       &AdminSession::run_faketime},
      {"delete.ctr", "delete.ctr name,...",
       "delete counters and their data, echoing each deleted name",
       &AdminSession::run_delete_counters},
      {"delete.pattern", "delete.pattern glob,...",
       "delete every counter matching a listing pattern, echoing each name",
       &AdminSession::run_delete_pattern},
      {"quit", "quit", "close the connection once every reply is sent", &AdminSession::run_quit},
  };
  return kCommands;
}

AdminSession::AdminSession(AdminService& service, std::function<void()> wake)
    : service_(service), wake_(std::move(wake)), self_(std::make_shared<AdminSession*>(this)) {}

AdminSession::~AdminSession() { splitter_.release(carry_pool_); }

void AdminSession::feed(std::string_view bytes) {
  VERIFY(!input_finished_);
  if (quit_) return;
  splitter_.feed(
      bytes, carry_pool_, [this](std::string_view line) { queue(false, std::string(line)); },
      [this](RejectReason reason) {
        queue(true, reply_line(reason == RejectReason::kLineTooLong ? "huh? line too long"
                                                                    : "huh? line dropped"));
      });
  // The partial line after a refused first line is never going to run.
  if (rejected_) splitter_.release(carry_pool_);
  pump();
}

void AdminSession::finish_input() {
  VERIFY(!input_finished_);
  input_finished_ = true;
  if (!quit_) {
    splitter_.finish(
        carry_pool_, [this](std::string_view line) { queue(false, std::string(line)); },
        [this](RejectReason) { queue(true, reply_line("huh? line too long")); });
  }
  pump();
}

std::string_view AdminSession::pending_output() const {
  return std::string_view(output_).substr(output_sent_bytes_);
}

void AdminSession::consume_output(size_t bytes) {
  VERIFY(bytes <= output_.size() - output_sent_bytes_);
  output_sent_bytes_ += bytes;
  if (output_sent_bytes_ == output_.size()) {
    output_.clear();
    output_sent_bytes_ = 0;
  } else if (output_sent_bytes_ >= output_.size() / 2) {
    // Compacting only once half is sent keeps the cost linear in the bytes sent.
    output_.erase(0, output_sent_bytes_);
    output_sent_bytes_ = 0;
  }
}

bool AdminSession::wants_input() const {
  return !quit_ && !input_finished_ && queued_bytes_ < kAdminQueuedBytesMax &&
         queue_.size() < kAdminQueuedCommandsMax && pending_output().size() < kAdminOutputBytesMax;
}

bool AdminSession::should_close() const {
  return (quit_ || input_finished_) && !in_flight_ && queue_.empty() && pending_output().empty();
}

void AdminSession::queue(bool is_reply, std::string text) {
  if (rejected_) return;
  // A blank line gets no reply, so it need not wait its turn (nor take a queue entry).
  if (!is_reply && trim(text).empty()) return;
  if (!first_line_seen_ && !admit_first_line(is_reply, text)) return;
  queued_bytes_ += text.size();
  queue_.push_back(Pending{is_reply, std::move(text)});
}

bool AdminSession::admit_first_line(bool is_reply, std::string_view text) {
  if (!is_reply) {
    const std::string_view line = trim(text);
    const std::string_view name = line.substr(0, line.find_first_of(" \t"));
    for (const Command& command : commands()) {
      if (command.name == name) {
        first_line_seen_ = true;
        return true;
      }
    }
  }
  // Nothing ran before the first line, so nothing is queued or in flight: the refusal is the
  // only reply, and quit_ makes the session ignore the rest and close once it is sent.
  VERIFY(queue_.empty() && !in_flight_);
  rejected_ = true;
  quit_ = true;
  append_reply(reply_line(kAdminRejectReply));
  return false;
}

void AdminSession::pump() {
  if (pumping_) return;
  pumping_ = true;
  while (!in_flight_ && !queue_.empty()) {
    Pending next = std::move(queue_.front());
    queue_.pop_front();
    VERIFY(queued_bytes_ >= next.text.size());
    queued_bytes_ -= next.text.size();
    if (next.is_reply) {
      append_reply(next.text);
    } else {
      run(next.text);
    }
  }
  pumping_ = false;
  if (output_added_) {
    output_added_ = false;
    if (wake_) wake_();
  }
}

void AdminSession::run(std::string_view line) {
  line = trim(line);
  // A bare Enter in a telnet session is not a command; queue() dropped it.
  VERIFY(!line.empty());
  const size_t space = line.find_first_of(" \t");
  const std::string_view name = line.substr(0, space);
  const std::string_view arguments =
      space == std::string_view::npos ? std::string_view() : trim(line.substr(space + 1));
  for (const Command& command : commands()) {
    if (command.name != name) continue;
    (this->*command.run)(arguments);
    return;
  }
  append_reply(reply_line("huh? unknown command '" + printable(name) + "' (try help)"));
}

uint64_t AdminSession::begin_async() {
  VERIFY(!in_flight_);
  in_flight_ = true;
  return ++in_flight_id_;
}

void AdminSession::complete(uint64_t command_id, std::string_view reply) {
  // One completion per command: a second one, or one for another command, is a service bug.
  VERIFY(in_flight_);
  VERIFY(command_id == in_flight_id_);
  in_flight_ = false;
  append_reply(reply);
  pump();
}

void AdminSession::append_reply(std::string_view text) {
  output_ += text;
  output_added_ = true;
}

std::function<void(std::vector<std::string>)> AdminSession::echo_deleted_names(
    uint64_t command_id) {
  return [self = std::weak_ptr<AdminSession*>(self_), command_id](std::vector<std::string> names) {
    const std::shared_ptr<AdminSession*> session = self.lock();
    if (!session) return;
    std::string reply;
    for (const std::string& name : names) reply += reply_line(name);
    reply += ok_line();
    (*session)->complete(command_id, reply);
  };
}

void AdminSession::run_help(std::string_view arguments) {
  if (!arguments.empty()) return append_reply(reply_line("huh? help takes no arguments"));
  std::string reply;
  for (const Command& command : commands()) {
    reply += command.usage;
    reply += " - ";
    reply += command.description;
    reply += kAdminLineEnd;
  }
  append_reply(reply + ok_line());
}

void AdminSession::run_stats(std::string_view arguments) {
  if (!arguments.empty()) return append_reply(reply_line("huh? stats takes no arguments"));
  const uint64_t id = begin_async();
  service_.stats([self = std::weak_ptr<AdminSession*>(self_),
                  id](std::vector<std::pair<std::string, std::string>> values) {
    const std::shared_ptr<AdminSession*> session = self.lock();
    if (!session) return;
    std::string reply;
    for (const auto& [key, value] : values) {
      VERIFY(!key.empty());
      VERIFY(key.find_first_of("=\n") == std::string::npos);
      VERIFY(value.find('\n') == std::string::npos);
      reply += key;
      reply += '=';
      reply += value;
      reply += kAdminLineEnd;
    }
    reply += ok_line();
    (*session)->complete(id, reply);
  });
}

void AdminSession::run_flush(std::string_view arguments) {
  if (!arguments.empty()) return append_reply(reply_line("huh? flush takes no arguments"));
  const uint64_t id = begin_async();
  service_.flush([self = std::weak_ptr<AdminSession*>(self_), id]() {
    const std::shared_ptr<AdminSession*> session = self.lock();
    if (session) (*session)->complete(id, ok_line());
  });
}

void AdminSession::run_faketime(std::string_view arguments) {
  if (!service_.fake_time_enabled()) {
    return append_reply(reply_line("huh? faketime needs the daemon started with --fake-time"));
  }
  int64_t time_s = 0;
  const char* const end = arguments.data() + arguments.size();
  const auto parsed = std::from_chars(arguments.data(), end, time_s);
  if (arguments.empty() || parsed.ec != std::errc() || parsed.ptr != end || time_s <= 0 ||
      time_s > kQueryTime_s_max) {
    return append_reply(reply_line("huh? faketime needs one unix time in seconds, 1.." +
                                   std::to_string(kQueryTime_s_max)));
  }
  service_.set_fake_time(time_s);
  append_reply(ok_line());
}

void AdminSession::run_delete_counters(std::string_view arguments) {
  const std::vector<std::string_view> raw_names = split_arguments(arguments);
  if (raw_names.empty()) return append_reply(reply_line("huh? delete.ctr needs counter names"));
  // Normalised as queries are, so `delete.ctr Web.Latency` finds `web.latency`. A name that
  // cannot be normalised (over 255 bytes) cannot exist and is skipped like an unknown one.
  std::vector<std::string> names;
  std::unordered_set<std::string> seen;
  char buffer[kNameBytesMax];
  for (const std::string_view raw : raw_names) {
    const std::optional<std::string_view> name =
        normalize_query_name(raw, std::span<char, kNameBytesMax>(buffer));
    if (!name || name->empty()) continue;
    if (seen.emplace(*name).second) names.emplace_back(*name);
  }
  if (names.empty()) return append_reply(ok_line());
  const uint64_t id = begin_async();
  service_.delete_counters(std::move(names), echo_deleted_names(id));
}

void AdminSession::run_delete_pattern(std::string_view arguments) {
  const std::vector<std::string_view> raw_globs = split_arguments(arguments);
  if (raw_globs.empty()) return append_reply(reply_line("huh? delete.pattern needs patterns"));
  std::vector<std::string> globs;
  std::unordered_set<std::string> seen;
  for (const std::string_view raw : raw_globs) {
    if (raw.size() > kGlobPatternBytesMax) {
      return append_reply(reply_line("huh? pattern longer than " +
                                     std::to_string(kGlobPatternBytesMax) + " bytes"));
    }
    // Stored names are lower case, so an upper-case letter could never match: fold it, as the
    // query path does for names.
    std::string glob(raw);
    for (char& c : glob) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    if (seen.insert(glob).second) globs.push_back(std::move(glob));
  }
  const uint64_t id = begin_async();
  service_.delete_pattern(std::move(globs), echo_deleted_names(id));
}

void AdminSession::run_quit(std::string_view arguments) {
  if (!arguments.empty()) return append_reply(reply_line("huh? quit takes no arguments"));
  append_reply(ok_line());
  quit_ = true;
  // Everything after quit is ignored; the replies before it are still sent.
  queue_.clear();
  queued_bytes_ = 0;
  splitter_.release(carry_pool_);
}

}  // namespace ringstat
