// DaemonConfig: everything the daemon's reactors need from the command line, already validated
// (cmd/ turns ServeOptions into this). Immutable after start-up; read by every reactor thread.
#pragma once

#include <cstdint>
#include <string>

#include "engine/ingest/retention.h"
#include "net/uring/uring_page_store.h"

namespace ringstat {

struct DaemonConfig {
  std::string store_directory;
  std::string listen_address = "127.0.0.1";
  // The admin port can delete data and has no authentication, so it listens on loopback unless
  // told otherwise, whatever listen_address says.
  std::string admin_address = "127.0.0.1";
  uint16_t stat_port = 18001;
  uint16_t graphite_port = 0;
  uint16_t http_port = 18011;
  uint16_t admin_port = 0;
  Retention retention;
  uint32_t threads = 1;
  uint32_t commit_interval_ms = 1000;
  int64_t fake_time = 0;  // 0: the real clock
  DirectIoMode direct_io = DirectIoMode::kAuto;
  uint32_t new_store_shards = 16;
  uint32_t counters_max = 1'000'000;
  uint32_t staging_mb = 1024;
  uint32_t wal_mb = 64;
  uint32_t connections_per_reactor_max = 16384;
  // Bounds on what a client may hold without progress (docs/architecture.md, "Hostile input").
  // An HTTP request, head and body, must arrive within http_request_timeout_ms of its first byte
  // (of the connection, for the first request); a kept-alive HTTP connection may idle
  // http_idle_timeout_ms between requests; an admin connection admin_idle_timeout_ms between
  // reads. Ingest connections have none: agents may be quiet for long; TCP keepalive finds
  // dead ones.
  uint32_t http_request_timeout_ms = 10'000;
  uint32_t http_idle_timeout_ms = 60'000;
  uint32_t admin_idle_timeout_ms = 300'000;
};

}  // namespace ringstat
