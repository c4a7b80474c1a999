#include "net/daemon/store_layout.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace ringstat {

namespace {

constexpr const char* kManifestName = "ringstat.store";
constexpr const char* kManifestMagic = "ringstat store 1";

std::string errno_text(int error) { return std::strerror(error); }

Status make_directory(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) == 0 || errno == EEXIST) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
      return Error{path + " exists and is not a directory"};
    }
    return Ok{};
  }
  return Error{"cannot create " + path + ": " + errno_text(errno)};
}

Status sync_path(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return Error{"cannot open " + path + ": " + errno_text(errno)};
  const int result = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (result != 0) return Error{"cannot sync " + path + ": " + errno_text(error)};
  return Ok{};
}

// The manifest is written to a temporary name, synced, renamed and the directory synced, so a
// crash leaves either no manifest or a whole one.
Status write_manifest(const std::string& directory, uint32_t shards) {
  const std::string path = directory + "/" + kManifestName;
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << kManifestMagic << "\nshards " << shards << "\n";
    if (!out.good()) return Error{"cannot write " + temporary};
  }
  if (Status synced = sync_path(temporary, O_RDONLY); !synced.ok()) return synced;
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    return Error{"cannot rename " + temporary + ": " + errno_text(errno)};
  }
  return sync_path(directory, O_RDONLY | O_DIRECTORY);
}

Result<uint32_t> read_manifest(const std::string& path) {
  std::ifstream in(path);
  std::string magic;
  std::getline(in, magic);
  std::string key;
  uint64_t shards = 0;
  in >> key >> shards;
  if (magic != kManifestMagic || key != "shards" || in.fail() || shards == 0 ||
      shards > kStoreShardsMax) {
    return Error{path + " is not a ringstat store manifest (expected '" + kManifestMagic +
                 "' and 'shards N')"};
  }
  return static_cast<uint32_t>(shards);
}

}  // namespace

std::string StoreLayout::shard_directory(uint32_t shard) const {
  char name[32];
  std::snprintf(name, sizeof name, "/shard-%04u", shard);
  return directory + name;
}

Result<StoreLayout> open_store_layout(const std::string& directory, uint32_t new_store_shards) {
  if (new_store_shards == 0 || new_store_shards > kStoreShardsMax) {
    return Error{"shard count must be 1.." + std::to_string(kStoreShardsMax)};
  }
  if (Status made = make_directory(directory); !made.ok()) return Error{made.error()};
  const std::string manifest = directory + "/" + kManifestName;
  StoreLayout layout{directory, new_store_shards};
  if (::access(manifest.c_str(), F_OK) == 0) {
    Result<uint32_t> shards = read_manifest(manifest);
    if (!shards.ok()) return Error{shards.error()};
    layout.shard_count = shards.value();
  } else {
    if (Status written = write_manifest(directory, new_store_shards); !written.ok()) {
      return Error{written.error()};
    }
  }
  for (uint32_t shard = 0; shard < layout.shard_count; ++shard) {
    if (Status made = make_directory(layout.shard_directory(shard)); !made.ok()) {
      return Error{made.error()};
    }
  }
  return layout;
}

}  // namespace ringstat
