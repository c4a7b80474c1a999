#include "net/admin/admin_session.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "engine/query/glob.h"

namespace ringstat {
namespace {

// Records every call. Completes at once, or, with `deferred`, keeps each completion until the
// test runs it (the daemon's completions arrive later, from other reactors).
class FakeAdminService final : public AdminService {
 public:
  void stats(std::function<void(std::vector<std::pair<std::string, std::string>>)> done) override {
    calls.push_back("stats");
    finish([this, done = std::move(done)] {
      done({{"counters", std::to_string(counters.size())},
            {"connections", "2"},
            {"fake_time", std::to_string(fake_time_s)}});
    });
  }
  void flush(std::function<void()> done) override {
    calls.push_back("flush");
    finish(std::move(done));
  }
  bool fake_time_enabled() const override { return fake_time_enabled_; }
  void set_fake_time(int64_t t) override {
    calls.push_back("set_fake_time " + std::to_string(t));
    fake_time_s = t;
  }
  void delete_counters(std::vector<std::string> names,
                       std::function<void(std::vector<std::string>)> done) override {
    std::string call = "delete_counters";
    for (const std::string& name : names) call += " " + name;
    calls.push_back(call);
    finish([this, names = std::move(names), done = std::move(done)] {
      std::vector<std::string> deleted;
      for (const std::string& name : names) {
        if (counters.erase(name) > 0) deleted.push_back(name);
      }
      done(deleted);
    });
  }
  void delete_pattern(std::vector<std::string> globs,
                      std::function<void(std::vector<std::string>)> done) override {
    std::string call = "delete_pattern";
    for (const std::string& glob : globs) call += " " + glob;
    calls.push_back(call);
    finish([this, globs = std::move(globs), done = std::move(done)] {
      std::vector<std::string> deleted;
      for (auto it = counters.begin(); it != counters.end();) {
        const bool match = std::any_of(globs.begin(), globs.end(), [&](const std::string& glob) {
          return glob_match(glob, *it);
        });
        if (match) {
          deleted.push_back(*it);
          it = counters.erase(it);
        } else {
          ++it;
        }
      }
      done(deleted);
    });
  }

  // Runs the oldest deferred completion.
  void complete_next() {
    REQUIRE_FALSE(pending.empty());
    std::function<void()> next = std::move(pending.front());
    pending.erase(pending.begin());
    next();
  }

  bool deferred = false;
  bool fake_time_enabled_ = true;
  int64_t fake_time_s = 0;
  std::set<std::string> counters{"web.latency", "web.requests", "db.query", "*ignored"};
  std::vector<std::string> calls;
  std::vector<std::function<void()>> pending;

 private:
  void finish(std::function<void()> completion) {
    if (deferred) {
      pending.push_back(std::move(completion));
    } else {
      completion();
    }
  }
};

// A session plus everything it has sent, the way a connection would drain it.
struct Harness {
  Harness() : session(service, [this] { ++wakes; }) {}

  // Feeds `input` and returns what the session has to send, consuming it.
  std::string send(std::string_view input) {
    session.feed(input);
    return take();
  }
  std::string take() {
    std::string out(session.pending_output());
    session.consume_output(out.size());
    return out;
  }

  FakeAdminService service;
  int wakes = 0;
  AdminSession session;
};

TEST_CASE("help lists every command, then ok") {
  Harness h;
  const std::string out = h.send("help\n");
  for (const char* command : {"help", "stats", "flush", "faketime T", "delete.ctr name,...",
                              "delete.pattern glob,...", "quit"}) {
    const bool listed = ("\n" + out).find("\n" + std::string(command) + " - ") != std::string::npos;
    CHECK_MESSAGE(listed, command);
  }
  CHECK(out.ends_with("\nok\n"));
  CHECK(std::count(out.begin(), out.end(), '\n') == 8);
}

TEST_CASE("stats prints the service's key=value lines in order, then ok") {
  Harness h;
  CHECK(h.send("stats\n") == "counters=4\nconnections=2\nfake_time=0\nok\n");
  CHECK(h.service.calls == std::vector<std::string>{"stats"});
}

TEST_CASE("flush answers ok only when the service says everything is durable") {
  Harness h;
  h.service.deferred = true;
  CHECK(h.send("flush\n").empty());
  CHECK(h.service.calls == std::vector<std::string>{"flush"});
  const int wakes_before = h.wakes;
  h.service.complete_next();
  CHECK(h.wakes == wakes_before + 1);
  CHECK(h.take() == "ok\n");
}

TEST_CASE("a stats after a pending flush waits, and flush's ok comes first") {
  Harness h;
  h.service.deferred = true;
  CHECK(h.send("flush\nstats\n").empty());
  // One command at a time: stats is not even asked for until flush is done.
  CHECK(h.service.calls == std::vector<std::string>{"flush"});
  h.service.complete_next();
  CHECK(h.service.calls == std::vector<std::string>{"flush", "stats"});
  CHECK(h.take() == "ok\n");
  h.service.complete_next();
  CHECK(h.take() == "counters=4\nconnections=2\nfake_time=0\nok\n");
}

TEST_CASE("replies to synchronous commands queued behind an asynchronous one keep their order") {
  Harness h;
  h.service.deferred = true;
  CHECK(h.send("flush\nbogus\nfaketime 100\nflush\n").empty());
  h.service.complete_next();
  CHECK(h.take() == "ok\nhuh? unknown command 'bogus' (try help)\nok\n");
  CHECK(h.service.fake_time_s == 100);
  h.service.complete_next();
  CHECK(h.take() == "ok\n");
  CHECK(h.service.pending.empty());
}

TEST_CASE("a command split across reads runs once its newline arrives") {
  Harness h;
  CHECK(h.send("fl").empty());
  CHECK(h.send("us").empty());
  CHECK(h.service.calls.empty());
  CHECK(h.send("h\nsta").empty() == false);
  CHECK(h.service.calls == std::vector<std::string>{"flush"});
  CHECK(h.send("ts\r\n") == "counters=4\nconnections=2\nfake_time=0\nok\n");
}

TEST_CASE("CRLF line endings and surrounding blanks are accepted") {
  Harness h;
  CHECK(h.send("  flush \t\r\n") == "ok\n");
}

TEST_CASE("empty lines get no reply") {
  Harness h;
  CHECK(h.send("\n\r\n   \nflush\n\n") == "ok\n");
}

TEST_CASE("an unknown command gets one huh? line naming it") {
  Harness h;
  CHECK(h.send("help\n").ends_with("ok\n"));  // past the first line, which must be a command
  CHECK(h.send("frobnicate now\n") == "huh? unknown command 'frobnicate' (try help)\n");
  CHECK(h.send("STATS\n") == "huh? unknown command 'STATS' (try help)\n");
  CHECK(h.service.calls.empty());
}

TEST_CASE("an unknown command's echo is printable and short") {
  Harness h;
  CHECK(h.send("help\n").ends_with("ok\n"));
  const std::string out = h.send(std::string("a\x01\x7f\xff", 4) + std::string(200, 'x') + "\n");
  CHECK(out.starts_with("huh? unknown command 'a???xxx"));
  CHECK(out.ends_with("...' (try help)\n"));
  CHECK(std::count(out.begin(), out.end(), '\n') == 1);
  CHECK(out.size() < kEchoedCommandBytesMax + 40);
}

TEST_CASE("commands without arguments refuse arguments") {
  Harness h;
  for (const char* command : {"help", "stats", "flush", "quit"}) {
    CAPTURE(command);
    CHECK(h.send(std::string(command) + " now\n") ==
          "huh? " + std::string(command) + " takes no arguments\n");
  }
  CHECK(h.service.calls.empty());
  CHECK_FALSE(h.session.should_close());
}

TEST_CASE("a line over the limit is answered huh? line too long and the next command works") {
  Harness h;
  CHECK(h.send("help\n").ends_with("ok\n"));
  const std::string long_line(kAdminLineBytesMax + 1, 's');
  CHECK(h.send(long_line + "\nflush\n") == "huh? line too long\nok\n");
  // Split across reads, and ended by EOF without a newline.
  CHECK(h.send(std::string(kAdminLineBytesMax, 'a')).empty());
  CHECK(h.send(std::string(10, 'a')) == "huh? line too long\n");
  CHECK(h.send(std::string(100'000, 'b') + "\nstats\n") ==
        "counters=4\nconnections=2\nfake_time=0\nok\n");
  // Exactly at the limit is a line like any other.
  CHECK(h.send(std::string(kAdminLineBytesMax, 'z') + "\n").starts_with("huh? unknown command"));
}

TEST_CASE("a too-long line's reply waits its turn behind a pending command") {
  Harness h;
  h.service.deferred = true;
  CHECK(h.send("flush\n" + std::string(kAdminLineBytesMax + 10, 'x') + "\n").empty());
  h.service.complete_next();
  CHECK(h.take() == "ok\nhuh? line too long\n");
}

TEST_CASE("faketime sets the clock only when the daemon runs on a fake clock") {
  Harness h;
  CHECK(h.send("faketime 1795240560\n") == "ok\n");
  CHECK(h.service.fake_time_s == 1795240560);
  CHECK(h.send("stats\n") == "counters=4\nconnections=2\nfake_time=1795240560\nok\n");

  Harness real;
  real.service.fake_time_enabled_ = false;
  CHECK(real.send("faketime 1795240560\n") ==
        "huh? faketime needs the daemon started with --fake-time\n");
  CHECK(real.service.calls.empty());
}

TEST_CASE("faketime takes exactly one positive integer time") {
  Harness h;
  for (const char* bad :
       {"faketime", "faketime 0", "faketime -5", "faketime abc", "faketime 12x", "faketime 1,2",
        "faketime 1.5", "faketime 1 2", "faketime 253402300800", "faketime 99999999999999999999"}) {
    CAPTURE(bad);
    const std::string out = h.send(std::string(bad) + "\n");
    CHECK(out.starts_with("huh? faketime needs one unix time"));
    CHECK(std::count(out.begin(), out.end(), '\n') == 1);
  }
  CHECK(h.service.calls.empty());
  CHECK(h.send("faketime 253402300799\n") == "ok\n");
}

TEST_CASE("delete.ctr echoes each deleted name and skips the unknown") {
  Harness h;
  CHECK(h.send("delete.ctr web.latency,nope.nope,db.query\n") == "web.latency\ndb.query\nok\n");
  CHECK(h.service.counters == std::set<std::string>{"web.requests", "*ignored"});
  CHECK(h.send("delete.ctr web.latency\n") == "ok\n");
}

TEST_CASE("delete.ctr normalises names as queries do and drops repeats") {
  Harness h;
  CHECK(h.send("delete.ctr  Web.Latency , *web.latency,web.latency,,\n") == "web.latency\nok\n");
  REQUIRE_FALSE(h.service.calls.empty());
  CHECK(h.service.calls.back() == "delete_counters web.latency");
}

TEST_CASE("delete.ctr with nothing to delete") {
  Harness h;
  CHECK(h.send("delete.ctr\n") == "huh? delete.ctr needs counter names\n");
  CHECK(h.send("delete.ctr  , ,\n") == "huh? delete.ctr needs counter names\n");
  // Names that cannot exist (over 255 bytes, or only the event marker) delete nothing.
  CHECK(h.send("delete.ctr " + std::string(300, 'n') + ",*\n") == "ok\n");
  CHECK(h.service.calls.empty());
}

TEST_CASE("delete.pattern deletes every counter matching a listing pattern") {
  Harness h;
  CHECK(h.send("delete.pattern web.*\n") == "web.latency\nweb.requests\nok\n");
  CHECK(h.service.counters == std::set<std::string>{"db.query", "*ignored"});
  CHECK(h.send("delete.pattern nothing.*,?.QUERY\n") == "db.query\nok\n");
  CHECK(h.service.calls.back() == "delete_pattern nothing.* ?.query");
}

TEST_CASE("delete.pattern refuses an empty list and an over-long pattern") {
  Harness h;
  CHECK(h.send("delete.pattern\n") == "huh? delete.pattern needs patterns\n");
  CHECK(h.send("delete.pattern " + std::string(kGlobPatternBytesMax + 1, '*') + ",web.*\n") ==
        "huh? pattern longer than 1024 bytes\n");
  CHECK(h.service.calls.empty());
  CHECK(h.service.counters.size() == 4);
}

TEST_CASE("quit answers ok, then the session closes once everything is sent") {
  Harness h;
  h.session.feed("stats\nquit\nflush\n");
  CHECK_FALSE(h.session.wants_input());
  CHECK_FALSE(h.session.should_close());  // the replies are not sent yet
  CHECK(h.take() == "counters=4\nconnections=2\nfake_time=0\nok\nok\n");
  CHECK(h.session.should_close());
  // Nothing after quit ran, and later bytes are ignored.
  CHECK(h.service.calls == std::vector<std::string>{"stats"});
  h.session.feed("flush\n");
  CHECK(h.session.pending_output().empty());
  CHECK(h.service.calls == std::vector<std::string>{"stats"});
}

TEST_CASE("quit behind a pending flush waits for flush's ok (istatd dropped it)") {
  Harness h;
  h.service.deferred = true;
  h.session.feed("flush\nquit\n");
  CHECK(h.take().empty());
  CHECK_FALSE(h.session.should_close());
  h.service.complete_next();
  CHECK_FALSE(h.session.should_close());
  CHECK(h.take() == "ok\nok\n");
  CHECK(h.session.should_close());
}

TEST_CASE("a partly sent reply keeps the session open until the rest is consumed") {
  Harness h;
  h.session.feed("stats\nquit\n");
  const std::string all(h.session.pending_output());
  h.session.consume_output(5);
  CHECK(h.session.pending_output() == all.substr(5));
  CHECK_FALSE(h.session.should_close());
  h.session.consume_output(all.size() - 6);
  CHECK(h.session.pending_output() == all.substr(all.size() - 1));
  CHECK_FALSE(h.session.should_close());
  h.session.consume_output(1);
  CHECK(h.session.should_close());
}

TEST_CASE("end of input runs a last line without newline, then closes when done") {
  Harness h;
  h.service.deferred = true;
  h.session.feed("stats\nflu");
  h.session.feed("sh");
  h.session.finish_input();
  CHECK_FALSE(h.session.wants_input());
  CHECK(h.service.calls == std::vector<std::string>{"stats"});
  h.service.complete_next();
  CHECK(h.service.calls == std::vector<std::string>{"stats", "flush"});
  CHECK_FALSE(h.session.should_close());
  h.service.complete_next();
  CHECK(h.take() == "counters=4\nconnections=2\nfake_time=0\nok\nok\n");
  CHECK(h.session.should_close());
}

TEST_CASE("end of input with nothing pending closes at once") {
  Harness h;
  h.session.finish_input();
  CHECK(h.session.should_close());
}

TEST_CASE("a completion arriving after the session is gone does nothing") {
  FakeAdminService service;
  service.deferred = true;
  {
    AdminSession session(service, [] {});
    session.feed("flush\n");
    // A partial line holds a carry buffer; destruction must give it back.
    session.feed("sta");
  }
  service.complete_next();
  CHECK(service.pending.empty());
}

TEST_CASE("wake fires when a reply is added, during feed or later") {
  Harness h;
  h.send("flush\n");
  CHECK(h.wakes == 1);
  h.service.deferred = true;
  h.send("flush\n");
  CHECK(h.wakes == 1);
  h.service.complete_next();
  CHECK(h.wakes == 2);
  h.send("\n");
  CHECK(h.wakes == 2);  // no reply, no wake
}

// The admin port's first-line rule (feed()): a web page can make a browser connect to the admin
// port and send an HTTP request whose body is admin commands; none of it may run.
TEST_CASE("an HTTP POST to the admin port runs nothing, not even the body, and closes") {
  Harness h;
  const std::string request =
      "POST / HTTP/1.1\r\nHost: 127.0.0.1:18031\r\nContent-Type: text/plain\r\n"
      "Content-Length: 35\r\n\r\ndelete.pattern *\nfaketime 5\nquit\n";
  CHECK(h.send(request) == std::string(kAdminRejectReply) + "\n");
  CHECK(h.session.rejected());
  CHECK(h.service.calls.empty());
  CHECK(h.service.counters.size() == 4);
  CHECK_FALSE(h.session.wants_input());
  CHECK(h.session.should_close());
  // Later bytes are ignored too.
  h.session.feed("delete.ctr web.latency\n");
  CHECK(h.session.pending_output().empty());
  CHECK(h.service.calls.empty());
}

TEST_CASE("the first line decides even when it arrives in pieces") {
  Harness h;
  CHECK(h.send("GET / HT").empty());
  CHECK_FALSE(h.session.rejected());
  CHECK(h.send("TP/1.1\r\n\r\nflush\n") == std::string(kAdminRejectReply) + "\n");
  CHECK(h.session.rejected());
  CHECK(h.service.calls.empty());
}

TEST_CASE("a first line that is garbage, over-long, or unknown is refused") {
  for (const std::string& first :
       {std::string("\x16\x03\x01\x02\x00\n"), std::string(kAdminLineBytesMax + 1, 'x') + "\n",
        std::string("frobnicate\n"), std::string("STATS\n"), std::string("OPTIONS * HTTP/1.1\n")}) {
    CAPTURE(first.substr(0, 20));
    Harness h;
    CHECK(h.send(first + "stats\n") == std::string(kAdminRejectReply) + "\n");
    CHECK(h.session.rejected());
    CHECK(h.service.calls.empty());
    CHECK(h.session.should_close());
  }
}

TEST_CASE("a first line without newline at end of input is refused the same way") {
  Harness h;
  h.session.feed("GET /metrics HTTP/1.0");
  h.session.finish_input();
  CHECK(h.take() == std::string(kAdminRejectReply) + "\n");
  CHECK(h.session.rejected());
  CHECK(h.session.should_close());
}

TEST_CASE("blank lines before the first command, and a known command with bad arguments, pass") {
  Harness h;
  CHECK(h.send("\r\n\n  \nstats now\n") == "huh? stats takes no arguments\n");
  CHECK_FALSE(h.session.rejected());
  CHECK(h.send("bogus\nflush\n") == "huh? unknown command 'bogus' (try help)\nok\n");
  CHECK_FALSE(h.session.rejected());
  CHECK(h.service.calls == std::vector<std::string>{"flush"});
}

TEST_CASE("the session stops wanting input while replies pile up unsent") {
  Harness h;
  std::string commands;
  while (commands.size() < 4096) commands += "help\n";
  size_t rounds = 0;
  while (h.session.wants_input()) {
    h.session.feed(commands);
    ++rounds;
    REQUIRE(rounds < 10'000);
  }
  CHECK(h.session.pending_output().size() >= kAdminOutputBytesMax);
  h.take();
  CHECK(h.session.wants_input());
}

TEST_CASE("the session stops wanting input while commands queue behind a slow one") {
  Harness h;
  h.service.deferred = true;
  h.session.feed("flush\n");
  const std::string chunk = "stats" + std::string(1000, ' ') + "\n";
  size_t rounds = 0;
  while (h.session.wants_input()) {
    h.session.feed(chunk);
    ++rounds;
    REQUIRE(rounds < 10'000);
  }
  CHECK(rounds * chunk.size() >= kAdminQueuedBytesMax);
  CHECK(rounds < kAdminQueuedCommandsMax);
  h.service.complete_next();
  // stats runs next, the rest wait behind it again.
  CHECK(h.service.calls.size() == 2);
  while (!h.service.pending.empty()) h.service.complete_next();
  CHECK(h.session.wants_input());
  CHECK(h.service.calls.size() == rounds + 1);
}

TEST_CASE(
    "a flood of short commands behind a slow one is bounded by count; blank lines are not queued") {
  Harness h;
  h.service.deferred = true;
  h.session.feed("flush\n");
  h.session.feed(std::string(100'000, '\n'));
  CHECK(h.session.wants_input());  // blank lines are dropped, not queued
  size_t rounds = 0;
  while (h.session.wants_input()) {
    h.session.feed("x\n");
    ++rounds;
    REQUIRE(rounds < 10'000);
  }
  CHECK(rounds == kAdminQueuedCommandsMax);
  h.service.complete_next();
  const std::string out = h.take();
  CHECK(std::count(out.begin(), out.end(), '\n') == static_cast<long>(rounds) + 1);
  CHECK(h.session.wants_input());
}

TEST_CASE("thousands of synchronous commands in one read are answered without recursion") {
  Harness h;
  std::string commands;
  constexpr int kCommands = 20'000;
  for (int i = 0; i < kCommands; ++i) commands += "flush\n";
  const std::string out = h.send(commands);
  CHECK(std::count(out.begin(), out.end(), '\n') == kCommands);
  CHECK(h.service.calls.size() == kCommands);
}

}  // namespace
}  // namespace ringstat
