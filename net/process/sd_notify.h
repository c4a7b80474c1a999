// Hand-rolled sd_notify(3): sends systemd's `KEY=VALUE` state lines ("READY=1", "STOPPING=1") as
// one datagram to the AF_UNIX socket named by $NOTIFY_SOCKET, without linking libsystemd. Called
// by the start-up and shutdown code on the main thread, never from a reactor (sendto may block
// briefly when systemd is slow to read). No shared state; safe from any thread.
#pragma once

#include <cstddef>
#include <string_view>

#include "base/result.h"

namespace ringstat {

// Largest state message sent; systemd reads datagrams of up to its page-sized buffer and the
// daemon only ever sends a few short lines.
inline constexpr size_t kNotifyBytesMax = 4096;

enum class NotifyOutcome {
  kSent,
  kNotConfigured,  // $NOTIFY_SOCKET is unset or empty: not run by systemd as Type=notify
};

// Sends `state` (e.g. "READY=1", or several lines "STOPPING=1\nSTATUS=draining") to
// `socket_path`: a filesystem path starting with '/', or an abstract socket name starting with
// '@' (the '@' stands for the leading NUL byte). Errors say what was wrong with the address or
// which system call failed.
Result<NotifyOutcome> notify_socket(std::string_view socket_path, std::string_view state);

// notify_socket to $NOTIFY_SOCKET; kNotConfigured (and nothing sent) when it is unset or empty.
Result<NotifyOutcome> notify(std::string_view state);

}  // namespace ringstat
