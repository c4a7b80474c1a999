// Fuzz target: the `POST /*` JSON body reader (net/http/post_body.h). Checks the limits (at most
// kPostKeysMax keys, non-negative numbers, one-line errors), that surrounding JSON whitespace
// changes nothing, and a round trip: an accepted body written back with JsonWriter reads back to
// the same PostBody.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/verify.h"
#include "engine/query/json_writer.h"
#include "fuzz/fuzz_support.h"
#include "net/http/post_body.h"

using namespace ringstat;

namespace {

bool same_body(const PostBody& a, const PostBody& b) {
  return a.keys == b.keys && a.start == b.start && a.stop == b.stop &&
         a.samples_max == b.samples_max && a.compact == b.compact;
}

std::string write_body(const PostBody& body) {
  std::string out;
  JsonWriter writer(out);
  writer.begin_object().key("keys").begin_array();
  for (const std::string& key : body.keys) writer.string(key);
  writer.end_array();
  if (body.start) writer.key("start").integer(*body.start);
  if (body.stop) writer.key("stop").integer(*body.stop);
  if (body.samples_max) writer.key("maxSamples").integer(*body.samples_max);
  writer.key("compact").boolean(body.compact);
  writer.end_object();
  VERIFY(writer.complete());
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = fuzz::as_text(data, size);
  const Result<PostBody> body = parse_post_body(text);
  const Result<PostBody> padded = parse_post_body(" \n\t" + std::string(text) + "\r\n ");
  VERIFY(body.ok() == padded.ok());
  if (!body) {
    VERIFY(!body.error().empty());
    VERIFY(body.error().find_first_of("\r\n") == std::string::npos);
    return 0;
  }
  VERIFY(same_body(body.value(), padded.value()));
  const PostBody& value = body.value();
  VERIFY(value.keys.size() <= kPostKeysMax);
  VERIFY(!value.start || *value.start >= 0);
  VERIFY(!value.stop || *value.stop >= 0);
  VERIFY(!value.samples_max || *value.samples_max >= 0);

  const Result<PostBody> again = parse_post_body(write_body(value));
  VERIFY(again.ok());
  VERIFY(same_body(again.value(), value));
  return 0;
}
