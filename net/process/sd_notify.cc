#include "net/process/sd_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

namespace ringstat {
namespace {

std::string system_error(std::string_view what, std::string_view socket_path) {
  return std::string(what) + " NOTIFY_SOCKET " + std::string(socket_path) + ": " +
         std::strerror(errno);
}

// Closes the socket on every return path.
struct SocketCloser {
  int fd;
  ~SocketCloser() { ::close(fd); }
};

}  // namespace

Result<NotifyOutcome> notify_socket(std::string_view socket_path, std::string_view state) {
  if (state.empty() || state.size() > kNotifyBytesMax) {
    return Error{"sd_notify state must be 1.." + std::to_string(kNotifyBytesMax) + " bytes"};
  }
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  // As sd_notify(3)'s reference implementation: the name is not NUL-terminated in the address;
  // its length says where it ends (required for abstract names, harmless for paths).
  if (socket_path.empty() || (socket_path[0] != '/' && socket_path[0] != '@')) {
    return Error{"NOTIFY_SOCKET " + std::string(socket_path) +
                 " is neither an absolute path nor an abstract name (@name)"};
  }
  if (socket_path.size() < 2 || socket_path.size() > sizeof(address.sun_path)) {
    return Error{"NOTIFY_SOCKET " + std::string(socket_path) + " has a bad length"};
  }
  std::memcpy(address.sun_path, socket_path.data(), socket_path.size());
  if (address.sun_path[0] == '@') address.sun_path[0] = '\0';
  const auto address_bytes =
      static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_path.size());

  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error{system_error("cannot create a socket for", socket_path)};
  const SocketCloser closer{fd};
  ssize_t sent = 0;
  do {
    sent = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
                    reinterpret_cast<const sockaddr*>(&address), address_bytes);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) return Error{system_error("cannot send to", socket_path)};
  if (static_cast<size_t>(sent) != state.size()) {
    return Error{"short send to NOTIFY_SOCKET " + std::string(socket_path)};
  }
  return NotifyOutcome::kSent;
}

Result<NotifyOutcome> notify(std::string_view state) {
  const char* const socket_path = std::getenv("NOTIFY_SOCKET");
  if (socket_path == nullptr || socket_path[0] == '\0') return NotifyOutcome::kNotConfigured;
  return notify_socket(socket_path, state);
}

}  // namespace ringstat
