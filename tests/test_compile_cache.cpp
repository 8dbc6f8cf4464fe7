// The compile cache: verified loads (key, kind, length and checksum), atomic
// stores, and the compile driver reusing cached recurrent objects without
// changing results, including after an entry is corrupted.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>

#include "compiler/compile.h"
#include "compiler/load_model.h"
#include "runtime/compile_cache.h"

namespace fs = std::filesystem;
using namespace loom;

namespace {

std::string fresh_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / fmt::format("loom_cache_test_{}_{}", name, getpid());
  fs::remove_all(d);
  return d.string();
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void spit(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

}  // namespace

TEST_CASE("compile cache stores and verifies entries", "[cache]") {
  CompileCache cache(fresh_dir("store"));
  CHECK_FALSE(cache.load("key A", "o"));
  REQUIRE(cache.store("key A", "o", std::string("\0object\nbytes", 13)));
  auto got = cache.load("key A", "o");
  REQUIRE(got);
  CHECK(*got == std::string("\0object\nbytes", 13));
  CHECK_FALSE(cache.load("key A", "json"));  // another kind is another entry
  CHECK_FALSE(cache.load("key B", "o"));
  CompileCacheStats s = cache.stats();
  CHECK(s.hits == 1);
  CHECK(s.misses == 3);
  CHECK(s.stores == 1);
  CHECK(s.rejected == 0);

  const std::string path = cache.entry_path("key A", "o");
  const std::string good = slurp(path);

  // An entry of another key in A's file (what a hash collision looks like).
  REQUIRE(cache.store("key C", "o", "other"));
  spit(path, slurp(cache.entry_path("key C", "o")));
  CHECK_FALSE(cache.load("key A", "o"));

  // One flipped byte of the blob: the checksum no longer matches.
  std::string flipped = good;
  flipped.back() ^= 1;
  spit(path, flipped);
  CHECK_FALSE(cache.load("key A", "o"));

  // Truncated, empty and garbage files.
  spit(path, good.substr(0, good.size() - 3));
  CHECK_FALSE(cache.load("key A", "o"));
  spit(path, "");
  CHECK_FALSE(cache.load("key A", "o"));
  spit(path, "loom-cache 1\no\n99999999999999999999999\n");
  CHECK_FALSE(cache.load("key A", "o"));
  CHECK(cache.stats().rejected == 5);

  spit(path, good);
  CHECK(cache.load("key A", "o"));
  fs::remove_all(cache.dir());
}

TEST_CASE("compile reuses cached recurrent objects with identical results", "[cache]") {
  const std::string dir = std::string(LOOM_SOURCE_DIR) + "/tests/fixtures/recurrent/lstm_1layer";
  Graph g = load_model(dir + "/model.onnx");
  Tensor x(TensorType{DType::f32, {6, 2, 10}});
  for (int64_t i = 0; i < x.numel(); ++i)
    x.data<float>()[i] = static_cast<float>((i * 37) % 19) / 9.f - 1.f;

  auto run = [&](CompileCache* cache) {
    CompileOptions o;
    o.cache = cache;
    Executable exe = compile(g, o);
    REQUIRE(exe.input_types().size() == 1);
    REQUIRE(exe.input_types()[0].shape == x.shape());
    return exe.run({x});
  };
  const std::vector<Tensor> plain = run(nullptr);

  CompileCache cache(fresh_dir("compile"));
  // One object for the step loops, one for the Halide input projection (the
  // Halide runtime was built by the uncached compile above).
  const std::vector<Tensor> first = run(&cache);
  CHECK(cache.stats().stores == 2);
  CHECK(cache.stats().hits == 0);
  const std::vector<Tensor> second = run(&cache);
  CHECK(cache.stats().hits == 2);

  // Corrupt every entry: the next compile rejects it, compiles, and stores again.
  for (const auto& e : fs::directory_iterator(cache.dir())) {
    std::string bytes = slurp(e.path().string());
    bytes[bytes.size() / 2] ^= 0x5a;
    spit(e.path().string(), bytes);
  }
  const std::vector<Tensor> third = run(&cache);
  CHECK(cache.stats().rejected == 2);
  CHECK(cache.stats().stores == 4);

  REQUIRE(plain.size() == first.size());
  for (size_t i = 0; i < plain.size(); ++i) {
    CHECK(plain[i].numel() > 0);
    CHECK(plain[i].same_content(first[i]));
    CHECK(plain[i].same_content(second[i]));
    CHECK(plain[i].same_content(third[i]));
  }
  fs::remove_all(cache.dir());
}

TEST_CASE("compile cache evicts the least recently used entries past its limit", "[cache]") {
  const std::string dir = fresh_dir("evict");
  const std::string blob(1000, 'x');
  {
    // 10 entries of ~1 KB fit a 16 KB limit.
    CompileCache cache(dir, 16000);
    for (int i = 0; i < 10; ++i)
      REQUIRE(cache.store(fmt::format("key {}", i), "o", blob));
    CHECK(cache.stats().evicted == 0);
  }
  // Entry 0 is the oldest written but the most recently used.
  const auto old = fs::file_time_type::clock::now() - std::chrono::hours(2);
  for (int i = 0; i < 10; ++i)
    fs::last_write_time(CompileCache(dir).entry_path(fmt::format("key {}", i), "o"),
                        old + std::chrono::minutes(i));
  // A stale temporary of a writer that died is removed; it is not an entry.
  const std::string stale = dir + "/0123456789abcdef.o.tmp.1.0";
  spit(stale, "partial");
  fs::last_write_time(stale, old);
  CompileCache cache(dir, 8000);
  REQUIRE(cache.load("key 0", "o"));
  REQUIRE(cache.store("key new", "o", blob));
  // Over 8 KB: the least recently used go until at most 6 KB remain.
  CHECK(cache.stats().evicted == 6);
  CHECK(cache.load("key 0", "o"));
  CHECK(cache.load("key new", "o"));
  for (int i = 1; i <= 6; ++i)
    CHECK_FALSE(cache.load(fmt::format("key {}", i), "o"));
  for (int i = 7; i < 10; ++i)
    CHECK(cache.load(fmt::format("key {}", i), "o"));
  CHECK_FALSE(fs::exists(stale));
  fs::remove_all(dir);
}
