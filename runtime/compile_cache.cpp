// The on-disk compile cache: entry format, verified loads, atomic stores.
//
// Entry file: "loom-cache 1\n" kind "\n" key-bytes "\n" key blob-bytes
// blob-checksum-hex "\n" blob. Every field is checked on load.
#include "runtime/compile_cache.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include <fmt/format.h>

namespace loom {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kMagic = "loom-cache 1\n";

std::optional<std::string> read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return std::move(ss).str();
}

// Reads "<decimal>\n" or "<decimal> " at `pos`; nullopt if malformed.
std::optional<uint64_t> read_number(const std::string& s, size_t& pos, char end, int base = 10) {
  size_t stop = s.find(end, pos);
  if (stop == std::string::npos || stop == pos || stop - pos > 20) return std::nullopt;
  uint64_t v = 0;
  for (size_t i = pos; i < stop; ++i) {
    char c = s[i];
    int d = c >= '0' && c <= '9' ? c - '0' : base == 16 && c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return std::nullopt;
    v = v * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
  }
  pos = stop + 1;
  return v;
}

}  // namespace

uint64_t cache_hash(std::string_view bytes) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

CompileCache::CompileCache(std::string dir, uint64_t max_bytes)
    : dir_(std::move(dir)), max_bytes_(max_bytes ? max_bytes : default_compile_cache_limit()) {}

uint64_t default_compile_cache_limit() {
  if (const char* m = std::getenv("LOOM_CACHE_MAX_MB"); m && *m) {
    char* end = nullptr;
    const unsigned long long mb = std::strtoull(m, &end, 10);
    if (end && *end == 0 && mb > 0 && mb < (1ull << 40)) return mb << 20;
  }
  return 2ull << 30;
}

// Measuring the directory costs a listing, so it is done on the first store
// and then whenever another 1/16 of the limit has been stored: between scans
// the directory can exceed its limit by at most that much.
void CompileCache::evict_if_needed(uint64_t stored_bytes) {
  {
    std::lock_guard lock(mutex_);
    unscanned_bytes_ += stored_bytes;
    if (scanned_ && unscanned_bytes_ < max_bytes_ / 16) return;
    scanned_ = true;
    unscanned_bytes_ = 0;
  }
  struct Entry {
    fs::file_time_type used;
    uint64_t bytes;
    fs::path path;
  };
  std::vector<Entry> entries;
  uint64_t total = 0;
  std::error_code ec;
  const auto now = fs::file_time_type::clock::now();
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code e2;
    if (!it->is_regular_file(e2)) continue;
    const fs::path& p = it->path();
    const auto used = fs::last_write_time(p, e2);
    if (e2) continue;
    // Temporaries of writers that died long ago; live ones are seconds old.
    if (p.filename().string().find(".tmp.") != std::string::npos) {
      if (now - used > std::chrono::hours(1)) fs::remove(p, e2);
      continue;
    }
    const uint64_t bytes = it->file_size(e2);
    if (e2) continue;
    total += bytes;
    entries.push_back({used, bytes, p});
  }
  if (total <= max_bytes_) return;
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.used < b.used; });
  int evicted = 0;
  for (const Entry& e : entries) {
    if (total <= max_bytes_ / 4 * 3) break;
    std::error_code e2;
    if (fs::remove(e.path, e2)) {
      total -= e.bytes;
      ++evicted;
    }
  }
  std::lock_guard lock(mutex_);
  stats_.evicted += evicted;
}

std::string CompileCache::entry_path(const std::string& key, const std::string& kind) const {
  return fmt::format("{}/{:016x}.{}", dir_, cache_hash(key), kind);
}

std::optional<std::string> CompileCache::load(const std::string& key, const std::string& kind) {
  const std::string path = entry_path(key, kind);
  auto count = [&](bool hit, bool rejected) {
    std::lock_guard lock(mutex_);
    (hit ? stats_.hits : stats_.misses)++;
    if (rejected) stats_.rejected++;
  };
  std::optional<std::string> file = read_all(path);
  if (!file) {
    count(false, false);
    return std::nullopt;
  }
  const std::string& s = *file;
  auto reject = [&]() -> std::optional<std::string> {
    count(false, true);
    return std::nullopt;
  };
  if (s.compare(0, kMagic.size(), kMagic) != 0) return reject();
  size_t pos = kMagic.size();
  if (s.compare(pos, kind.size() + 1, kind + "\n") != 0) return reject();
  pos += kind.size() + 1;
  auto key_len = read_number(s, pos, '\n');
  if (!key_len || *key_len != key.size() || s.size() - pos < *key_len) return reject();
  if (s.compare(pos, key.size(), key) != 0) return reject();
  pos += key.size();
  auto blob_len = read_number(s, pos, ' ');
  auto sum = blob_len ? read_number(s, pos, '\n', 16) : std::nullopt;
  if (!sum || s.size() - pos != *blob_len) return reject();
  std::string blob = s.substr(pos);
  if (cache_hash(blob) != *sum) return reject();
  count(true, false);
  // Marks the entry as recently used for eviction; failing to is harmless.
  std::error_code ec;
  fs::last_write_time(path, fs::file_time_type::clock::now(), ec);
  return blob;
}

bool CompileCache::store(const std::string& key, const std::string& kind, std::string_view blob) {
  static std::atomic<uint64_t> serial{0};
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec) return false;
  const std::string path = entry_path(key, kind);
  // Unique per process and call, so concurrent writers never share a temporary.
  const std::string tmp = fmt::format("{}.tmp.{}.{}", path, getpid(), serial++);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return false;
    out << kMagic << kind << '\n' << key.size() << '\n' << key;
    out << blob.size() << ' ' << fmt::format("{:x}", cache_hash(blob)) << '\n';
    out.write(blob.data(), static_cast<std::streamsize>(blob.size()));
    out.close();
    if (!out) {
      fs::remove(tmp, ec);
      return false;
    }
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return false;
  }
  {
    std::lock_guard lock(mutex_);
    stats_.stores++;
  }
  evict_if_needed(blob.size() + key.size());
  return true;
}

CompileCacheStats CompileCache::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

std::string default_compile_cache_dir() {
  if (const char* d = std::getenv("LOOM_CACHE_DIR"); d && *d) return d;
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/loom";
  return "";
}

const std::string& compile_cache_build_id() {
  static const std::string id = [] {
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (ec) return std::string("unknown-build");
    const auto size = fs::file_size(exe, ec);
    const auto mtime = fs::last_write_time(exe, ec).time_since_epoch().count();
    return fmt::format("{} {} {}", exe.string(), ec ? 0 : size, ec ? 0 : mtime);
  }();
  return id;
}

const std::string& compile_cache_host_id() {
  static const std::string id = [] {
    std::ifstream in("/proc/cpuinfo");
    std::string line, model, flags;
    while (std::getline(in, line) && (model.empty() || flags.empty())) {
      if (model.empty() && line.rfind("model name", 0) == 0) model = line;
      if (flags.empty() && line.rfind("flags", 0) == 0) flags = line;
    }
    return model + "\n" + flags;
  }();
  return id;
}

}  // namespace loom
