#include "net/daemon/listen_socket.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ringstat {

namespace {

constexpr int kListenBacklog = 4096;
constexpr int kUdpReceiveBufferBytes = 4 << 20;  // absorbs bursts while a reactor is busy

struct Address {
  sockaddr_storage storage{};
  socklen_t length = 0;
};

Result<Address> parse_address(const std::string& address, uint16_t port) {
  Address result;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&result.storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&result.storage);
  if (::inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    result.length = sizeof(sockaddr_in);
    return result;
  }
  if (::inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    result.length = sizeof(sockaddr_in6);
    return result;
  }
  return Error{"bad listen address '" + address + "'"};
}

std::string port_text(SocketType type, uint16_t port) {
  return (type == SocketType::kTcp ? "TCP port " : "UDP port ") + std::to_string(port);
}

Result<int> open_socket(const std::string& address, uint16_t port, SocketType type,
                        bool reuseport) {
  Result<Address> parsed = parse_address(address, port);
  if (!parsed.ok()) return Error{parsed.error()};
  const int family = parsed.value().storage.ss_family;
  const int fd = ::socket(
      family, (type == SocketType::kTcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC,
      0);
  if (fd < 0) return Error{"cannot create a socket: " + std::string(std::strerror(errno))};
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (reuseport) ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (family == AF_INET6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (type == SocketType::kUdp) {
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &kUdpReceiveBufferBytes, sizeof kUdpReceiveBufferBytes);
  }
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&parsed.value().storage),
             parsed.value().length) != 0) {
    const int error = errno;
    ::close(fd);
    return Error{"cannot bind " + port_text(type, port) + " on " + address + ": " +
                 std::strerror(error)};
  }
  if (type == SocketType::kTcp && ::listen(fd, kListenBacklog) != 0) {
    const int error = errno;
    ::close(fd);
    return Error{"cannot listen on " + port_text(type, port) + ": " + std::strerror(error)};
  }
  return fd;
}

}  // namespace

Status probe_port(const std::string& address, uint16_t port, SocketType type) {
  Result<int> fd = open_socket(address, port, type, false);
  if (!fd.ok()) return Error{fd.error()};
  ::close(fd.value());
  return Ok{};
}

Result<int> open_reuseport_socket(const std::string& address, uint16_t port, SocketType type) {
  return open_socket(address, port, type, true);
}

std::string describe_peer(const void* bytes, uint32_t length) {
  const auto* storage = static_cast<const sockaddr_storage*>(bytes);
  char text[INET6_ADDRSTRLEN] = "?";
  if (storage->ss_family == AF_INET && length >= sizeof(sockaddr_in)) {
    const auto* v4 = static_cast<const sockaddr_in*>(bytes);
    ::inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
    return std::string(text) + ":" + std::to_string(ntohs(v4->sin_port));
  }
  if (storage->ss_family == AF_INET6 && length >= sizeof(sockaddr_in6)) {
    const auto* v6 = static_cast<const sockaddr_in6*>(bytes);
    ::inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
    return "[" + std::string(text) + "]:" + std::to_string(ntohs(v6->sin6_port));
  }
  return "?";
}

}  // namespace ringstat
