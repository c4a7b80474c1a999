#include "net/http/http_handler.h"

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "base/iso_time.h"
#include "engine/ingest/counter_name.h"
#include "engine/query/glob.h"
#include "engine/query/json_writer.h"
#include "engine/query/listing.h"
#include "engine/query/query_plan.h"
#include "engine/query/render.h"
#include "net/http/post_body.h"

namespace ringstat {
namespace {

constexpr std::string_view kNoStoreMessage = "No store configured";

// The name as the client asked for it, cut to a readable length.
std::string echoed_name(std::string_view requested) {
  if (requested.size() <= kEchoedNameBytesMax) return std::string(requested);
  return std::string(requested.substr(0, kEchoedNameBytesMax)) + "...";
}

HttpResponse ok_response(std::string_view content_type, std::string body) {
  HttpResponse response;
  response.content_type = std::string(content_type);
  response.body = std::move(body);
  return response;
}

HttpResponse preflight_response() {
  HttpResponse response;
  response.status = HttpStatus::kNoContent;
  response.headers.emplace_back("Access-Control-Allow-Methods", std::string(kAllowedMethods));
  response.headers.emplace_back("Access-Control-Allow-Headers", "Content-Type");
  return response;
}

// The answer for a counter whose query did not succeed, or nullopt when it did. A counter with
// corrupt pages is an error as a whole: its partial data is never served (docs/architecture.md,
// "Corruption").
std::optional<HttpResponse> failed_counter(const CounterQueryOutcome& outcome,
                                           std::string_view requested) {
  switch (outcome.status) {
    case CounterQueryOutcome::Status::kNotFound:
      return error_response(HttpStatus::kNotFound, "No such counter " + echoed_name(requested));
    case CounterQueryOutcome::Status::kIoError:
      return error_response(HttpStatus::kInternalServerError,
                            "I/O error reading counter " + echoed_name(requested));
    case CounterQueryOutcome::Status::kBusy:
      return error_response(
          HttpStatus::kServiceUnavailable,
          "Too many queries waiting to read counter " + echoed_name(requested) + "; try again");
    case CounterQueryOutcome::Status::kOk:
      break;
  }
  if (outcome.corrupt_pages > 0) {
    const bool one = outcome.corrupt_pages == 1;
    return error_response(HttpStatus::kInternalServerError,
                          "Counter " + echoed_name(requested) +
                              " has corrupt data: " + std::to_string(outcome.corrupt_pages) +
                              (one ? " page fails its checks" : " pages fail their checks"));
  }
  return std::nullopt;
}

void render_agents_json(const std::vector<AgentInfo>& agents, std::string& out) {
  // Names the daemon writes itself; a meta line of the same name (or a repeated one) is left
  // out so the object never has a duplicate key.
  static constexpr std::array<std::string_view, 4> kReserved = {"_peer", "_online", "_connected",
                                                                "_idle"};
  JsonWriter json(out);
  json.begin_object();
  json.key("count").unsigned_integer(agents.size());
  json.key("agents").begin_array();
  std::unordered_set<std::string_view> written;
  std::string connected;
  for (const AgentInfo& agent : agents) {
    json.begin_object();
    written.clear();
    written.insert(kReserved.begin(), kReserved.end());
    for (const auto& [key, value] : agent.meta) {
      if (!written.insert(key).second) continue;
      json.key(key).string(value);
    }
    connected.clear();
    append_iso8601_utc(connected, agent.connected_s);
    json.key("_peer").string(agent.peer);
    json.key("_online").boolean(agent.online);
    json.key("_connected").string(connected);
    json.key("_idle").integer(agent.idle_s);
    json.end_object();
  }
  json.end_array();
  json.end_object();
}

}  // namespace

// One POST /* request while its counter queries are in flight.
struct HttpHandler::PostJob {
  PostBody body;
  PostQueryParams params;
  int64_t now = 0;
  std::vector<std::string_view> keys;         // unique, in request order; views into body.keys
  std::vector<CounterQueryOutcome> outcomes;  // per key; kNotFound until answered
  size_t next_key = 0;                        // keys before it have been issued (or skipped)
  size_t in_flight = 0;                       // queries issued and not yet answered
  bool pumping = false;                       // pump_post is issuing queries further up the stack
  std::function<void(HttpResponse)> done;
};

void HttpHandler::handle(const HttpRequest& request, std::function<void(EncodedResponse)> done) {
  // The request may be gone when the answer arrives, so the answer keeps its own copy of what
  // encoding needs.
  respond(request,
          [this, context = response_context(request), accept_encoding = request.accept_encoding,
           done = std::move(done)](HttpResponse response) mutable {
            context.accept_encoding = accept_encoding;
            done(encoder_.encode(response, context));
          });
}

EncodedResponse HttpHandler::reject(HttpStatus status, std::string_view message) {
  ResponseContext context;
  context.keep_alive = false;
  return encoder_.encode(error_response(status, message), context);
}

void HttpHandler::respond(const HttpRequest& request, std::function<void(HttpResponse)> done) {
  if (request.method == HttpMethod::kOptions) {
    done(preflight_response());
    return;
  }
  Result<Url> url = parse_url(request.target);
  if (!url) {
    done(error_response(HttpStatus::kBadRequest, url.error()));
    return;
  }
  const std::string& path = url.value().path;
  if (request.method == HttpMethod::kPost) {
    if (path == "/*") {
      post_query(request, std::move(done));
    } else {
      done(error_response(HttpStatus::kNotFound, "No such POST target"));
    }
    return;
  }
  // GET and HEAD; HEAD differs only in encoding.
  if (path == "/metrics") {
    metrics(std::move(done));
    return;
  }
  if (path == "/") {
    // istatd's order: agents before listing.
    if (url.value().find("a")) {
      agents(std::move(done));
    } else if (const std::optional<std::string_view> pattern = url.value().find("q")) {
      list(*pattern, std::move(done));
    } else {
      done(error_response(HttpStatus::kNotFound, "Not found: / (no web UI in this version)"));
    }
    return;
  }
  if (path == "/files" || path.starts_with("/files/")) {
    // The web UI's files come with a later version; no file is ever served from here.
    done(error_response(HttpStatus::kNotFound, "Not found: " + echoed_name(path)));
    return;
  }
  get_counter(path, url.value(), std::move(done));
}

void HttpHandler::get_counter(std::string_view path, const Url& url,
                              std::function<void(HttpResponse)> done) {
  if (!service_.has_store()) {
    done(error_response(HttpStatus::kServiceUnavailable, kNoStoreMessage));
    return;
  }
  const std::string requested(path.substr(1));
  std::array<char, kNameBytesMax> buffer;
  const std::optional<std::string_view> name = normalize_query_name(requested, buffer);
  if (!name || name->empty()) {
    done(error_response(HttpStatus::kNotFound, "No such counter " + echoed_name(requested)));
    return;
  }
  Result<GetQueryParams> params = parse_get_query(
      url.find("start"), url.find("end"), url.find("samples"), url.find("format"), service_.now());
  if (!params) {
    done(error_response(HttpStatus::kBadRequest, params.error()));
    return;
  }
  const GetQueryParams& get = params.value();
  const CounterQuery query{get.range.start, get.range.end, get.samples};
  const ResponseFormat format = get.format;
  service_.query_counter(
      std::string(*name), query,
      [requested, format, done = std::move(done)](CounterQueryOutcome outcome) {
        if (std::optional<HttpResponse> failure = failed_counter(outcome, requested)) {
          done(std::move(*failure));
          return;
        }
        std::string body;
        if (format == ResponseFormat::kCsv) {
          render_counter_csv(outcome.result, body);
          done(ok_response(kCsvContentType, std::move(body)));
        } else {
          render_counter_json(outcome.result, body);
          done(ok_response(kJsonContentType, std::move(body)));
        }
      });
}

void HttpHandler::post_query(const HttpRequest& request, std::function<void(HttpResponse)> done) {
  // The Content-Type is not checked: istatd's web UI posts its JSON as a form.
  if (!service_.has_store()) {
    done(error_response(HttpStatus::kServiceUnavailable, kNoStoreMessage));
    return;
  }
  Result<PostBody> body = parse_post_body(request.body);
  if (!body) {
    done(error_response(HttpStatus::kBadRequest, body.error()));
    return;
  }
  const int64_t now = service_.now();
  Result<PostQueryParams> params =
      resolve_post_query(body.value().start, body.value().stop, body.value().samples_max, now);
  if (!params) {
    done(error_response(HttpStatus::kBadRequest, params.error()));
    return;
  }

  auto job = std::make_shared<PostJob>();
  job->body = std::move(body.value());
  job->params = params.value();
  job->now = now;
  job->done = std::move(done);
  const std::vector<std::string_view> all_keys(job->body.keys.begin(), job->body.keys.end());
  job->keys = unique_keys_in_order(all_keys);
  job->outcomes.resize(job->keys.size());
  for (CounterQueryOutcome& outcome : job->outcomes) {
    outcome.status = CounterQueryOutcome::Status::kNotFound;
  }
  pump_post(job);
}

void HttpHandler::pump_post(const std::shared_ptr<PostJob>& job) {
  // Answers may arrive inside query_counter; they come back here and find the loop running, so
  // the stack stays flat however many keys answer at once.
  if (job->pumping) return;
  job->pumping = true;
  const CounterQuery query{job->params.range.start, job->params.range.end, job->params.samples_max};
  while (job->next_key < job->keys.size() && job->in_flight < kPostQueriesInFlightMax) {
    const size_t i = job->next_key++;
    std::array<char, kNameBytesMax> buffer;
    const std::optional<std::string_view> name = normalize_query_name(job->keys[i], buffer);
    if (!name || name->empty()) continue;  // no such counter can exist
    ++job->in_flight;
    service_.query_counter(std::string(*name), query, [this, job, i](CounterQueryOutcome outcome) {
      job->outcomes[i] = std::move(outcome);
      --job->in_flight;
      pump_post(job);
    });
  }
  job->pumping = false;
  if (job->in_flight == 0 && job->next_key == job->keys.size()) finish_post(*job);
}

void HttpHandler::finish_post(PostJob& job) {
  std::vector<MultiQueryEntry> entries;
  entries.reserve(job.keys.size());
  for (size_t i = 0; i < job.keys.size(); ++i) {
    const CounterQueryOutcome& outcome = job.outcomes[i];
    if (outcome.status == CounterQueryOutcome::Status::kNotFound) {
      entries.push_back(MultiQueryEntry{job.keys[i], std::nullopt});
      continue;
    }
    if (std::optional<HttpResponse> failure = failed_counter(outcome, job.keys[i])) {
      job.done(std::move(*failure));
      return;
    }
    entries.push_back(MultiQueryEntry{job.keys[i], outcome.result});
  }
  const QueryPlan fallback =
      plan_query(service_.default_retention(), job.now, job.params.range.start,
                 job.params.range.end, job.params.samples_max);
  std::string body;
  render_multi_query_json(entries, fallback, job.body.compact, body);
  job.done(ok_response(kJsonContentType, std::move(body)));
}

void HttpHandler::list(std::string_view pattern, std::function<void(HttpResponse)> done) {
  if (!service_.has_store()) {
    done(error_response(HttpStatus::kServiceUnavailable, kNoStoreMessage));
    return;
  }
  std::optional<Glob> glob = Glob::compile(pattern);
  if (!glob) {
    done(error_response(HttpStatus::kBadRequest,
                        "Pattern longer than " + std::to_string(kGlobPatternBytesMax) + " bytes"));
    return;
  }
  service_.list_counters([glob = std::move(*glob), done = std::move(done)](
                             std::vector<std::pair<std::string, CounterKind>> counters) {
    std::vector<NamedCounter> named;
    named.reserve(counters.size());
    for (const auto& [name, kind] : counters) named.push_back(NamedCounter{name, kind});
    const Listing listing = list_counters(named, glob);
    std::string body;
    render_listing_json(glob.pattern(), listing, body);
    done(ok_response(kJsonContentType, std::move(body)));
  });
}

void HttpHandler::agents(std::function<void(HttpResponse)> done) {
  service_.agents([done = std::move(done)](std::vector<AgentInfo> agents) {
    std::string body;
    render_agents_json(agents, body);
    done(ok_response(kJsonContentType, std::move(body)));
  });
}

void HttpHandler::metrics(std::function<void(HttpResponse)> done) {
  service_.metrics([done = std::move(done)](std::string text) {
    done(ok_response(kPrometheusContentType, std::move(text)));
  });
}

}  // namespace ringstat
