// CompileCache: a content-addressed store of compiled artifacts on disk, so a
// model compiled once is not compiled again. Entries are named by a hash of
// their key text, but the whole key text is stored in the entry and compared
// on load, with the blob's length and checksum: a hash collision, a stale
// entry or a truncated or corrupt file is never used (load() reports a miss
// and the caller compiles). Writes go to a temporary file renamed into place,
// so concurrent compilers never see half an entry. A cache that cannot be
// written is not an error: compiling simply is not sped up.
//
// The directory is bounded: when its entries exceed the size limit, the
// least recently used ones (loads refresh an entry's modification time) are
// deleted after a store, down to 3/4 of the limit, so a cache that lives
// across many Loom builds (each build makes new keys) does not grow forever.
//
// Keys are built by the producers (the compile driver and the backends) and
// must include everything the artifact depends on: see compile_cache_build_id()
// and compile_cache_host_id().
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace loom {

struct CompileCacheStats {
  int hits = 0;
  int misses = 0;    // absent entries and rejected ones
  int rejected = 0;  // present but with another key, a bad checksum or a bad format
  int stores = 0;
  int evicted = 0;  // entries deleted to keep the directory under its limit
};

class CompileCache {
 public:
  // `dir` is created on the first store. `max_bytes`: the size limit of its
  // entries (0: default_compile_cache_limit()).
  explicit CompileCache(std::string dir, uint64_t max_bytes = 0);

  const std::string& dir() const { return dir_; }
  uint64_t max_bytes() const { return max_bytes_; }
  // The blob stored under exactly this key and kind ("o", "json", ...), or nullopt.
  std::optional<std::string> load(const std::string& key, const std::string& kind);
  // False when the entry could not be written (the cache is best effort).
  bool store(const std::string& key, const std::string& kind, std::string_view blob);
  CompileCacheStats stats() const;
  // The file an entry lives in (for tests that corrupt entries on purpose).
  std::string entry_path(const std::string& key, const std::string& kind) const;

 private:
  void evict_if_needed(uint64_t stored_bytes);

  std::string dir_;
  uint64_t max_bytes_;
  uint64_t unscanned_bytes_ = 0;  // stored since the directory was last measured
  bool scanned_ = false;
  mutable std::mutex mutex_;
  CompileCacheStats stats_;
};

// $LOOM_CACHE_DIR, else $HOME/.cache/loom, else "" (no cache).
std::string default_compile_cache_dir();
// $LOOM_CACHE_MAX_MB megabytes when set to a positive number, else 2 GiB.
uint64_t default_compile_cache_limit();

// Identifies the code generators of this process: the executable's path,
// size and modification time, so a rebuilt Loom never reuses artifacts an
// older build produced.
const std::string& compile_cache_build_id();
// Identifies the CPU ("host" targets depend on it): model name and flags.
const std::string& compile_cache_host_id();

// 64-bit FNV-1a, the hash entry names and checksums use.
uint64_t cache_hash(std::string_view bytes);

}  // namespace loom
