#include "engine/ingest/line_splitter.h"

#include "base/verify.h"

namespace ringstat {

CarryPool::CarryPool(size_t buffer_count)
    : capacity_(buffer_count),
      storage_(new char[buffer_count * kCarryBufferBytes]),
      taken_(new bool[buffer_count]()) {
  free_.reserve(buffer_count);
  // Pushed in reverse so acquire() hands out the lowest address first (easier to read in a dump).
  for (size_t i = buffer_count; i > 0; --i) {
    free_.push_back(storage_.get() + (i - 1) * kCarryBufferBytes);
  }
}

char* CarryPool::acquire() {
  if (free_.empty()) return nullptr;
  char* const buffer = free_.back();
  free_.pop_back();
  const size_t index = static_cast<size_t>(buffer - storage_.get()) / kCarryBufferBytes;
  VERIFY(!taken_[index]);
  taken_[index] = true;
  return buffer;
}

void CarryPool::release(char* buffer) {
  // Compared as integers: ordering pointers into different arrays is unspecified.
  const uintptr_t address = reinterpret_cast<uintptr_t>(buffer);
  const uintptr_t base = reinterpret_cast<uintptr_t>(storage_.get());
  VERIFY(address >= base);
  const size_t offset = static_cast<size_t>(address - base);
  VERIFY(offset % kCarryBufferBytes == 0);
  const size_t index = offset / kCarryBufferBytes;
  VERIFY(index < capacity_);
  VERIFY(taken_[index]);
  taken_[index] = false;
  free_.push_back(buffer);
}

void LineSplitter::return_carry(CarryPool& pool) {
  if (carry_ == nullptr) return;
  pool.release(carry_);
  carry_ = nullptr;
  carry_bytes_ = 0;
}

void LineSplitter::release(CarryPool& pool) {
  return_carry(pool);
  discarding_ = false;
}

}  // namespace ringstat
