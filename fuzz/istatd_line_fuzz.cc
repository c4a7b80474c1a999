// Fuzz target: the istatd line parser (engine/ingest/istatd_line.h), fed each line of the input the
// way a UDP datagram is framed. Checks every accepted line's fields (fuzz/line_checks.h), that
// leading blanks and a trailing '\r' change nothing, and that a plain `name value` line means the
// same to the Graphite parser.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/verify.h"
#include "engine/ingest/graphite_line.h"
#include "engine/ingest/istatd_line.h"
#include "engine/ingest/line_splitter.h"
#include "fuzz/fuzz_support.h"
#include "fuzz/line_checks.h"

using namespace ringstat;

namespace {

void check_meta(const ParsedLine& parsed, std::string_view line) {
  VERIFY(fuzz::is_inside(parsed.meta_key, line));
  VERIFY(fuzz::is_inside(parsed.meta_value, line));
  VERIFY(!parsed.meta_key.empty() && !parsed.meta_value.empty());
  for (const char c : parsed.meta_key) VERIFY(!is_field_separator(c));
  VERIFY(!is_field_separator(parsed.meta_value.front()));
  VERIFY(!is_field_separator(parsed.meta_value.back()));
}

// `name value` with neither istatd-only syntax (`*`, `^`, a reserved or '#' first byte) nor
// Graphite-only syntax (`;`) is the same sample to both parsers.
void check_against_graphite(const LineResult& result, std::string_view line) {
  if (!result.ok() || result.line.kind != LineKind::kSample) return;
  const SampleFields& sample = result.line.sample;
  if (sample.has_time || sample.aggregated || sample.kind != CounterKind::kGauge) return;
  if (sample.raw_name.find_first_of("^;") != std::string_view::npos) return;
  const LineResult graphite = parse_graphite_line(line);
  VERIFY(graphite.ok());
  VERIFY(graphite.line.kind == LineKind::kSample);
  VERIFY(graphite.line.sample.raw_name == sample.raw_name);
  VERIFY(!graphite.line.sample.has_time);
  VERIFY(fuzz::summarize(graphite) == fuzz::summarize(result));
}

void check_line(std::string_view line) {
  const LineResult result = parse_istatd_line(line);
  if (result.ok()) {
    if (result.line.kind == LineKind::kSample) {
      VERIFY(result.line.sample.name_syntax == NameSyntax::kCaretFanOut);
      fuzz::check_sample(result.line.sample, line);
    } else if (result.line.kind == LineKind::kMeta) {
      check_meta(result.line, line);
    }
  }
  fuzz::check_blank_and_cr_insensitive(line, parse_istatd_line);
  check_against_graphite(result, line);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  split_datagram(
      fuzz::as_text(data, size), [](std::string_view line) { check_line(line); },
      [](RejectReason reason) { VERIFY(reason == RejectReason::kLineTooLong); });
  return 0;
}
