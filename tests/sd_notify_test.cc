#include "net/process/sd_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include "tests/cmd_test_support.h"

namespace ringstat {
namespace {

using testing::TempDir;

// Sets or unsets $NOTIFY_SOCKET for one test and puts the old value back.
class ScopedNotifySocket {
 public:
  explicit ScopedNotifySocket(const char* value) {
    if (const char* old = std::getenv("NOTIFY_SOCKET")) old_ = old;
    if (value == nullptr) {
      unsetenv("NOTIFY_SOCKET");
    } else {
      setenv("NOTIFY_SOCKET", value, 1);
    }
  }
  ~ScopedNotifySocket() {
    if (old_) {
      setenv("NOTIFY_SOCKET", old_->c_str(), 1);
    } else {
      unsetenv("NOTIFY_SOCKET");
    }
  }

 private:
  std::optional<std::string> old_;
};

// A datagram socket standing in for systemd. `name` starting with '@' is abstract.
class Receiver {
 public:
  explicit Receiver(const std::string& name) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    REQUIRE(name.size() <= sizeof(address.sun_path));
    std::memcpy(address.sun_path, name.data(), name.size());
    if (name[0] == '@') address.sun_path[0] = '\0';
    const auto bytes = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
    REQUIRE(bind(fd_, reinterpret_cast<const sockaddr*>(&address), bytes) == 0);
  }
  ~Receiver() { close(fd_); }

  // The next datagram; the sender has already returned, so it is queued (no waiting on time).
  std::string receive() {
    char buffer[kNotifyBytesMax + 16];
    const ssize_t bytes = recv(fd_, buffer, sizeof(buffer), MSG_DONTWAIT);
    REQUIRE(bytes >= 0);
    return std::string(buffer, static_cast<size_t>(bytes));
  }
  bool empty() {
    char byte = 0;
    return recv(fd_, &byte, 1, MSG_DONTWAIT | MSG_PEEK) < 0;
  }

 private:
  int fd_ = -1;
};

std::string abstract_name(const char* tag) {
  return "@ringstat-sd-notify-test-" + std::to_string(getpid()) + "-" + tag;
}

TEST_CASE("notify without NOTIFY_SOCKET sends nothing and says so") {
  const ScopedNotifySocket unset(nullptr);
  const Result<NotifyOutcome> outcome = notify("READY=1");
  REQUIRE(outcome.ok());
  CHECK(outcome.value() == NotifyOutcome::kNotConfigured);

  const ScopedNotifySocket empty("");
  const Result<NotifyOutcome> empty_outcome = notify("READY=1");
  REQUIRE(empty_outcome.ok());
  CHECK(empty_outcome.value() == NotifyOutcome::kNotConfigured);
}

TEST_CASE("READY=1 reaches a filesystem socket named by NOTIFY_SOCKET as one datagram") {
  const TempDir dir;
  const std::string path = dir.file("notify");
  Receiver systemd(path);
  const ScopedNotifySocket socket(path.c_str());
  const Result<NotifyOutcome> outcome = notify("READY=1");
  REQUIRE_MESSAGE(outcome.ok(), outcome.error());
  CHECK(outcome.value() == NotifyOutcome::kSent);
  CHECK(systemd.receive() == "READY=1");
  CHECK(systemd.empty());
}

TEST_CASE("a leading @ in NOTIFY_SOCKET means the abstract namespace") {
  const std::string name = abstract_name("abstract");
  Receiver systemd(name);
  const ScopedNotifySocket socket(name.c_str());
  REQUIRE(notify("STOPPING=1").ok());
  CHECK(systemd.receive() == "STOPPING=1");
}

TEST_CASE("several state lines travel in a single datagram") {
  const std::string name = abstract_name("lines");
  Receiver systemd(name);
  const std::string state = "STOPPING=1\nSTATUS=draining 3 reactors";
  REQUIRE(notify_socket(name, state).ok());
  CHECK(systemd.receive() == state);
  CHECK(systemd.empty());
}

TEST_CASE("successive notifications arrive in order") {
  const std::string name = abstract_name("order");
  Receiver systemd(name);
  REQUIRE(notify_socket(name, "READY=1").ok());
  REQUIRE(notify_socket(name, "STOPPING=1").ok());
  CHECK(systemd.receive() == "READY=1");
  CHECK(systemd.receive() == "STOPPING=1");
}

TEST_CASE("a NOTIFY_SOCKET that is neither absolute nor abstract is an error") {
  for (const char* bad : {"relative/notify", "notify", "vsock:2:1234"}) {
    CAPTURE(bad);
    const Result<NotifyOutcome> outcome = notify_socket(bad, "READY=1");
    REQUIRE_FALSE(outcome.ok());
    CHECK(outcome.error().find(bad) != std::string::npos);
  }
  const ScopedNotifySocket socket("relative/notify");
  CHECK_FALSE(notify("READY=1").ok());
}

TEST_CASE("a NOTIFY_SOCKET too short or too long for sun_path is an error") {
  CHECK_FALSE(notify_socket("@", "READY=1").ok());
  CHECK_FALSE(notify_socket("/", "READY=1").ok());
  const std::string long_path = "/" + std::string(sizeof(sockaddr_un::sun_path), 'x');
  const Result<NotifyOutcome> outcome = notify_socket(long_path, "READY=1");
  REQUIRE_FALSE(outcome.ok());
  CHECK(outcome.error().find("length") != std::string::npos);
}

TEST_CASE("a NOTIFY_SOCKET with nobody listening is an error naming it") {
  const TempDir dir;
  const std::string path = dir.file("gone");
  const Result<NotifyOutcome> outcome = notify_socket(path, "READY=1");
  REQUIRE_FALSE(outcome.ok());
  CHECK(outcome.error().find(path) != std::string::npos);
  CHECK_FALSE(notify_socket(abstract_name("nobody"), "READY=1").ok());
}

TEST_CASE("an empty or oversized state is refused before anything is sent") {
  const std::string name = abstract_name("size");
  Receiver systemd(name);
  CHECK_FALSE(notify_socket(name, "").ok());
  CHECK_FALSE(notify_socket(name, std::string(kNotifyBytesMax + 1, 'x')).ok());
  CHECK(systemd.empty());
  const std::string largest = "STATUS=" + std::string(kNotifyBytesMax - 7, 'x');
  REQUIRE(notify_socket(name, largest).ok());
  CHECK(systemd.receive() == largest);
}

}  // namespace
}  // namespace ringstat
