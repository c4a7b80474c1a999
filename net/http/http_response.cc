#include "net/http/http_response.h"

#include <zlib.h>

#include <algorithm>

#include "base/verify.h"
#include "engine/query/render.h"
#include "net/http/http_text.h"

namespace ringstat {
namespace {

// zlib counts in uInt (32 bits); larger bodies are fed and drained in pieces of this size.
constexpr size_t kZlibChunkBytesMax = size_t{1} << 30;
// zlib's window and memory settings: the defaults, plus 16 for a gzip wrapper.
constexpr int kZlibWindowBits = 15;
constexpr int kGzipWindowBits = kZlibWindowBits + 16;
constexpr int kZlibMemoryLevel = 8;

// RFC 9110 section 12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in
// thousandths.
std::optional<int> parse_qvalue(std::string_view text) {
  if (text.empty() || (text[0] != '0' && text[0] != '1')) return std::nullopt;
  int thousandths = text[0] == '1' ? 1000 : 0;
  if (text.size() == 1) return thousandths;
  if (text[1] != '.' || text.size() > 5) return std::nullopt;
  int scale = 100;
  for (const char c : text.substr(2)) {
    if (c < '0' || c > '9') return std::nullopt;
    thousandths += (c - '0') * scale;
    scale /= 10;
  }
  if (thousandths > 1000) return std::nullopt;
  return thousandths;
}

// One `coding;q=x` element: nullopt when its parameters are malformed.
std::optional<std::pair<std::string_view, int>> parse_coding(std::string_view element) {
  const size_t semicolon = element.find(';');
  const std::string_view coding = trim_ows(element.substr(0, semicolon));
  int q = 1000;
  if (semicolon != std::string_view::npos) {
    std::string_view parameters = element.substr(semicolon + 1);
    while (true) {
      const size_t next = parameters.find(';');
      const std::string_view parameter = trim_ows(parameters.substr(0, next));
      const size_t equals = parameter.find('=');
      if (equals == std::string_view::npos) return std::nullopt;
      const std::string_view name = trim_ows(parameter.substr(0, equals));
      if (iequals(name, "q")) {
        const std::optional<int> value = parse_qvalue(trim_ows(parameter.substr(equals + 1)));
        if (!value) return std::nullopt;
        q = *value;
      }
      if (next == std::string_view::npos) break;
      parameters.remove_prefix(next + 1);
    }
  }
  if (coding.empty()) return std::nullopt;
  return std::make_pair(coding, q);
}

void append_header(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

}  // namespace

struct ResponseEncoder::ZlibStreams {
  z_stream gzip{};
  z_stream deflate{};
  bool gzip_ready = false;
  bool deflate_ready = false;

  ~ZlibStreams() {
    if (gzip_ready) deflateEnd(&gzip);
    if (deflate_ready) deflateEnd(&deflate);
  }

  // The stream for `encoding`, reset for a new body; nullptr when zlib cannot set it up.
  z_stream* stream_for(ContentEncoding encoding) {
    const bool is_gzip = encoding == ContentEncoding::kGzip;
    z_stream& stream = is_gzip ? gzip : deflate;
    bool& ready = is_gzip ? gzip_ready : deflate_ready;
    if (ready) {
      if (deflateReset(&stream) == Z_OK) return &stream;
      deflateEnd(&stream);
      ready = false;
    }
    stream = z_stream{};
    if (deflateInit2(&stream, kCompressionLevel, Z_DEFLATED,
                     is_gzip ? kGzipWindowBits : kZlibWindowBits, kZlibMemoryLevel,
                     Z_DEFAULT_STRATEGY) != Z_OK) {
      return nullptr;
    }
    ready = true;
    return &stream;
  }
};

HttpResponse error_response(HttpStatus status, std::string_view message) {
  HttpResponse response;
  response.status = status;
  response.content_type = std::string(kJsonContentType);
  render_error_json(message, response.body);
  return response;
}

ResponseContext response_context(const HttpRequest& request) {
  ResponseContext context;
  context.head = request.method == HttpMethod::kHead;
  context.keep_alive = request.keep_alive;
  context.version_minor = request.version_minor;
  context.accept_encoding = request.accept_encoding;
  return context;
}

ContentEncoding choose_content_encoding(std::string_view accept_encoding) {
  std::optional<int> gzip_q;
  std::optional<int> deflate_q;
  std::optional<int> identity_q;
  std::optional<int> star_q;
  for_each_list_element(accept_encoding, [&](std::string_view element) {
    const auto coding = parse_coding(element);
    if (!coding) return;
    // The first mention of a coding counts; a repeat is a client bug and is ignored.
    std::optional<int>* slot = nullptr;
    if (iequals(coding->first, "gzip") || iequals(coding->first, "x-gzip")) {
      slot = &gzip_q;
    } else if (iequals(coding->first, "deflate")) {
      slot = &deflate_q;
    } else if (iequals(coding->first, "identity")) {
      slot = &identity_q;
    } else if (coding->first == "*") {
      slot = &star_q;
    }
    if (slot != nullptr && !*slot) *slot = coding->second;
  });
  const int gzip = gzip_q.value_or(star_q.value_or(0));
  const int deflate = deflate_q.value_or(star_q.value_or(0));
  const int best = std::max(gzip, deflate);
  if (best == 0 || (identity_q && *identity_q > best)) return ContentEncoding::kIdentity;
  return gzip >= deflate ? ContentEncoding::kGzip : ContentEncoding::kDeflate;
}

ResponseEncoder::ResponseEncoder() : zlib_(std::make_unique<ZlibStreams>()) {}
ResponseEncoder::~ResponseEncoder() = default;

std::optional<std::string> ResponseEncoder::compress(std::string_view body,
                                                     ContentEncoding encoding) {
  VERIFY(encoding != ContentEncoding::kIdentity);
  z_stream* stream = zlib_->stream_for(encoding);
  if (stream == nullptr) return std::nullopt;
  std::string out(deflateBound(stream, static_cast<uLong>(body.size())), '\0');
  size_t in_offset = 0;
  size_t out_offset = 0;
  while (true) {
    const size_t in_chunk = std::min(body.size() - in_offset, kZlibChunkBytesMax);
    const size_t out_chunk = std::min(out.size() - out_offset, kZlibChunkBytesMax);
    const bool last = in_offset + in_chunk == body.size();
    // zlib's input pointer is not const-qualified, but deflate never writes through it.
    stream->next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data() + in_offset));
    stream->avail_in = static_cast<uInt>(in_chunk);
    stream->next_out = reinterpret_cast<Bytef*>(out.data() + out_offset);
    stream->avail_out = static_cast<uInt>(out_chunk);
    const int status = deflate(stream, last ? Z_FINISH : Z_NO_FLUSH);
    const size_t consumed = in_chunk - stream->avail_in;
    const size_t produced = out_chunk - stream->avail_out;
    in_offset += consumed;
    out_offset += produced;
    if (status == Z_STREAM_END) break;
    // deflateBound leaves room for everything, so a step without progress is a zlib failure.
    if ((status != Z_OK && status != Z_BUF_ERROR) || (consumed == 0 && produced == 0)) {
      return std::nullopt;
    }
  }
  out.resize(out_offset);
  return out;
}

EncodedResponse ResponseEncoder::encode(const HttpResponse& response,
                                        const ResponseContext& context) {
  ++stats_.responses;
  const bool no_content = response.status == HttpStatus::kNoContent;
  VERIFY(!no_content || response.body.empty());

  std::string_view body = response.body;
  std::string_view content_encoding;
  std::optional<std::string> compressed;
  const bool compressible = body.size() > kCompressMinBodyBytes;
  if (compressible) {
    const ContentEncoding encoding = choose_content_encoding(context.accept_encoding);
    if (encoding != ContentEncoding::kIdentity) {
      compressed = compress(body, encoding);
      if (!compressed) {
        ++stats_.compression_failures;
      } else if (compressed->size() < body.size()) {
        ++stats_.compressed;
        body = *compressed;
        content_encoding = encoding == ContentEncoding::kGzip ? "gzip" : "deflate";
      }
    }
  }

  EncodedResponse encoded;
  encoded.status = response.status;
  encoded.close = !context.keep_alive;
  std::string& out = encoded.bytes;
  out.reserve(256 + (context.head ? 0 : body.size()));
  out.append("HTTP/1.1 ");
  out.append(std::to_string(status_code(response.status)));
  out.push_back(' ');
  out.append(reason_phrase(response.status));
  out.append("\r\n");
  if (!response.content_type.empty()) append_header(out, "Content-Type", response.content_type);
  // RFC 9110 section 8.6: a 204 carries no Content-Length.
  if (!no_content) append_header(out, "Content-Length", std::to_string(body.size()));
  if (!content_encoding.empty()) append_header(out, "Content-Encoding", content_encoding);
  if (compressible) append_header(out, "Vary", "Accept-Encoding");
  append_header(out, "Access-Control-Allow-Origin", "*");
  if (response.status == HttpStatus::kMethodNotAllowed) {
    append_header(out, "Allow", kAllowedMethods);
  }
  for (const auto& [name, value] : response.headers) append_header(out, name, value);
  if (!context.keep_alive) {
    append_header(out, "Connection", "close");
  } else if (context.version_minor == 0) {
    append_header(out, "Connection", "keep-alive");
  }
  out.append("\r\n");
  if (!context.head) out.append(body);
  return encoded;
}

}  // namespace ringstat
