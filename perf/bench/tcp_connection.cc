#include "perf/bench/tcp_connection.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ringstat {
namespace {

std::string errno_text(std::string_view what, int error_number) {
  std::string text(what);
  text += ": ";
  text += std::strerror(error_number);
  return text;
}

// Waits until fd is ready for `events`; false on timeout or poll failure (errno set).
bool wait_ready(int fd, short events, int timeout_ms) {
  pollfd entry{.fd = fd, .events = events, .revents = 0};
  for (;;) {
    int ready = ::poll(&entry, 1, timeout_ms);
    if (ready > 0) return true;
    if (ready == 0) {
      errno = ETIMEDOUT;
      return false;
    }
    if (errno != EINTR) return false;
  }
}

// One connect attempt to one resolved address; the fd on success, -1 with `error` set.
int connect_one(const addrinfo& address, int timeout_ms, std::string& error) {
  int fd = ::socket(address.ai_family, address.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    address.ai_protocol);
  if (fd < 0) {
    error = errno_text("socket", errno);
    return -1;
  }
  if (::connect(fd, address.ai_addr, address.ai_addrlen) != 0) {
    if (errno != EINPROGRESS) {
      error = errno_text("connect", errno);
      ::close(fd);
      return -1;
    }
    if (!wait_ready(fd, POLLOUT, timeout_ms)) {
      error = errno_text("connect", errno);
      ::close(fd);
      return -1;
    }
    int socket_error = 0;
    socklen_t length = sizeof(socket_error);
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &socket_error, &length);
    if (socket_error != 0) {
      error = errno_text("connect", socket_error);
      ::close(fd);
      return -1;
    }
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

}  // namespace

Status TcpConnection::connect(const TcpEndpoint& endpoint, int timeout_ms) {
  close();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* addresses = nullptr;
  std::string port = std::to_string(endpoint.port);
  int rc = ::getaddrinfo(endpoint.host.c_str(), port.c_str(), &hints, &addresses);
  if (rc != 0) {
    return Error{"resolve " + endpoint.host + ": " + ::gai_strerror(rc)};
  }
  std::string error = "no address for " + endpoint.host;
  for (addrinfo* address = addresses; address != nullptr; address = address->ai_next) {
    fd_ = connect_one(*address, timeout_ms, error);
    if (fd_ >= 0) break;
  }
  ::freeaddrinfo(addresses);
  if (fd_ < 0) return Error{endpoint.host + ":" + port + ": " + error};
  return Ok{};
}

void TcpConnection::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Status TcpConnection::send_all(std::string_view bytes, int timeout_ms) {
  if (fd_ < 0) return Error{"send: not connected"};
  while (!bytes.empty()) {
    ssize_t sent = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent > 0) {
      bytes.remove_prefix(static_cast<size_t>(sent));
      continue;
    }
    if (sent < 0 && errno == EINTR) continue;
    if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait_ready(fd_, POLLOUT, timeout_ms)) return Error{errno_text("send", errno)};
      continue;
    }
    return Error{errno_text("send", sent < 0 ? errno : EPIPE)};
  }
  return Ok{};
}

ReadOutcome TcpConnection::read_some(std::string& out, int timeout_ms, std::string& error) {
  if (fd_ < 0) {
    error = "read: not connected";
    return ReadOutcome::kError;
  }
  size_t old_size = out.size();
  out.resize(old_size + kReadChunkBytes);
  for (;;) {
    ssize_t got = ::recv(fd_, out.data() + old_size, kReadChunkBytes, 0);
    if (got > 0) {
      out.resize(old_size + static_cast<size_t>(got));
      return ReadOutcome::kData;
    }
    if (got == 0) {
      out.resize(old_size);
      return ReadOutcome::kClosed;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (wait_ready(fd_, POLLIN, timeout_ms)) continue;
    }
    error = errno_text("read", errno);
    out.resize(old_size);
    return ReadOutcome::kError;
  }
}

}  // namespace ringstat
