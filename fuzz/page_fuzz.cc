// Fuzz target: the counter page decoder (fileformat/page_format.h). Pair assertion: a page that
// decodes re-encodes to exactly the same 4096 bytes, so decode accepts nothing encode could not
// have written and loses nothing encode wrote.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "base/verify.h"
#include "fileformat/page_format.h"
#include "fuzz/fuzz_support.h"

using namespace ringstat;

namespace {

void check_page(const std::array<std::byte, kPageBytes>& block) {
  const Result<PageImage> page = decode_page(block);
  if (!page) {
    VERIFY(!page.error().empty());
    return;
  }
  std::array<std::byte, kPageBytes> encoded{};
  encode_page(page.value(), encoded);
  VERIFY(encoded == block);
  for (const Bucket& bucket : page.value().buckets) {
    VERIFY(bucket.count != 0 || bucket == Bucket{});
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::array<std::byte, kPageBytes> block = fuzz::block_from_input<kPageBytes>(data, size);
  check_page(block);  // as given: mostly a CRC mismatch, unless the input is a real page
  fuzz::set_block_crc(block);
  check_page(block);
  return 0;
}
