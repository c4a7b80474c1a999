// Fuzz target: line framing (engine/ingest/line_splitter.h). The same bytes fed to a LineSplitter
// in one piece, cut into chunks at fuzzer-chosen points, and framed as one UDP datagram must give
// the same lines and rejections in the same order; every line is within the limit and holds no
// '\n', and no carry buffer is left behind.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/verify.h"
#include "engine/ingest/line_splitter.h"
#include "fuzz/fuzz_support.h"

using namespace ringstat;

namespace {

// A line, or a rejection (`reject` set and `line` empty).
struct Event {
  std::string line;
  std::optional<RejectReason> reject;
  friend bool operator==(const Event&, const Event&) = default;
};

struct Recorder {
  std::vector<Event> events;
  void line(std::string_view text) {
    VERIFY(text.size() <= kLineBytesMax);
    VERIFY(text.find('\n') == std::string_view::npos);
    events.push_back(Event{std::string(text), std::nullopt});
  }
  void reject(RejectReason reason) {
    VERIFY(reason == RejectReason::kLineTooLong);  // the pool never runs out here
    events.push_back(Event{{}, reason});
  }
};

std::vector<Event> frame_stream(std::string_view stream, const std::vector<size_t>& cuts) {
  CarryPool pool(1);
  LineSplitter splitter;
  Recorder recorder;
  auto on_line = [&](std::string_view line) { recorder.line(line); };
  auto on_reject = [&](RejectReason reason) { recorder.reject(reason); };
  size_t start = 0;
  for (const size_t cut : cuts) {
    splitter.feed(stream.substr(start, cut - start), pool, on_line, on_reject);
    start = cut;
  }
  splitter.feed(stream.substr(start), pool, on_line, on_reject);
  splitter.finish(pool, on_line, on_reject);
  VERIFY(!splitter.has_partial_line());
  VERIFY(!splitter.discarding());
  VERIFY(pool.in_use() == 0);
  return recorder.events;
}

std::vector<Event> frame_datagram(std::string_view datagram) {
  Recorder recorder;
  split_datagram(
      datagram, [&](std::string_view line) { recorder.line(line); },
      [&](RejectReason reason) { recorder.reject(reason); });
  return recorder.events;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Byte 0: how many cuts (0..15); then two bytes per cut, taken modulo the stream length.
  if (size == 0) return 0;
  const size_t cut_count = data[0] % 16;
  const size_t header_bytes = std::min(size, 1 + 2 * cut_count);
  const std::string_view stream = fuzz::as_text(data + header_bytes, size - header_bytes);
  std::vector<size_t> cuts;
  for (size_t i = 1; i + 1 < header_bytes; i += 2) {
    const size_t position = (size_t{data[i]} << 8 | data[i + 1]) % (stream.size() + 1);
    cuts.push_back(position);
  }
  std::sort(cuts.begin(), cuts.end());

  const std::vector<Event> whole = frame_stream(stream, {});
  VERIFY(frame_stream(stream, cuts) == whole);
  VERIFY(frame_datagram(stream) == whole);
  return 0;
}
