// Listening sockets: one SO_REUSEPORT TCP listener and UDP socket per reactor and port, so the
// kernel spreads connections and datagrams over the cores. Start-up only (blocking syscalls).
#pragma once

#include <cstdint>
#include <string>

#include "base/result.h"

namespace ringstat {

enum class SocketType : uint8_t { kTcp, kUdp };

// Binds without SO_REUSEPORT and closes again: fails when anything else holds the port, which a
// reuseport group would otherwise silently share with another process of the same user.
Status probe_port(const std::string& address, uint16_t port, SocketType type);

// A bound (and for TCP listening) non-blocking SO_REUSEPORT socket; the error names the port.
Result<int> open_reuseport_socket(const std::string& address, uint16_t port, SocketType type);

// "127.0.0.1:46784" / "[::1]:46784" for a peer address.
std::string describe_peer(const void* sockaddr_storage_bytes, uint32_t length);

}  // namespace ringstat
