#include "engine/sim/sim_page_store.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/verify.h"

namespace ringstat {

namespace {
constexpr size_t kSectorBytes = 512;  // the unit a torn write tears at
}

SimPageStore::SimPageStore(uint64_t seed, SimFaults faults) : faults_(faults), random_(seed) {}

bool SimPageStore::chance(double probability) {
  if (probability <= 0) return false;
  return std::uniform_real_distribution<double>(0, 1)(random_) < probability;
}

uint64_t SimPageStore::block_count(StoreFile id) const {
  return file(id).visible.size() / kStoreBlockBytes;
}

uint64_t SimPageStore::total_blocks() const {
  uint64_t total = 0;
  for (const File& f : files_) total += f.visible.size() / kStoreBlockBytes;
  return total;
}

void SimPageStore::read(StoreFile id, uint64_t block, std::span<std::byte> buffer, uint64_t tag) {
  VERIFY(!buffer.empty() && buffer.size() % kStoreBlockBytes == 0);
  VERIFY(reinterpret_cast<uintptr_t>(buffer.data()) % kStoreBlockBytes == 0);
  VERIFY((block + buffer.size() / kStoreBlockBytes) <= block_count(id));
  pending_.push_back(Op{OpKind::kRead, id, block, tag, buffer, {}, {}, 0});
}

void SimPageStore::write(StoreFile id, uint64_t block, std::span<const std::byte> data,
                         uint64_t tag) {
  VERIFY(!data.empty() && data.size() % kStoreBlockBytes == 0);
  VERIFY(reinterpret_cast<uintptr_t>(data.data()) % kStoreBlockBytes == 0);
  VERIFY((block + data.size() / kStoreBlockBytes) <= block_count(id));
  pending_.push_back(Op{
      OpKind::kWrite, id, block, tag, {}, std::vector<std::byte>(data.begin(), data.end()), {}, 0});
}

void SimPageStore::sync(StoreFile id, uint64_t tag) {
  // fdatasync covers the writes that have completed by the time it is called.
  std::vector<uint64_t> ids;
  for (const Write& w : file(id).unsynced) ids.push_back(w.id);
  pending_.push_back(Op{OpKind::kSync, id, 0, tag, {}, {}, std::move(ids), 0});
}

void SimPageStore::grow(StoreFile id, uint64_t blocks, uint64_t tag) {
  pending_.push_back(Op{OpKind::kGrow, id, 0, tag, {}, {}, {}, blocks});
}

bool SimPageStore::deliver_one() {
  if (pending_.empty()) return false;
  size_t index = 0;
  if (faults_.reorder && pending_.size() > 1) {
    index = std::uniform_int_distribution<size_t>(0, pending_.size() - 1)(random_);
  }
  Op op = std::move(pending_[index]);
  pending_.erase(pending_.begin() + static_cast<std::ptrdiff_t>(index));
  complete(op);
  return true;
}

size_t SimPageStore::deliver_all(size_t limit) {
  size_t delivered = 0;
  while (delivered < limit && deliver_one()) ++delivered;
  return delivered;
}

void SimPageStore::complete(Op& op) {
  File& target = file(op.file);
  int result = 0;
  switch (op.kind) {
    case OpKind::kRead: {
      ++stats_.reads;
      if (chance(faults_.read_error_rate)) {
        ++stats_.failed_reads;
        result = -EIO;
        break;
      }
      std::memcpy(op.read_buffer.data(), target.visible.data() + op.block * kStoreBlockBytes,
                  op.read_buffer.size());
      break;
    }
    case OpKind::kWrite: {
      ++stats_.writes;
      if (chance(faults_.write_error_rate)) {
        ++stats_.failed_writes;
        result = -EIO;
        break;
      }
      std::memcpy(target.visible.data() + op.block * kStoreBlockBytes, op.write_data.data(),
                  op.write_data.size());
      target.unsynced.push_back(Write{next_write_id_++, op.block, std::move(op.write_data)});
      break;
    }
    case OpKind::kSync: {
      ++stats_.syncs;
      // Apply in completion order so a later write to the same block wins.
      auto covered = [&](const Write& w) {
        return std::find(op.sync_write_ids.begin(), op.sync_write_ids.end(), w.id) !=
               op.sync_write_ids.end();
      };
      for (const Write& w : target.unsynced) {
        if (covered(w)) {
          std::memcpy(target.durable.data() + w.block * kStoreBlockBytes, w.data.data(),
                      w.data.size());
        }
      }
      std::erase_if(target.unsynced, covered);
      break;
    }
    case OpKind::kGrow: {
      uint64_t current = target.visible.size() / kStoreBlockBytes;
      if (op.grow_blocks <= current) break;
      if (total_blocks() + (op.grow_blocks - current) > faults_.capacity_blocks) {
        result = -ENOSPC;
        break;
      }
      // Preallocation is made durable by the real store (fallocate + fsync) before it completes.
      target.visible.resize(op.grow_blocks * kStoreBlockBytes);
      target.durable.resize(op.grow_blocks * kStoreBlockBytes);
      break;
    }
  }
  VERIFY(sink_ != nullptr);
  sink_->on_io_complete(op.tag, result);
}

void SimPageStore::apply_crash_write(File& target, uint64_t block,
                                     const std::vector<std::byte>& data) {
  std::byte* destination = target.durable.data() + block * kStoreBlockBytes;
  const int choice = std::uniform_int_distribution<int>(0, 2)(random_);
  if (choice == 0) {
    ++stats_.crash_lost_writes;
    return;
  }
  if (choice == 1) {
    ++stats_.crash_kept_writes;
    std::memcpy(destination, data.data(), data.size());
    return;
  }
  // Torn: an arbitrary subset of sectors reached the platter, not necessarily a prefix.
  ++stats_.crash_torn_writes;
  for (size_t offset = 0; offset < data.size(); offset += kSectorBytes) {
    if (chance(0.5)) std::memcpy(destination + offset, data.data() + offset, kSectorBytes);
  }
}

void SimPageStore::crash() {
  ++stats_.crashes;
  for (File& target : files_) {
    for (const Write& w : target.unsynced) apply_crash_write(target, w.block, w.data);
    target.unsynced.clear();
  }
  // Writes still in flight may also have reached the disk, whole or in part.
  for (const Op& op : pending_) {
    if (op.kind == OpKind::kWrite) apply_crash_write(file(op.file), op.block, op.write_data);
  }
  pending_.clear();
  for (File& target : files_) target.visible = target.durable;
}

const std::vector<std::byte>& SimPageStore::durable_bytes(StoreFile id) const {
  return file(id).durable;
}

void SimPageStore::load_file(StoreFile id, std::vector<std::byte> bytes) {
  VERIFY(bytes.size() % kStoreBlockBytes == 0);
  File& target = file(id);
  target.durable = bytes;
  target.visible = std::move(bytes);
  target.unsynced.clear();
}

}  // namespace ringstat
