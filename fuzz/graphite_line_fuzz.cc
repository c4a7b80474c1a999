// Fuzz target: the Graphite plaintext parser (engine/ingest/graphite_line.h), fed each line of the
// input the way a UDP datagram is framed. Checks every accepted line's fields (fuzz/line_checks.h):
// always a gauge, one literal name without `;`, a time > 0 when it has one; and that leading
// blanks and a trailing '\r' change nothing.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/verify.h"
#include "engine/ingest/graphite_line.h"
#include "engine/ingest/line_splitter.h"
#include "fuzz/fuzz_support.h"
#include "fuzz/line_checks.h"

using namespace ringstat;

namespace {

void check_line(std::string_view line) {
  const LineResult result = parse_graphite_line(line);
  if (result.ok()) {
    VERIFY(result.line.kind == LineKind::kSample || result.line.kind == LineKind::kEmpty);
    if (result.line.kind == LineKind::kSample) {
      const SampleFields& sample = result.line.sample;
      VERIFY(sample.kind == CounterKind::kGauge);
      VERIFY(sample.name_syntax == NameSyntax::kLiteral);
      VERIFY(!sample.aggregated);
      VERIFY(sample.raw_name.find(';') == std::string_view::npos);
      fuzz::check_sample(sample, line);
      VERIFY(fuzz::stored_names(sample).size() == 1);
    }
  }
  fuzz::check_blank_and_cr_insensitive(line, parse_graphite_line);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  split_datagram(
      fuzz::as_text(data, size), [](std::string_view line) { check_line(line); },
      [](RejectReason reason) { VERIFY(reason == RejectReason::kLineTooLong); });
  return 0;
}
