// HttpHandler: the HTTP API of docs/http-api.md. Routes one parsed request to the QueryService,
// renders the answer with engine/query/render.h and encodes it (status, CORS, compression, HEAD,
// keep-alive). One per reactor, single-threaded; it must outlive every request it was given,
// since answers may arrive after handle() returns.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string_view>

#include "net/http/http_request.h"
#include "net/http/http_response.h"
#include "net/http/query_service.h"
#include "net/http/url.h"

namespace ringstat {

// Longest requested counter name quoted back in a 404.
inline constexpr size_t kEchoedNameBytesMax = 300;
// Counter queries one POST /* keeps in flight; the rest wait for them. A shard serves a bounded
// number of queries at once (ShardConfig::query_jobs_max), so one request must not take them all.
inline constexpr size_t kPostQueriesInFlightMax = 16;

class HttpHandler {
 public:
  explicit HttpHandler(QueryService& service) : service_(service) {}
  HttpHandler(const HttpHandler&) = delete;
  HttpHandler& operator=(const HttpHandler&) = delete;

  // Answers `request`: `done` gets the bytes to send exactly once, possibly before this returns.
  // Routes: OPTIONS anything -> 204; POST `/*` (also `/%2A`) -> several counters, other POST
  // paths 404; GET and HEAD: `/metrics`, `/?a=` agents, `/?q=` listing, `/` and `/files/...`
  // 404 (no web UI yet), anything else a counter. Without a store, counter queries and listings
  // are 503.
  void handle(const HttpRequest& request, std::function<void(EncodedResponse)> done);

  // The same routing, before encoding (tests look at status, type and body directly).
  void respond(const HttpRequest& request, std::function<void(HttpResponse)> done);

  // The answer to a request that failed to parse: the error body, `Connection: close`.
  EncodedResponse reject(HttpStatus status, std::string_view message);

  const ResponseEncoderStats& encoder_stats() const { return encoder_.stats(); }

 private:
  struct PostJob;

  void get_counter(std::string_view path, const Url& url, std::function<void(HttpResponse)> done);
  void post_query(const HttpRequest& request, std::function<void(HttpResponse)> done);
  void pump_post(const std::shared_ptr<PostJob>& job);
  void finish_post(PostJob& job);
  void list(std::string_view pattern, std::function<void(HttpResponse)> done);
  void agents(std::function<void(HttpResponse)> done);
  void metrics(std::function<void(HttpResponse)> done);

  QueryService& service_;
  ResponseEncoder encoder_;
};

}  // namespace ringstat
